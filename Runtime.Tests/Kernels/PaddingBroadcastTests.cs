using TypedGraph.Kernels.Common;

namespace TypedGraph.Tests.Kernels;

public class PaddingBroadcastTests
{
    // (input, filter, dilation, stride) → (out, before, after), worked by TF's formulas by hand.
    [Theory]
    [InlineData(5, 3, 1, 1, 5, 1, 1)] // odd input, stride 1: total 2 → 1/1
    [InlineData(4, 3, 1, 2, 2, 0, 1)] // even input, stride 2: out 2, total (1·2+3−4)=1 → 0 before, 1 after
    [InlineData(5, 3, 1, 2, 3, 1, 1)] // odd input, stride 2: out 3, total (2·2+3−5)=2 → 1/1
    [InlineData(6, 2, 1, 2, 3, 0, 0)] // exact tiling needs no padding
    [InlineData(4, 4, 1, 1, 4, 1, 2)] // even kernel: total 3 → 1 before, 2 after (extra at the end)
    [InlineData(7, 3, 2, 1, 7, 2, 2)] // dilation 2: effective 5 → total 4
    [InlineData(2, 5, 1, 3, 1, 1, 2)] // window larger than input: total 3 → 1/2
    public void SameMatchesTf(int input, int filter, int dilation, int stride, int output, int before, int after)
    {
        int b = -1, a = -1;
        Assert.Equal(output, Padding.OutputSize(input, filter, dilation, stride, PaddingKind.Same, ref b, ref a));
        Assert.Equal((before, after), (b, a));
    }

    [Theory]
    [InlineData(5, 3, 1, 1, 3)]
    [InlineData(5, 3, 1, 2, 2)]
    [InlineData(4, 3, 1, 2, 1)]
    [InlineData(7, 3, 2, 1, 3)]
    [InlineData(2, 3, 1, 2, 0)] // (2 − 3 + 2) / 2 = 0: TF gives an empty output, not an error
    public void ValidMatchesTf(int input, int filter, int dilation, int stride, int output)
        => Assert.Equal(output, Padding.OutputSize(input, filter, dilation, stride, PaddingKind.Valid));

    [Fact]
    public void ExplicitUsesGivenPadsAndNegativeSizeIsAnError()
    {
        int b = 2, a = 1;
        Assert.Equal(3, Padding.OutputSize(5, 3, 1, 2, PaddingKind.Explicit, ref b, ref a)); // (5+3−3+2)/2 = 7/2
        Assert.Throws<ArgumentException>(() => Padding.OutputSize(1, 3, 1, 1, PaddingKind.Valid));
        Assert.Throws<ArgumentException>(() => Padding.OutputSize(5, 3, 1, 0, PaddingKind.Same));
    }

    [Fact]
    public void BroadcastShapesAndStrides()
    {
        Assert.Equal(new TensorShape(2, 3, 4), Broadcast.Shape(new TensorShape(3, 1), new TensorShape(2, 1, 4)));
        Assert.Equal(new TensorShape(0, 3), Broadcast.Shape(new TensorShape(0, 1), new TensorShape(3)));
        Assert.Equal(new TensorShape(5), Broadcast.Shape(TensorShape.Scalar, new TensorShape(5)));
        var ex = Assert.Throws<ArgumentException>(() => Broadcast.Shape(new TensorShape(2, 3), new TensorShape(4)));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Equal([0L, 1L, 0L], Broadcast.Strides(new TensorShape(3, 1), new TensorShape(2, 3, 4)));
    }

    [Fact]
    public void PlanMergesDimsWithTheSameBroadcastPattern()
    {
        // [2,3,4] + [1,3,4]: the inner 3·4 merge into one row of 12; a repeats nothing, b repeats per outer row.
        var plan = BroadcastPlan.Create(new TensorShape(2, 3, 4), new TensorShape(2, 3, 4), new TensorShape(3, 4));
        Assert.Equal(12, plan.InnerLength);
        Assert.Equal(2, plan.Rows);
        Span<long> offs = stackalloc long[2];
        plan.RowOffsets(1, offs);
        Assert.Equal(12, offs[0]);
        Assert.Equal(0, offs[1]);
    }
}
