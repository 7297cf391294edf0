using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

public class ReductionTests
{
    private static Tensor Reduce(string op, Tensor x, Tensor axes, bool keep = false)
        => Compute1(op, [x, axes], Attrs(("keep_dims", keep), ("Tidx", DataType.DtInt32)));

    /// <summary>TF's ReductionOp reduces nothing when no axis (or only axes of size 1) is reduced: the output is the input's
    /// values bit for bit — −0 stays −0 (0 + −0 would be +0), NaN payloads stay — in the reduced shape.</summary>
    [Theory]
    [InlineData("Sum")]
    [InlineData("Mean")]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("Prod")]
    public void ReducingNothing_GivesTheInputsBits(string op)
    {
        float[] values = [-0f, 1.5f, float.NaN, -3f, float.NegativeInfinity, BitConverter.Int32BitsToSingle(0x7FC00123)];
        static int[] Bits(Tensor t) => t.ToArray<float>().Select(BitConverter.SingleToInt32Bits).ToArray();
        var expected = values.Select(BitConverter.SingleToInt32Bits).ToArray();
        var x = F(values, 2, 1, 3);
        var none = Reduce(op, x, I([]));
        Assert.Equal(new TensorShape(2, 1, 3), none.Shape);
        Assert.Equal(expected, Bits(none));
        var sizeOne = Reduce(op, x, I([1]));
        Assert.Equal(new TensorShape(2, 3), sizeOne.Shape);
        Assert.Equal(expected, Bits(sizeOne));
        var kept = Reduce(op, x, L([-2]), keep: true);
        Assert.Equal(new TensorShape(2, 1, 3), kept.Shape);
        Assert.Equal(expected, Bits(kept));
        Assert.Equal([7, -2], Reduce(op, I([7, -2], 2, 1), I([1])).ToArray<int>());
    }

    [Fact]
    public void GoldenTableOverAxes()
    {
        var x = F([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([6f, 15], Reduce("Sum", x, Tensor.FromScalar(1)).ToArray<float>());
        Assert.Equal([5f, 7, 9], Reduce("Sum", x, I([0])).ToArray<float>());
        Assert.Equal([5f, 7, 9], Reduce("Sum", x, Tensor.FromScalar(-2)).ToArray<float>());
        Assert.Equal(21f, Reduce("Sum", x, I([0, 1])).Scalar<float>());
        Assert.Equal(21f, Reduce("Sum", x, L([1, -2, 1])).Scalar<float>()); // duplicates allowed, int64 axes
        var kept = Reduce("Mean", x, I([1]), keep: true);
        Assert.Equal(new TensorShape(2, 1), kept.Shape);
        Assert.Equal([2f, 5], kept.ToArray<float>());
        Assert.Equal([3f, 6], Reduce("Max", x, I([1])).ToArray<float>());
        Assert.Equal([1f, 2, 3], Reduce("Min", x, I([0])).ToArray<float>());
        Assert.Equal([6f, 120], Reduce("Prod", x, I([1])).ToArray<float>());
        // Empty axes: the input unchanged.
        var same = Reduce("Sum", x, I([]));
        Assert.Equal(x.Shape, same.Shape);
        Assert.Equal(x.ToArray<float>(), same.ToArray<float>());
        // Integer Mean truncates like TF's integer division.
        Assert.Equal([2, 5], Reduce("Mean", I([1, 2, 4, 4, 5, 7], 2, 3), I([1])).ToArray<int>());
        Assert.Equal([5L, 7, 9], Reduce("Sum", L([1, 2, 3, 4, 5, 6], 2, 3), I([0])).ToArray<long>());
        var b = B([true, false, true, true], 2, 2);
        Assert.Equal([false, true], Reduce("All", b, I([1])).ToArray<bool>());
        Assert.Equal([true, true], Reduce("Any", b, I([0])).ToArray<bool>());
        Assert.Equal(0, Reduce("Sum", Tensor.FromScalar(3f), I([])).Shape.Rank);
    }

    [Fact]
    public void EmptyReductionsGiveIdentities()
    {
        var e = Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 0));
        Assert.Equal([0f, 0], Reduce("Sum", e, I([1])).ToArray<float>());
        Assert.Equal([1f, 1], Reduce("Prod", e, I([1])).ToArray<float>());
        Assert.Equal([float.NegativeInfinity, float.NegativeInfinity], Reduce("Max", e, I([1])).ToArray<float>());
        Assert.True(float.IsNaN(Reduce("Mean", e, I([1])).ToArray<float>()[0]));
        Assert.Equal([true, true], Reduce("All", Tensor.Zeros(DataType.DtBool, new TensorShape(2, 0)), I([1])).ToArray<bool>());
        Assert.Equal(new TensorShape(0), Reduce("Sum", e, I([0])).Shape);
    }

    [Fact]
    public void BadAxesAreNamedErrors()
    {
        var ex = Assert.Throws<GraphExecutionException>(() => Reduce("Sum", F([1, 2], 2), I([1])));
        Assert.Contains("Invalid reduction dimension", ex.Message);
        Assert.Throws<GraphExecutionException>(() => Reduce("Sum", F([1, 2], 2), F([0])));
        Assert.Throws<GraphExecutionException>(() => Reduce("All", F([1, 2], 2), I([0])));
    }

    [Fact]
    public void RandomAxesMatchNaiveReduction()
    {
        var r = new Random(7);
        string[] ops = ["Sum", "Max", "Min", "Mean", "Prod"];
        for (int trial = 0; trial < 80; trial++)
        {
            int rank = r.Next(1, 6);
            var dims = Enumerable.Range(0, rank).Select(_ => r.Next(1, 5)).ToArray();
            var axes = Enumerable.Range(0, rank).Where(_ => r.Next(2) == 0).ToArray();
            var x = F(RandomFloats(r, dims.Aggregate(1, (a, b) => a * b)), dims);
            string op = ops[trial % ops.Length];
            bool keep = r.Next(2) == 0;
            var got = Reduce(op, x, I(axes.Select(a => r.Next(2) == 0 ? a - rank : a).ToArray()), keep);
            var outDims = dims.Select((d, i) => axes.Contains(i) ? (keep ? 1 : -1) : d).Where(d => d >= 0).ToArray();
            Assert.Equal(new TensorShape(outDims), got.Shape);
            // Naive: accumulate each input element into its output slot.
            int outCount = dims.Select((d, i) => axes.Contains(i) ? 1 : d).Aggregate(1, (a, b) => a * b);
            var acc = new double[outCount];
            var cnt = new int[outCount];
            Array.Fill(acc, op switch { "Max" => double.NegativeInfinity, "Min" => double.PositiveInfinity, "Prod" => 1, _ => 0 });
            var xv = x.ToArray<float>();
            for (int i = 0; i < xv.Length; i++)
            {
                int rem = i, o = 0, mul = 1;
                for (int d = rank - 1; d >= 0; d--)
                {
                    int idx = rem % dims[d];
                    rem /= dims[d];
                    if (!axes.Contains(d)) { o += idx * mul; mul *= dims[d]; }
                }
                acc[o] = op switch { "Max" => Math.Max(acc[o], xv[i]), "Min" => Math.Min(acc[o], xv[i]), "Prod" => acc[o] * xv[i], _ => acc[o] + xv[i] };
                cnt[o]++;
            }
            var expected = acc.Select((v, i) => (float)(op == "Mean" ? v / cnt[i] : v)).ToArray();
            Close(expected, got.AsSpan<float>(), 1e-5f, $"{op} dims [{string.Join(",", dims)}] axes [{string.Join(",", axes)}]");
        }
    }

    [Fact]
    public void ArgMaxArgMin()
    {
        var x = F([1, 9, 3, 9, 7, 0], 2, 3);
        Assert.Equal([1L, 0], Compute1("ArgMax", [x, Tensor.FromScalar(1)]).ToArray<long>());
        Assert.Equal([1L, 0, 0], Compute1("ArgMax", [x, Tensor.FromScalar(0)]).ToArray<long>()); // tie at column 1 → first
        Assert.Equal([0, 2], Compute1("ArgMin", [x, Tensor.FromScalar(-1)], Attrs(("output_type", DataType.DtInt32))).ToArray<int>());
        Assert.Equal([2L], Compute1("ArgMax", [I([1, 2, 5, 5]), Tensor.FromScalar(0L)]).ToArray<long>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("ArgMax", [x, Tensor.FromScalar(2)]));
        Assert.Contains("range [-2, 2)", ex.Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("ArgMax", [Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 0)), Tensor.FromScalar(1)]));
    }

    [Fact]
    public void OneHotAxesAndOutOfRange()
    {
        var y = Compute1("OneHot", [I([0, 2, -1, 5]), Tensor.FromScalar(3), Tensor.FromScalar(1f), Tensor.FromScalar(0f)]);
        Assert.Equal(new TensorShape(4, 3), y.Shape);
        Assert.Equal([1f, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0], y.ToArray<float>());
        var t = Compute1("OneHot", [L([1, 0]), Tensor.FromScalar(2), Tensor.FromScalar(5), Tensor.FromScalar(-1)], Attrs(("axis", 0)));
        Assert.Equal(new TensorShape(2, 2), t.Shape);
        Assert.Equal([-1, 5, 5, -1], t.ToArray<int>());
        var ex = Assert.Throws<GraphExecutionException>(() => Compute1("OneHot", [I([0]), Tensor.FromScalar(-1), Tensor.FromScalar(1f), Tensor.FromScalar(0f)]));
        Assert.Contains("depth", ex.Message);
    }

    [Fact]
    public void TopKAndInTopK()
    {
        var x = F([1, 5, 3, 5, 2, 0, -1, 9], 2, 4);
        var r = Compute("TopKV2", [x, Tensor.FromScalar(2)], 2);
        Assert.Equal(new TensorShape(2, 2), r[0].Shape);
        Assert.Equal([5f, 5, 9, 2], r[0].ToArray<float>());
        Assert.Equal([1, 3, 3, 0], r[1].ToArray<int>()); // tie 5/5: lower index first
        var v1 = Compute("TopK", [I([4, 1, 3])], 2, Attrs(("k", 1)));
        Assert.Equal([4], v1[0].ToArray<int>());
        Assert.Throws<GraphExecutionException>(() => Compute("TopKV2", [x, Tensor.FromScalar(5)], 2));
        // Row 0 target 1 (value 5): nothing larger → in top 2. Row 1 target 2 (value −1): 2, 0, 9 larger → not.
        var inTop = Compute1("InTopKV2", [x, I([1, 2]), Tensor.FromScalar(2)]);
        Assert.Equal([true, false], inTop.ToArray<bool>());
        Assert.Equal([false, true], Compute1("InTopK", [x, L([0, 3])], Attrs(("k", 1))).ToArray<bool>());
    }
}
