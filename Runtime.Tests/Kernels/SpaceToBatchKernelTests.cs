using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// SpaceToBatchND / BatchToSpaceND / SpaceToBatch / BatchToSpace against TF's documented examples (array_ops.cc op
/// docs) and against the op's own definition in those docs — zero-pad, reshape to
/// <c>[batch] + [padded_i / block_i, block_i]… + remaining</c>, move the block offsets in front of batch, reshape —
/// written here as index arithmetic from the space side; TF's error texts (spacetobatch_op.cc,
/// batchtospace_op.cc); gradients (array_grad.py: each op's gradient is the other) against central differences.
/// </summary>
public sealed class SpaceToBatchKernelTests
{
    private static (string, AttrValue)[] BlockSize(int n) => OpHarness.Attrs(("block_size", n));

    // The docs' definition, from the space side: padded element (b, s_1…s_M, r) lands at output batch
    // (Σ_k (s_k mod block_k) row-major)·batch + b, spatial s_k / block_k.
    private static double[] Reference(double[] x, int[] shape, int[] block, int[,] pads, out int[] outShape)
    {
        int m = block.Length, batch = shape[0], depth = 1, product = 1;
        for (int d = m + 1; d < shape.Length; d++) depth *= shape[d];
        foreach (var v in block) product *= v;
        var padded = new int[m];
        for (int d = 0; d < m; d++) padded[d] = shape[d + 1] + pads[d, 0] + pads[d, 1];
        outShape = (int[])shape.Clone();
        outShape[0] = batch * product;
        for (int d = 0; d < m; d++) outShape[d + 1] = padded[d] / block[d];
        var y = new double[outShape.Aggregate(1, (a, b) => a * b)];
        int paddedCount = padded.Aggregate(1, (a, b) => a * b);
        for (int b = 0; b < batch; b++)
            for (int flat = 0; flat < paddedCount; flat++)
            {
                var s = new int[m];
                for (int d = m - 1, rest = flat; d >= 0; d--) { s[d] = rest % padded[d]; rest /= padded[d]; }
                int blk = 0, outPos = 0, inPos = b;
                bool inside = true;
                for (int d = 0; d < m; d++)
                {
                    blk = blk * block[d] + s[d] % block[d];
                    outPos = outPos * outShape[d + 1] + s[d] / block[d];
                    int src = s[d] - pads[d, 0];
                    if (src < 0 || src >= shape[d + 1]) inside = false;
                    inPos = inPos * shape[d + 1] + Math.Clamp(src, 0, shape[d + 1] - 1);
                }
                int outBatch = blk * batch + b;
                int outSpatial = 1;
                for (int d = 0; d < m; d++) outSpatial *= outShape[d + 1];
                for (int r = 0; r < depth; r++)
                    y[(outBatch * outSpatial + outPos) * depth + r] = inside ? x[inPos * depth + r] : 0;
            }
        return y;
    }

    [Fact]
    public void SpaceToBatchND_matches_the_documented_example_with_padding()
    {
        // array_ops.cc, SpaceToBatchND example (4): x [2, 2, 4, 1], block_shape [2, 2], paddings [[0, 0], [2, 0]].
        var x = F(Enumerable.Range(1, 16).Select(v => (float)v).ToArray(), 2, 2, 4, 1);
        var y = OpHarness.Run1("SpaceToBatchND", [x, I([2, 2]), I([0, 0, 2, 0], 2, 2)]);
        Assert.Equal(new[] { 8, 1, 3, 1 }, y.Shape.ToArray());
        Assert.Equal(new float[] { 0, 1, 3, 0, 9, 11, 0, 2, 4, 0, 10, 12, 0, 5, 7, 0, 13, 15, 0, 6, 8, 0, 14, 16 }, y.ToArray<float>());
        var back = OpHarness.Run1("BatchToSpaceND", [y, I([2, 2]), I([0, 0, 2, 0], 2, 2)]);
        Assert.Equal(x.Shape, back.Shape);
        Assert.Equal(x.ToArray<float>(), back.ToArray<float>());
    }

    [Fact]
    public void BatchToSpaceND_matches_the_documented_example_with_depth()
    {
        // array_ops.cc, BatchToSpaceND example (2): x [4, 1, 1, 3] → [1, 2, 2, 3].
        var x = F(Enumerable.Range(1, 12).Select(v => (float)v).ToArray(), 4, 1, 1, 3);
        var y = OpHarness.Run1("BatchToSpaceND", [x, I([2, 2]), I([0, 0, 0, 0], 2, 2)]);
        Assert.Equal(new[] { 1, 2, 2, 3 }, y.Shape.ToArray());
        Assert.Equal(Enumerable.Range(1, 12).Select(v => (float)v).ToArray(), y.ToArray<float>());
    }

    public static TheoryData<int[], int[], int[]> NdCases => new()
    {
        // shape, block_shape, paddings (flattened [M, 2])
        { new[] { 2, 5, 3, 2 }, new[] { 2, 3 }, new[] { 1, 0, 2, 1 } },
        { new[] { 1, 7 }, new[] { 3 }, new[] { 0, 2 } },
        { new[] { 3, 4, 2, 6, 2 }, new[] { 2, 1, 3 }, new[] { 0, 2, 1, 1, 0, 0 } }, // a middle dim with block 1 but padding
        { new[] { 2, 1, 4, 3 }, new[] { 1, 2 }, new[] { 0, 0, 1, 1 } },             // a leading dim TF folds into batch
        { new[] { 1, 2, 2, 1, 1, 2 }, new[] { 2, 1, 1, 2, 1 }, new[] { 0, 0, 0, 0, 1, 0, 1, 0, 0, 0 } }, // 4 internal dims, TF's limit
    };

    [Theory]
    [MemberData(nameof(NdCases))]
    public void SpaceToBatchND_and_its_inverse_match_the_documented_definition(int[] shape, int[] block, int[] padsFlat)
    {
        var pads = new int[block.Length, 2];
        for (int d = 0; d < block.Length; d++) { pads[d, 0] = padsFlat[2 * d]; pads[d, 1] = padsFlat[2 * d + 1]; }
        var rng = new Random(7);
        var x = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => Math.Round(rng.NextDouble() * 100)).ToArray();
        var expected = Reference(x, shape, block, pads, out var outShape);
        // int64 block_shape/paddings and a double input: the dtype attrs TF allows besides the int32 defaults.
        var y = OpHarness.Run1("SpaceToBatchND", [Tensor.Create(x, shape), L(block.Select(v => (long)v).ToArray()), L(padsFlat.Select(v => (long)v).ToArray(), block.Length, 2)]);
        Assert.Equal(outShape, y.Shape.ToArray());
        Assert.Equal(expected, y.ToArray<double>());
        var back = OpHarness.Run1("BatchToSpaceND", [y, I(block), I(padsFlat, block.Length, 2)]);
        Assert.Equal(shape, back.Shape.ToArray());
        Assert.Equal(x, back.ToArray<double>());
    }

    [Fact]
    public void BatchToSpaceND_crops_what_SpaceToBatchND_would_have_padded()
    {
        // Crops larger than the padding the forward op used cut real elements: out = x[:, 1:3, 1:2] of a 4 x 2 block grid.
        var rng = new Random(3);
        var x = Enumerable.Range(0, 4 * 2 * 3 * 2).Select(_ => (double)rng.Next(1000)).ToArray();
        var full = OpHarness.Run1("BatchToSpaceND", [Tensor.Create(x, 4, 2, 3, 2), I([2, 2]), I([0, 0, 0, 0], 2, 2)]); // [1, 4, 6, 2]
        var cropped = OpHarness.Run1("BatchToSpaceND", [Tensor.Create(x, 4, 2, 3, 2), I([2, 2]), I([1, 2, 3, 0], 2, 2)]);
        Assert.Equal(new[] { 1, 1, 3, 2 }, cropped.Shape.ToArray());
        var f = full.ToArray<double>();
        var expected = new List<double>();
        for (int h = 1; h < 2; h++) for (int w = 3; w < 6; w++) for (int c = 0; c < 2; c++) expected.Add(f[(h * 6 + w) * 2 + c]);
        Assert.Equal(expected, cropped.ToArray<double>());
    }

    [Fact]
    public void SpaceToBatch_and_BatchToSpace_old_forms_use_block_size_on_both_spatial_dims()
    {
        var x = F(Enumerable.Range(1, 16).Select(v => (float)v).ToArray(), 2, 2, 4, 1);
        var pads = I([0, 0, 2, 0], 2, 2);
        var nd = OpHarness.Run1("SpaceToBatchND", [x, I([2, 2]), pads]);
        var old = OpHarness.Run1("SpaceToBatch", [x, pads], BlockSize(2));
        Assert.Equal(nd.Shape, old.Shape);
        Assert.Equal(nd.ToArray<float>(), old.ToArray<float>());
        var back = OpHarness.Run1("BatchToSpace", [old, pads], BlockSize(2));
        Assert.Equal(x.ToArray<float>(), back.ToArray<float>());
    }

    [Fact]
    public void Integer_string_and_empty_inputs_move_unchanged()
    {
        var ints = OpHarness.Run1("SpaceToBatchND", [Tensor.Create(new long[] { 1, 2, 3, 4 }, 1, 4), I([2]), I([0, 0], 1, 2)]);
        Assert.Equal(new long[] { 1, 3, 2, 4 }, ints.ToArray<long>());
        var strings = OpHarness.Run1("BatchToSpaceND", [Tensor.FromStrings(["a", "b", "c", "d"], 2, 2), I([2]), I([1, 0], 1, 2)]);
        Assert.Equal(new[] { 1, 3 }, strings.Shape.ToArray());
        Assert.Equal(new[] { "c", "b", "d" }, strings.Strings.Select(s => System.Text.Encoding.UTF8.GetString(s)));
        var empty = OpHarness.Run1("SpaceToBatchND", [F([], 0, 4, 2), I([2]), I([0, 0], 1, 2)]);
        Assert.Equal(new[] { 0, 2, 2 }, empty.Shape.ToArray());
    }

    [Theory]
    [InlineData("SpaceToBatchND", new[] { 1, 3, 4, 1 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, "padded_shape[0]=3 is not divisible by block_shape[0]=2")]
    [InlineData("SpaceToBatchND", new[] { 1, 4, 4, 1 }, new[] { 2, 0 }, new[] { 0, 0, 0, 0 }, "All values in block_shape must be positive, got value, 0 at index 1.")]
    [InlineData("SpaceToBatchND", new[] { 1, 4, 4, 1 }, new[] { 2, 2 }, new[] { 0, -2, 0, 0 }, "Paddings must be non-negative")]
    [InlineData("SpaceToBatchND", new[] { 4, 4 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, "input rank should be >= 3 instead of 2")]
    [InlineData("BatchToSpaceND", new[] { 3, 1, 1, 1 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, "Input batch dimension (3) is not divisible by product of block sizes (4)")]
    [InlineData("BatchToSpaceND", new[] { 4, 1, 1, 1 }, new[] { 2, 2 }, new[] { 2, 1, 0, 0 }, "cropped_shape[0]=-1 must be non-negative")]
    [InlineData("BatchToSpaceND", new[] { 4, 1, 1, 1 }, new[] { 2, 2 }, new[] { 0, 0, -1, 0 }, "Crops must be non-negative")]
    public void Invalid_arguments_fail_with_TFs_messages(string op, int[] shape, int[] block, int[] pairs, string message)
    {
        var x = Tensor.Create(new float[shape.Aggregate(1, (a, b) => a * b)], shape);
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run1(op, [x, I(block), I(pairs, 2, 2)]));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Malformed_block_and_paddings_shapes_and_old_form_rank_are_refused()
    {
        var x = F(new float[16], 1, 4, 4, 1);
        Assert.Contains("paddings should have shape [2, 2] instead of [4]",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("SpaceToBatchND", [x, I([2, 2]), I([0, 0, 0, 0])])).Message);
        Assert.Contains("block_shape rank should be 1 instead of 2",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("SpaceToBatchND", [x, I([2, 2], 1, 2), I([0, 0, 0, 0], 2, 2)])).Message);
        Assert.Contains("Input rank should be: 4instead of: 3",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("SpaceToBatch", [F(new float[16], 1, 4, 4), I([0, 0, 0, 0], 2, 2)], BlockSize(2))).Message);
        Assert.Contains("Block size should be > 1: 1",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("BatchToSpace", [x, I([0, 0, 0, 0], 2, 2)], BlockSize(1))).Message);
    }

    [Fact]
    public void SpaceToBatchND_gradient_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("SpaceToBatchND",
                [x, b.Constant(new[] { 2, 3 }, "block"), b.Constant(Tensor.Create(new[] { 1, 0, 2, 1 }, 2, 2), "pads")])),
            RandomDoubles(2 * 3 * 3 * 2, 11), [2, 3, 3, 2]);

    [Fact]
    public void BatchToSpaceND_gradient_matches_central_differences()
        => CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("BatchToSpaceND",
                [x, b.Constant(new[] { 2, 2 }, "block"), b.Constant(Tensor.Create(new[] { 1, 0, 0, 2 }, 2, 2), "crops")])),
            RandomDoubles(8 * 2 * 3 * 1, 12), [8, 2, 3, 1]);

    [Fact]
    public void Old_form_gradients_match_central_differences()
    {
        var attrs = new Dictionary<string, AttrValue> { ["block_size"] = Attrs.Int(2) };
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("SpaceToBatch",
            [x, b.Constant(Tensor.Create(new[] { 1, 1, 0, 2 }, 2, 2), "pads")], attrs)), RandomDoubles(1 * 2 * 4 * 2, 13), [1, 2, 4, 2]);
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation("BatchToSpace",
            [x, b.Constant(Tensor.Create(new[] { 0, 1, 1, 1 }, 2, 2), "crops")], attrs)), RandomDoubles(4 * 2 * 2 * 1, 14), [4, 2, 2, 1]);
    }

    internal static double[] RandomDoubles(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
    }
}
