using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// (Sparse)SoftmaxCrossEntropyWithLogits compute their loss in shifted space, as TF's xent functors do, so large
/// logits keep their precision (issue 9 item 11): at logits around 1e4 the unshifted form gave 0.9736328 for an exact
/// 0.9740770. References are computed here in double.
/// </summary>
public sealed class XentStabilityTests
{
    private static readonly float[] Logits = [10000f, 10000.5f, 9999.25f, 10001f, 9998f, 10000.75f];

    // log Σ exp(x) − x[label] per row, in double with the max subtracted.
    private static double SparseReference(float[] row, int label)
    {
        double max = row.Max();
        double logSum = Math.Log(row.Sum(v => Math.Exp(v - max)));
        return logSum - (row[label] - max);
    }

    [Fact]
    public void Sparse_loss_at_logits_near_1e4_matches_the_exact_value()
    {
        var r = OpHarness.Compute("SparseSoftmaxCrossEntropyWithLogits", [Tensor.Create(Logits, 2, 3), Tensor.Create(new[] { 0, 2 }, 2)], outputs: 2);
        var loss = r[0].ToArray<float>();
        Assert.Equal(SparseReference(Logits[..3], 0), loss[0], 6);
        Assert.Equal(SparseReference(Logits[3..], 2), loss[1], 6);
        // backprop = softmax − one_hot, also from the shifted values
        var back = r[1].ToArray<float>();
        double max = Logits[..3].Max(), sum = Logits[..3].Sum(v => Math.Exp(v - max));
        for (int j = 0; j < 3; j++) Assert.Equal(Math.Exp(Logits[j] - max) / sum - (j == 0 ? 1 : 0), back[j], 6);
    }

    [Fact]
    public void Dense_loss_at_logits_near_1e4_matches_the_exact_value()
    {
        float[] labels = [0.25f, 0.5f, 0.25f, 0f, 0.1f, 0.9f];
        var r = OpHarness.Compute("SoftmaxCrossEntropyWithLogits", [Tensor.Create(Logits, 2, 3), Tensor.Create(labels, 2, 3)], outputs: 2);
        var loss = r[0].ToArray<float>();
        for (int b = 0; b < 2; b++)
        {
            double expected = 0;
            for (int j = 0; j < 3; j++) expected += labels[b * 3 + j] * SparseReference(Logits[(b * 3)..(b * 3 + 3)], j);
            Assert.Equal(expected, loss[b], 6);
        }
    }
}
