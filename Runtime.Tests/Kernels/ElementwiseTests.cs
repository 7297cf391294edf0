using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

public class ElementwiseTests
{
    [Fact]
    public void AddBroadcastsRowColumnAndScalar()
    {
        var a = F([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([11f, 22, 33, 14, 25, 36], Compute1("Add", [a, F([10, 20, 30], 3)]).ToArray<float>());
        Assert.Equal([101f, 102, 103, 204, 205, 206], Compute1("AddV2", [a, F([100, 200], 2, 1)]).ToArray<float>());
        var outer = Compute1("Add", [F([1, 2], 2, 1), F([10, 20, 30], 1, 3)]);
        Assert.Equal(new TensorShape(2, 3), outer.Shape);
        Assert.Equal([11f, 21, 31, 12, 22, 32], outer.ToArray<float>());
        var s = Compute1("Mul", [Tensor.FromScalar(2f), a]);
        Assert.Equal([2f, 4, 6, 8, 10, 12], s.ToArray<float>());
        Assert.Equal(0, Compute1("Add", [Tensor.FromScalar(1f), Tensor.FromScalar(2f)]).Shape.Rank);
        Assert.Equal(3f, Compute1("Add", [Tensor.FromScalar(1f), Tensor.FromScalar(2f)]).Scalar<float>());
    }

    [Fact]
    public void SubAndDivKeepOperandOrderWhenBroadcasting()
    {
        Assert.Equal([9f, 8, 7], Compute1("Sub", [Tensor.FromScalar(10f), F([1, 2, 3])]).ToArray<float>());
        Assert.Equal([-9f, -8, -7], Compute1("Sub", [F([1, 2, 3]), Tensor.FromScalar(10f)]).ToArray<float>());
        Assert.Equal([6f, 3, 2], Compute1("RealDiv", [Tensor.FromScalar(6f), F([1, 2, 3])]).ToArray<float>());
        Assert.Equal([0.5f, 1, 1.5f], Compute1("Div", [F([1, 2, 3]), Tensor.FromScalar(2f)]).ToArray<float>());
        // [2,1,3] - [2,1]: broadcast to [2,2,3] on both sides.
        var r = Compute1("Sub", [F([1, 2, 3, 4, 5, 6], 2, 1, 3), F([10, 20], 2, 1)]);
        Assert.Equal(new TensorShape(2, 2, 3), r.Shape);
        Assert.Equal([-9f, -8, -7, -19, -18, -17, -6, -5, -4, -16, -15, -14], r.ToArray<float>());
    }

    [Fact]
    public void IntegerDivisionSemanticsMatchTf()
    {
        var x = I([7, -7, 7, -7]);
        var y = I([2, 2, -2, -2]);
        Assert.Equal([3, -3, -3, 3], Compute1("Div", [x, y]).ToArray<int>());          // C truncation (safe_div)
        Assert.Equal([3, -3, -3, 3], Compute1("TruncateDiv", [x, y]).ToArray<int>());
        Assert.Equal([3, -4, -4, 3], Compute1("FloorDiv", [x, y]).ToArray<int>());     // toward −∞
        Assert.Equal([1, 1, -1, -1], Compute1("FloorMod", [x, y]).ToArray<int>());     // sign of the divisor
        Assert.Equal([3L, -4, -4, 3], Compute1("FloorDiv", [L([7, -7, 7, -7]), L([2, 2, -2, -2])]).ToArray<long>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("FloorDiv", [I([1, 2]), I([1, 0])]));
        Assert.Contains("Integer division by zero", ex.Message);
        Assert.Contains("'node'", ex.Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("Div", [I([1]), I([0])]));
    }

    [Fact]
    public void FloatFloorModValues()
    {
        Assert.Equal([1.5f, 0.5f, -0.5f, -1.5f], Compute1("FloorMod", [F([5.5f, -5.5f, 5.5f, -5.5f]), F([2, 2, -2, -2])]).ToArray<float>());
        Assert.Equal([2f, -3, -3, 2], Compute1("FloorDiv", [F([5.5f, -5.5f, 5.5f, -5.5f]), F([2, 2, -2, -2])]).ToArray<float>());
    }

    [Fact]
    public void MoreMathOps()
    {
        var x = F([0.5f, -0.25f]);
        Close([MathF.Exp(0.5f) - 1, MathF.Exp(-0.25f) - 1], Compute1("Expm1", [x]).AsSpan<float>());
        Close([MathF.Sin(0.5f), MathF.Sin(-0.25f)], Compute1("Sin", [x]).AsSpan<float>());
        Close([MathF.Cos(0.5f), MathF.Cos(-0.25f)], Compute1("Cos", [x]).AsSpan<float>());
        Close([MathF.Atan(0.5f), MathF.Atan(-0.25f)], Compute1("Atan", [x]).AsSpan<float>());
        Close([MathF.Sinh(0.5f), MathF.Sinh(-0.25f)], Compute1("Sinh", [x]).AsSpan<float>());
        Close([0.5f / 1.5f, -0.25f / 1.25f], Compute1("Softsign", [x]).AsSpan<float>());
        Assert.Equal([2f, 2, -2], Compute1("Rint", [F([2.5f, 1.5f, -2.5f])]).ToArray<float>());
        // Mod / TruncateMod keep the dividend's sign (C fmod / %), unlike FloorMod.
        Assert.Equal([1, -1, 1, -1], Compute1("TruncateMod", [I([7, -7, 7, -7]), I([2, 2, -2, -2])]).ToArray<int>());
        Assert.Equal([1.5f, -1.5f], Compute1("Mod", [F([5.5f, -5.5f]), F([2, 2])]).ToArray<float>());
        Assert.Equal([0f, 2], Compute1("DivNoNan", [F([1, 4]), F([0, 2])]).ToArray<float>());
        Assert.Equal([0f, 8], Compute1("MulNoNan", [F([float.NaN, 4]), F([0, 2])]).ToArray<float>());
        Assert.Equal([0f, 2 * MathF.Log(3)], Compute1("Xlogy", [F([0, 2]), F([0, 3])]).ToArray<float>());
        Assert.Equal([0f, 1.5f], Compute1("Xdivy", [F([0, 3]), F([0, 2])]).ToArray<float>());
        Close([MathF.Atan2(1, -1)], Compute1("Atan2", [F([1]), F([-1])]).AsSpan<float>());
        var odd = F([float.NaN, float.PositiveInfinity, 1]);
        Assert.Equal([true, false, false], Compute1("IsNan", [odd]).ToArray<bool>());
        Assert.Equal([false, true, false], Compute1("IsInf", [odd]).ToArray<bool>());
        Assert.Equal([false, false, true], Compute1("IsFinite", [odd]).ToArray<bool>());
        Assert.Throws<GraphExecutionException>(() => Compute1("TruncateMod", [I([1]), I([0])]));
    }

    [Fact]
    public void AddNSumsSameShapedInputs()
    {
        Assert.Equal([111f, 222, 333], Compute("AddN", [F([1, 2, 3]), F([10, 20, 30]), F([100, 200, 300])])[0].ToArray<float>());
        Assert.Equal([7L], Compute("AddN", [L([7])])[0].ToArray<long>());
        // One term is the input itself (TF's AddNOp), bit for bit: −0 and a NaN payload stay.
        float[] one = [-0f, BitConverter.Int32BitsToSingle(0x7FC00123), 2.5f, -1f];
        var single = Compute("AddN", [F(one, 2, 2)])[0];
        Assert.Equal(new TensorShape(2, 2), single.Shape);
        Assert.Equal(one.Select(BitConverter.SingleToInt32Bits), single.ToArray<float>().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal([5, 7], Compute("AddN", [I([1, 2]), I([4, 5])])[0].ToArray<int>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute("AddN", [F([1, 2]), F([1, 2, 3])]));
        Assert.Contains("same size and shape", ex.Message);
    }

    [Fact]
    public void MaxMinPowSquaredDifference()
    {
        var a = F([1, 5, -3]);
        var b = F([2, 4, -4]);
        Assert.Equal([2f, 5, -3], Compute1("Maximum", [a, b]).ToArray<float>());
        Assert.Equal([1f, 4, -4], Compute1("Minimum", [a, b]).ToArray<float>());
        Assert.Equal([1f, 625, 1f / 81], Compute1("Pow", [a, b]).ToArray<float>());
        Assert.Equal([1f, 1, 1], Compute1("SquaredDifference", [a, b]).ToArray<float>());
        Assert.Equal([8, 1, 9], Compute1("Pow", [I([2, 5, -3]), I([3, 0, 2])]).ToArray<int>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("Pow", [I([2]), I([-1])]));
        Assert.Contains("negative integer powers", ex.Message);
        Assert.Equal([3L, 7], Compute1("Maximum", [L([3, -1]), L([2, 7])]).ToArray<long>());
        Assert.Equal([1.0, 4.0], Compute1("SquaredDifference", [Tensor.Create(new double[] { 1, 1 }), Tensor.Create(new double[] { 2, 3 })]).ToArray<double>());
    }

    [Fact]
    public void EmptyAndIncompatibleShapes()
    {
        var e = Compute1("Add", [Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 3)), F([1, 2, 3])]);
        Assert.Equal(new TensorShape(0, 3), e.Shape);
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("Add", [F([1, 2, 3]), F([1, 2])]));
        Assert.Contains("Incompatible shapes: [3] vs. [2]", ex.Message);
        var dt = Assert.Throws<GraphExecutionException>(() => Compute1("Add", [F([1]), I([1])]));
        Assert.Contains("int32", dt.Message);
    }

    [Fact]
    public void RandomBroadcastsMatchNaiveIndexing()
    {
        var r = new Random(42);
        string[] ops = ["Add", "Sub", "Mul", "Maximum", "SquaredDifference"];
        for (int trial = 0; trial < 60; trial++)
        {
            int rank = r.Next(1, 5);
            var full = Enumerable.Range(0, rank).Select(_ => r.Next(1, 5)).ToArray();
            int[] Squash() => full.Select(d => r.Next(3) == 0 ? 1 : d).Skip(r.Next(0, rank)).ToArray();
            var sa = Squash();
            var sb = Squash();
            var a = F(RandomFloats(r, sa.Aggregate(1, (x, y) => x * y)), sa);
            var b = F(RandomFloats(r, sb.Aggregate(1, (x, y) => x * y)), sb);
            string op = ops[trial % ops.Length];
            var got = Compute1(op, [a, b]);
            var outShape = TypedGraph.Kernels.Common.Broadcast.Shape(a.Shape, b.Shape);
            Assert.Equal(outShape, got.Shape);
            var av = a.ToArray<float>();
            var bv = b.ToArray<float>();
            var gv = got.ToArray<float>();
            var od = outShape.ToArray();
            for (int i = 0; i < gv.Length; i++)
            {
                var idx = new int[od.Length];
                int rem = i;
                for (int d = od.Length - 1; d >= 0; d--) { idx[d] = rem % od[d]; rem /= od[d]; }
                float x = av[Flat(idx, a.Shape)], y = bv[Flat(idx, b.Shape)];
                float expected = op switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, "Maximum" => Math.Max(x, y), _ => (x - y) * (x - y) };
                Assert.True(Math.Abs(expected - gv[i]) < 1e-6, $"{op} {a.Shape}⊕{b.Shape} at {i}: {gv[i]} vs {expected}");
            }
        }
    }

    private static int Flat(int[] outIdx, TensorShape s)
    {
        int f = 0, off = outIdx.Length - s.Rank;
        for (int d = 0; d < s.Rank; d++) f = f * s[d] + (s[d] == 1 ? 0 : outIdx[d + off]);
        return f;
    }

    [Fact]
    public void UnaryMathAndActivations()
    {
        var x = F([-2, -0.5f, 0, 0.5f, 2, 7]);
        Assert.Equal([2f, 0.5f, -0f, -0.5f, -2, -7], Compute1("Neg", [x]).ToArray<float>());
        Assert.Equal([0f, 0, 0, 0.5f, 2, 7], Compute1("Relu", [x]).ToArray<float>());
        Assert.Equal([0f, 0, 0, 0.5f, 2, 6], Compute1("Relu6", [x]).ToArray<float>());
        Assert.Equal([4f, 0.25f, 0, 0.25f, 4, 49], Compute1("Square", [x]).ToArray<float>());
        Assert.Equal([-1f, -1, 0, 1, 1, 1], Compute1("Sign", [x]).ToArray<float>());
        Assert.Equal([-0.4f, -0.1f, 0, 0.5f, 2, 7], Compute1("LeakyRelu", [x], Attrs(("alpha", 0.2f))).ToArray<float>());
        Close([-2 * 0.2f, -0.5f * 0.2f, 0, 0.5f, 2, 7], Compute1("LeakyRelu", [x]).AsSpan<float>()); // default alpha 0.2
        Close([MathF.Exp(-2) - 1, MathF.Exp(-0.5f) - 1, 0, 0.5f, 2, 7], Compute1("Elu", [x]).AsSpan<float>());
        Close(x.ToArray<float>().Select(v => 1 / (1 + MathF.Exp(-v))).ToArray(), Compute1("Sigmoid", [x]).AsSpan<float>());
        Close(x.ToArray<float>().Select(MathF.Tanh).ToArray(), Compute1("Tanh", [x]).AsSpan<float>());
        Close(x.ToArray<float>().Select(v => MathF.Log(1 + MathF.Exp(v))).ToArray(), Compute1("Softplus", [x]).AsSpan<float>());
        const float scale = 1.0507009873554805f, alpha = 1.6732632423543772f;
        Close(x.ToArray<float>().Select(v => v < 0 ? scale * alpha * (MathF.Exp(v) - 1) : scale * v).ToArray(), Compute1("Selu", [x]).AsSpan<float>());
        var p = F([0.25f, 1, 4, 9]);
        Close([0.5f, 1, 2, 3], Compute1("Sqrt", [p]).AsSpan<float>());
        Close([2f, 1, 0.5f, 1f / 3], Compute1("Rsqrt", [p]).AsSpan<float>());
        Close([4f, 1, 0.25f, 1f / 9], Compute1("Reciprocal", [p]).AsSpan<float>());
        Close([4f, 1, 0.25f, 1f / 9], Compute1("Inv", [p]).AsSpan<float>());
        Close([MathF.Log(0.25f), 0, MathF.Log(4), MathF.Log(9)], Compute1("Log", [p]).AsSpan<float>());
        Close([MathF.Log(1.25f), MathF.Log(2), MathF.Log(5), MathF.Log(10)], Compute1("Log1p", [p]).AsSpan<float>());
        Close([MathF.Exp(0.25f), MathF.E, MathF.Exp(4), MathF.Exp(9)], Compute1("Exp", [p]).AsSpan<float>());
        var h = F([-2.5f, -1.5f, -0.5f, 0.5f, 1.5f, 2.5f, 1.7f]);
        Assert.Equal([-2f, -2, -0f, 0, 2, 2, 2], Compute1("Round", [h]).ToArray<float>()); // half to even
        Assert.Equal([-3f, -2, -1, 0, 1, 2, 1], Compute1("Floor", [h]).ToArray<float>());
        Assert.Equal([-2f, -1, -0f, 1, 2, 3, 2], Compute1("Ceil", [h]).ToArray<float>());
        Assert.Equal([3, 0, 4], Compute1("Abs", [I([-3, 0, 4])]).ToArray<int>());
        Assert.Equal([-1L, 0, 1], Compute1("Sign", [L([-9, 0, 4])]).ToArray<long>());
        Assert.Equal([9, 0, 16], Compute1("Square", [I([-3, 0, 4])]).ToArray<int>());
        Assert.Equal(0, Compute1("Exp", [Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 0))]).NumElements);
        Assert.Throws<GraphExecutionException>(() => Compute1("Exp", [I([1])]));
    }

    [Fact]
    public void ComparisonsLogicalAndSelect()
    {
        var a = F([1, 2, 3], 3);
        var b = Tensor.FromScalar(2f);
        Assert.Equal([false, true, false], Compute1("Equal", [a, b]).ToArray<bool>());
        Assert.Equal([true, false, true], Compute1("NotEqual", [a, b]).ToArray<bool>());
        Assert.Equal([true, false, false], Compute1("Less", [a, b]).ToArray<bool>());
        Assert.Equal([true, true, false], Compute1("LessEqual", [a, b]).ToArray<bool>());
        Assert.Equal([false, false, true], Compute1("Greater", [a, b]).ToArray<bool>());
        Assert.Equal([false, true, true], Compute1("GreaterEqual", [a, b]).ToArray<bool>());
        var grid = Compute1("Less", [I([1, 2], 2, 1), I([1, 2, 3], 1, 3)]);
        Assert.Equal(new TensorShape(2, 3), grid.Shape);
        Assert.Equal([false, true, true, false, false, true], grid.ToArray<bool>());
        Assert.Equal([true, false], Compute1("Equal", [Tensor.FromStrings(["a", "b"]), Tensor.FromString("a")]).ToArray<bool>());
        Assert.Equal([true, false], Compute1("Equal", [B([true, false]), B([true, true])]).ToArray<bool>());
        Assert.Throws<GraphExecutionException>(() => Compute1("Less", [B([true]), B([false])]));

        var t = B([true, false, true, false]);
        var f = B([true, true, false, false]);
        Assert.Equal([true, false, false, false], Compute1("LogicalAnd", [t, f]).ToArray<bool>());
        Assert.Equal([true, true, true, false], Compute1("LogicalOr", [t, f]).ToArray<bool>());
        Assert.Equal([false, true, false, true], Compute1("LogicalNot", [t]).ToArray<bool>());
        Assert.Equal([false, false, false, false], Compute1("LogicalAnd", [t, B([false], 1)]).ToArray<bool>());

        // Select with a vector condition picks whole rows (TF1 tf.where).
        var sel = Compute1("Select", [B([true, false]), F([1, 2, 3, 4], 2, 2), F([5, 6, 7, 8], 2, 2)]);
        Assert.Equal([1f, 2, 7, 8], sel.ToArray<float>());
        Assert.Equal([5f, 6, 7, 8], Compute1("Select", [Tensor.FromScalar(false), F([1, 2, 3, 4], 2, 2), F([5, 6, 7, 8], 2, 2)]).ToArray<float>());
        Assert.Equal([1, 20, 3], Compute1("Select", [B([true, false, true]), I([1, 2, 3]), I([10, 20, 30])]).ToArray<int>());
        // SelectV2 broadcasts all three: cond [2,1], then scalar, else [3].
        var v2 = Compute1("SelectV2", [B([true, false], 2, 1), Tensor.FromScalar(0L), L([7, 8, 9])]);
        Assert.Equal(new TensorShape(2, 3), v2.Shape);
        Assert.Equal([0L, 0, 0, 7, 8, 9], v2.ToArray<long>());
        var bad = Assert.Throws<GraphExecutionException>(() => Compute1("Select", [B([true, false, true]), F([1, 2, 3, 4], 2, 2), F([5, 6, 7, 8], 2, 2)]));
        Assert.Contains("first dim", bad.Message);
    }
}

public class ElementwiseParallelTests
{
    [Fact]
    public void LargeTensorsTakeTheMultiCorePathsAndStayExact()
    {
        var r = new Random(3);
        int rows = 1000, cols = 300;
        var a = TestTensors.RandomFloats(r, rows * cols);
        var b = TestTensors.RandomFloats(r, rows * cols);
        var bias = TestTensors.RandomFloats(r, cols);
        var sum = Compute1("Add", [TestTensors.F(a, rows, cols), TestTensors.F(b, rows, cols)]).ToArray<float>();
        var row = Compute1("Mul", [TestTensors.F(a, rows, cols), TestTensors.F(bias, 1, cols)]).ToArray<float>();
        var colVals = TestTensors.RandomFloats(r, rows);
        var col = Compute1("Sub", [TestTensors.F(a, rows, cols), TestTensors.F(colVals, rows, 1)]).ToArray<float>();
        var relu = Compute1("Relu", [TestTensors.F(a, rows, cols)]).ToArray<float>();
        var badd = Compute1("BiasAdd", [TestTensors.F(a, rows, cols), TestTensors.F(bias)]).ToArray<float>();
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                int k = i * cols + j;
                Assert.Equal(a[k] + b[k], sum[k]);
                Assert.Equal(a[k] * bias[j], row[k]);
                Assert.Equal(a[k] - colVals[i], col[k]);
                Assert.Equal(Math.Max(a[k], 0), relu[k]);
                Assert.Equal(a[k] + bias[j], badd[k]);
            }
    }
}
