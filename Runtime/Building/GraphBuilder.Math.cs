using TypedGraph.Protos;

namespace TypedGraph.Building;

// Elementwise math, matmul and reductions (tf.add, tf.matmul, tf.reduce_mean, …).
public sealed partial class GraphBuilder
{
    /// <summary>A binary elementwise op with broadcasting, e.g. <c>Binary("Mul", x, y)</c>.</summary>
    public Output Binary(string opType, Output x, Output y, string? name = null) => Op1(opType, [x, y], name ?? opType);

    /// <summary>A binary op whose second operand is a scalar converted to <paramref name="x"/>'s dtype, named
    /// like TF's operator overloads: <c>x * 2.0</c> → <c>mul/y</c> Const + <c>mul</c>.</summary>
    public Output Binary(string opType, Output x, double y, string? name = null)
    {
        var scope = UniqueName(name ?? opType);
        Output yc;
        using (NameScope(scope + "/")) yc = ScalarConstant(y, x.BaseType, "y");
        return OutputOf(AddOperationExact(scope, opType, [x, yc]));
    }

    /// <summary>A binary op whose first operand is a scalar (<c>1 - y</c> → <c>sub/x</c> + <c>sub</c>).</summary>
    public Output Binary(string opType, double x, Output y, string? name = null)
    {
        var scope = UniqueName(name ?? opType);
        Output xc;
        using (NameScope(scope + "/")) xc = ScalarConstant(x, y.BaseType, "x");
        return OutputOf(AddOperationExact(scope, opType, [xc, y]));
    }

    /// <summary>A unary elementwise op, e.g. <c>Unary("Sqrt", x)</c>.</summary>
    public Output Unary(string opType, Output x, string? name = null) => Op1(opType, [x], name ?? opType);

    /// <summary>x + y (Add).</summary>
    public Output Add(Output x, Output y, string name = "Add") => Binary("Add", x, y, name);

    /// <summary>x + scalar.</summary>
    public Output Add(Output x, double y, string name = "add") => Binary("Add", x, y, name);

    /// <summary>x + y (AddV2, newer TF).</summary>
    public Output AddV2(Output x, Output y, string name = "AddV2") => Binary("AddV2", x, y, name);

    /// <summary>x - y.</summary>
    public Output Subtract(Output x, Output y, string name = "Sub") => Binary("Sub", x, y, name);

    /// <summary>scalar - y.</summary>
    public Output Subtract(double x, Output y, string name = "sub") => Binary("Sub", x, y, name);

    /// <summary>x * y (Mul).</summary>
    public Output Multiply(Output x, Output y, string name = "Mul") => Binary("Mul", x, y, name);

    /// <summary>x * scalar.</summary>
    public Output Multiply(Output x, double y, string name = "mul") => Binary("Mul", x, y, name);

    /// <summary>x / y (RealDiv).</summary>
    public Output Divide(Output x, Output y, string name = "truediv") => Binary("RealDiv", x, y, name);

    /// <summary>x / scalar.</summary>
    public Output Divide(Output x, double y, string name = "truediv") => Binary("RealDiv", x, y, name);

    /// <summary>max(x, y).</summary>
    public Output Maximum(Output x, Output y, string name = "Maximum") => Binary("Maximum", x, y, name);

    /// <summary>min(x, y).</summary>
    public Output Minimum(Output x, Output y, string name = "Minimum") => Binary("Minimum", x, y, name);

    /// <summary>x ^ y.</summary>
    public Output Pow(Output x, Output y, string name = "Pow") => Binary("Pow", x, y, name);

    /// <summary>(x - y)².</summary>
    public Output SquaredDifference(Output x, Output y, string name = "SquaredDifference") => Binary("SquaredDifference", x, y, name);

    /// <summary>-x.</summary>
    public Output Negate(Output x, string name = "Neg") => Unary("Neg", x, name);

    /// <summary>x².</summary>
    public Output Square(Output x, string name = "Square") => Unary("Square", x, name);

    /// <summary>√x.</summary>
    public Output Sqrt(Output x, string name = "Sqrt") => Unary("Sqrt", x, name);

    /// <summary>1/√x.</summary>
    public Output Rsqrt(Output x, string name = "Rsqrt") => Unary("Rsqrt", x, name);

    /// <summary>eˣ.</summary>
    public Output Exp(Output x, string name = "Exp") => Unary("Exp", x, name);

    /// <summary>ln x.</summary>
    public Output Log(Output x, string name = "Log") => Unary("Log", x, name);

    /// <summary>|x|.</summary>
    public Output Abs(Output x, string name = "Abs") => Unary("Abs", x, name);

    /// <summary>1/x.</summary>
    public Output Reciprocal(Output x, string name = "Reciprocal") => Unary("Reciprocal", x, name);

    /// <summary>Logistic sigmoid.</summary>
    public Output Sigmoid(Output x, string name = "Sigmoid") => Unary("Sigmoid", x, name);

    /// <summary>tanh.</summary>
    public Output Tanh(Output x, string name = "Tanh") => Unary("Tanh", x, name);

    /// <summary>Sum of same-shaped tensors (AddN).</summary>
    public Output AddN(IReadOnlyList<Output> inputs, string name = "AddN") => Op1("AddN", inputs, name);

    /// <summary>Matrix product (<c>tf.matmul</c>).</summary>
    public Output MatMul(Output a, Output b, bool transposeA = false, bool transposeB = false, string name = "MatMul")
        => Op1("MatMul", [a, b], name, new Dictionary<string, AttrValue> { ["transpose_a"] = Attrs.Bool(transposeA), ["transpose_b"] = Attrs.Bool(transposeB) });

    /// <summary>A reduction (<c>Sum</c>, <c>Mean</c>, <c>Max</c>, <c>Min</c>, <c>Prod</c>) over <paramref name="axes"/>
    /// (null = all dims: TF then emits a Const of every axis index, which needs the rank — pass it as
    /// <paramref name="rank"/>, or axes are computed in-graph with Range/Rank).</summary>
    public Output Reduce(string opType, Output x, int[]? axes, bool keepDims = false, string? name = null, int? rank = null)
    {
        Output axesT;
        if (axes != null) axesT = Constant(axes);
        else if (rank is int r) axesT = Constant(Enumerable.Range(0, r).ToArray());
        else
        {
            var rankT = Op1("Rank", [x], "Rank");
            axesT = Op1("Range", [Constant(0, "range/start"), rankT, Constant(1, "range/delta")], "range");
        }
        return Op1(opType, [x, axesT], name ?? opType, new Dictionary<string, AttrValue> { ["keep_dims"] = Attrs.Bool(keepDims) });
    }

    /// <summary>Sum over axes (<c>tf.reduce_sum</c>).</summary>
    public Output ReduceSum(Output x, int[]? axes = null, bool keepDims = false, string name = "Sum", int? rank = null) => Reduce("Sum", x, axes, keepDims, name, rank);

    /// <summary>Mean over axes (<c>tf.reduce_mean</c>).</summary>
    public Output ReduceMean(Output x, int[]? axes = null, bool keepDims = false, string name = "Mean", int? rank = null) => Reduce("Mean", x, axes, keepDims, name, rank);

    /// <summary>Max over axes.</summary>
    public Output ReduceMax(Output x, int[]? axes = null, bool keepDims = false, string name = "Max", int? rank = null) => Reduce("Max", x, axes, keepDims, name, rank);

    /// <summary>Index of the max along <paramref name="axis"/> (int64, as <c>tf.argmax</c>).</summary>
    public Output ArgMax(Output x, int axis, string name = "ArgMax")
    {
        var scope = UniqueName(name);
        Output d;
        using (NameScope(scope + "/")) d = Constant(axis, "dimension");
        return OutputOf(AddOperationExact(scope, "ArgMax", [x, d], new Dictionary<string, AttrValue> { ["output_type"] = Attrs.Type(DataType.DtInt64) }));
    }

    /// <summary>x == y (bool).</summary>
    public Output Equal(Output x, Output y, string name = "Equal") => Binary("Equal", x, y, name);

    /// <summary>x &gt; y (bool).</summary>
    public Output Greater(Output x, Output y, string name = "Greater") => Binary("Greater", x, y, name);

    /// <summary>x &lt; y (bool).</summary>
    public Output Less(Output x, Output y, string name = "Less") => Binary("Less", x, y, name);
}
