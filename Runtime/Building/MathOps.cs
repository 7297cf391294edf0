using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>Elementwise math, matmul and reductions (<c>tf.add</c>, <c>tf.matmul</c>, <c>tf.reduce_mean</c>, …) as
/// extension methods of <see cref="GraphBuilder"/>; their OpDefs are in <c>OpDefCatalog.Math.cs</c>.</summary>
public static class MathOps
{
    /// <summary>A binary elementwise op with broadcasting, e.g. <c>Binary("Mul", x, y)</c>.</summary>
    public static Output Binary(this GraphBuilder builder, string opType, Output x, Output y, string? name = null) => builder.Op1(opType, [x, y], name ?? opType);

    /// <summary>A binary op whose second operand is a scalar converted to <paramref name="x"/>'s dtype, named
    /// like TF's operator overloads: <c>x * 2.0</c> → <c>mul/y</c> Const + <c>mul</c>.</summary>
    public static Output Binary(this GraphBuilder builder, string opType, Output x, double y, string? name = null)
    {
        var scope = builder.UniqueName(name ?? opType);
        Output yc;
        using (builder.NameScope(scope + "/")) yc = builder.ScalarConstant(y, x.BaseType, "y");
        return builder.OutputOf(builder.AddOperationExact(scope, opType, [x, yc]));
    }

    /// <summary>A binary op whose first operand is a scalar (<c>1 - y</c> → <c>sub/x</c> + <c>sub</c>).</summary>
    public static Output Binary(this GraphBuilder builder, string opType, double x, Output y, string? name = null)
    {
        var scope = builder.UniqueName(name ?? opType);
        Output xc;
        using (builder.NameScope(scope + "/")) xc = builder.ScalarConstant(x, y.BaseType, "x");
        return builder.OutputOf(builder.AddOperationExact(scope, opType, [xc, y]));
    }

    /// <summary>A unary elementwise op, e.g. <c>Unary("Sqrt", x)</c>.</summary>
    public static Output Unary(this GraphBuilder builder, string opType, Output x, string? name = null) => builder.Op1(opType, [x], name ?? opType);

    /// <summary>x + y (Add).</summary>
    public static Output Add(this GraphBuilder builder, Output x, Output y, string name = "Add") => builder.Binary("Add", x, y, name);

    /// <summary>x + scalar.</summary>
    public static Output Add(this GraphBuilder builder, Output x, double y, string name = "add") => builder.Binary("Add", x, y, name);

    /// <summary>x + y (AddV2, newer TF).</summary>
    public static Output AddV2(this GraphBuilder builder, Output x, Output y, string name = "AddV2") => builder.Binary("AddV2", x, y, name);

    /// <summary>x - y.</summary>
    public static Output Subtract(this GraphBuilder builder, Output x, Output y, string name = "Sub") => builder.Binary("Sub", x, y, name);

    /// <summary>scalar - y.</summary>
    public static Output Subtract(this GraphBuilder builder, double x, Output y, string name = "sub") => builder.Binary("Sub", x, y, name);

    /// <summary>x * y (Mul).</summary>
    public static Output Multiply(this GraphBuilder builder, Output x, Output y, string name = "Mul") => builder.Binary("Mul", x, y, name);

    /// <summary>x * scalar.</summary>
    public static Output Multiply(this GraphBuilder builder, Output x, double y, string name = "mul") => builder.Binary("Mul", x, y, name);

    /// <summary>x / y (RealDiv).</summary>
    public static Output Divide(this GraphBuilder builder, Output x, Output y, string name = "truediv") => builder.Binary("RealDiv", x, y, name);

    /// <summary>x / scalar.</summary>
    public static Output Divide(this GraphBuilder builder, Output x, double y, string name = "truediv") => builder.Binary("RealDiv", x, y, name);

    /// <summary>max(x, y).</summary>
    public static Output Maximum(this GraphBuilder builder, Output x, Output y, string name = "Maximum") => builder.Binary("Maximum", x, y, name);

    /// <summary>min(x, y).</summary>
    public static Output Minimum(this GraphBuilder builder, Output x, Output y, string name = "Minimum") => builder.Binary("Minimum", x, y, name);

    /// <summary>x ^ y.</summary>
    public static Output Pow(this GraphBuilder builder, Output x, Output y, string name = "Pow") => builder.Binary("Pow", x, y, name);

    /// <summary>(x - y)².</summary>
    public static Output SquaredDifference(this GraphBuilder builder, Output x, Output y, string name = "SquaredDifference") => builder.Binary("SquaredDifference", x, y, name);

    /// <summary>-x.</summary>
    public static Output Negate(this GraphBuilder builder, Output x, string name = "Neg") => builder.Unary("Neg", x, name);

    /// <summary>x².</summary>
    public static Output Square(this GraphBuilder builder, Output x, string name = "Square") => builder.Unary("Square", x, name);

    /// <summary>√x.</summary>
    public static Output Sqrt(this GraphBuilder builder, Output x, string name = "Sqrt") => builder.Unary("Sqrt", x, name);

    /// <summary>1/√x.</summary>
    public static Output Rsqrt(this GraphBuilder builder, Output x, string name = "Rsqrt") => builder.Unary("Rsqrt", x, name);

    /// <summary>eˣ.</summary>
    public static Output Exp(this GraphBuilder builder, Output x, string name = "Exp") => builder.Unary("Exp", x, name);

    /// <summary>ln x.</summary>
    public static Output Log(this GraphBuilder builder, Output x, string name = "Log") => builder.Unary("Log", x, name);

    /// <summary>|x|.</summary>
    public static Output Abs(this GraphBuilder builder, Output x, string name = "Abs") => builder.Unary("Abs", x, name);

    /// <summary>1/x.</summary>
    public static Output Reciprocal(this GraphBuilder builder, Output x, string name = "Reciprocal") => builder.Unary("Reciprocal", x, name);

    /// <summary>Logistic sigmoid.</summary>
    public static Output Sigmoid(this GraphBuilder builder, Output x, string name = "Sigmoid") => builder.Unary("Sigmoid", x, name);

    /// <summary>tanh.</summary>
    public static Output Tanh(this GraphBuilder builder, Output x, string name = "Tanh") => builder.Unary("Tanh", x, name);

    /// <summary>Sum of same-shaped tensors (AddN).</summary>
    public static Output AddN(this GraphBuilder builder, IReadOnlyList<Output> inputs, string name = "AddN") => builder.Op1("AddN", inputs, name);

    /// <summary>Matrix product (<c>tf.matmul</c>).</summary>
    public static Output MatMul(this GraphBuilder builder, Output a, Output b, bool transposeA = false, bool transposeB = false, string name = "MatMul")
        => builder.Op1("MatMul", [a, b], name, new Dictionary<string, AttrValue> { ["transpose_a"] = Attrs.Bool(transposeA), ["transpose_b"] = Attrs.Bool(transposeB) });

    /// <summary>A reduction (<c>Sum</c>, <c>Mean</c>, <c>Max</c>, <c>Min</c>, <c>Prod</c>) over <paramref name="axes"/>
    /// (null = all dims: TF then emits a Const of every axis index, which needs the rank — pass it as
    /// <paramref name="rank"/>, or axes are computed in-graph with Range/Rank).</summary>
    public static Output Reduce(this GraphBuilder builder, string opType, Output x, int[]? axes, bool keepDims = false, string? name = null, int? rank = null)
    {
        Output axesT;
        if (axes != null) axesT = builder.Constant(axes);
        else if (rank is int r) axesT = builder.Constant(Enumerable.Range(0, r).ToArray());
        else
        {
            var rankT = builder.Op1("Rank", [x], "Rank");
            axesT = builder.Op1("Range", [builder.Constant(0, "range/start"), rankT, builder.Constant(1, "range/delta")], "range");
        }
        return builder.Op1(opType, [x, axesT], name ?? opType, new Dictionary<string, AttrValue> { ["keep_dims"] = Attrs.Bool(keepDims) });
    }

    /// <summary>Sum over axes (<c>tf.reduce_sum</c>).</summary>
    public static Output ReduceSum(this GraphBuilder builder, Output x, int[]? axes = null, bool keepDims = false, string name = "Sum", int? rank = null) => builder.Reduce("Sum", x, axes, keepDims, name, rank);

    /// <summary>Mean over axes (<c>tf.reduce_mean</c>).</summary>
    public static Output ReduceMean(this GraphBuilder builder, Output x, int[]? axes = null, bool keepDims = false, string name = "Mean", int? rank = null) => builder.Reduce("Mean", x, axes, keepDims, name, rank);

    /// <summary>Max over axes.</summary>
    public static Output ReduceMax(this GraphBuilder builder, Output x, int[]? axes = null, bool keepDims = false, string name = "Max", int? rank = null) => builder.Reduce("Max", x, axes, keepDims, name, rank);

    /// <summary>Index of the max along <paramref name="axis"/> (int64, as <c>tf.argmax</c>).</summary>
    public static Output ArgMax(this GraphBuilder builder, Output x, int axis, string name = "ArgMax")
    {
        var scope = builder.UniqueName(name);
        Output d;
        using (builder.NameScope(scope + "/")) d = builder.Constant(axis, "dimension");
        return builder.OutputOf(builder.AddOperationExact(scope, "ArgMax", [x, d], new Dictionary<string, AttrValue> { ["output_type"] = Attrs.Type(DataType.DtInt64) }));
    }

    /// <summary>x == y (bool).</summary>
    public static Output Equal(this GraphBuilder builder, Output x, Output y, string name = "Equal") => builder.Binary("Equal", x, y, name);

    /// <summary>x &gt; y (bool).</summary>
    public static Output Greater(this GraphBuilder builder, Output x, Output y, string name = "Greater") => builder.Binary("Greater", x, y, name);

    /// <summary>x &lt; y (bool).</summary>
    public static Output Less(this GraphBuilder builder, Output x, Output y, string name = "Less") => builder.Binary("Less", x, y, name);
}
