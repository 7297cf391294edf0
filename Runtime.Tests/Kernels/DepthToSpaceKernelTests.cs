using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// DepthToSpace / SpaceToDepth: TF's documented examples (array_ops.cc op docs), the DCR channel order checked
/// against the docs' formulation written here (depth index <c>(h%bs·bs + w%bs)·C + c</c> of pixel <c>(h/bs, w/bs)</c>),
/// NCHW as the same mapping transposed, TF's error texts (depthtospace_op.cc, spacetodepth_op.cc) and the gradients
/// (array_grad.py: each is the other) against central differences.
/// </summary>
public sealed class DepthToSpaceKernelTests
{
    private static (string, AttrValue)[] Block(int n, string format = "NHWC") => OpHarness.Attrs(("block_size", n), ("data_format", format));

    [Fact]
    public void DepthToSpace_matches_the_documented_examples()
    {
        var one = OpHarness.Run1("DepthToSpace", [F([1, 2, 3, 4], 1, 1, 1, 4)], Block(2));
        Assert.Equal(new[] { 1, 2, 2, 1 }, one.Shape.ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 4 }, one.ToArray<float>());
        // x [1, 2, 2, 4] = [[[[1,2,3,4],[5,6,7,8]],[[9,10,11,12],[13,14,15,16]]]] → [1, 4, 4, 1].
        var x = F(Enumerable.Range(1, 16).Select(v => (float)v).ToArray(), 1, 2, 2, 4);
        var y = OpHarness.Run1("DepthToSpace", [x], Block(2));
        Assert.Equal(new[] { 1, 4, 4, 1 }, y.Shape.ToArray());
        Assert.Equal(new float[] { 1, 2, 5, 6, 3, 4, 7, 8, 9, 10, 13, 14, 11, 12, 15, 16 }, y.ToArray<float>());
        var back = OpHarness.Run1("SpaceToDepth", [y], Block(2));
        Assert.Equal(x.Shape, back.Shape);
        Assert.Equal(x.ToArray<float>(), back.ToArray<float>());
    }

    [Theory]
    [InlineData(2, 3, 2, 2, 12)]
    [InlineData(1, 2, 4, 3, 9)]
    [InlineData(3, 1, 1, 4, 32)]
    public void DepthToSpace_uses_the_DCR_order_and_SpaceToDepth_inverts_it(int n, int h, int w, int bs, int c)
    {
        var rng = new Random(5);
        var x = Enumerable.Range(0, n * h * w * c).Select(_ => rng.Next(-500, 500)).ToArray();
        int oc = c / (bs * bs);
        var expected = new int[x.Length];
        for (int b = 0; b < n; b++)
            for (int oh = 0; oh < h * bs; oh++)
                for (int ow = 0; ow < w * bs; ow++)
                    for (int d = 0; d < oc; d++)
                        expected[((b * h * bs + oh) * w * bs + ow) * oc + d] = x[((b * h + oh / bs) * w + ow / bs) * c + ((oh % bs) * bs + ow % bs) * oc + d];
        var y = OpHarness.Run1("DepthToSpace", [Tensor.Create(x, n, h, w, c)], Block(bs));
        Assert.Equal(new[] { n, h * bs, w * bs, oc }, y.Shape.ToArray());
        Assert.Equal(expected, y.ToArray<int>());
        var back = OpHarness.Run1("SpaceToDepth", [y], Block(bs));
        Assert.Equal(x, back.ToArray<int>());

        // NCHW: the same mapping in a transposed layout.
        var nchw = Transpose(x, [n, h, w, c], toNchw: true);
        var yNchw = OpHarness.Run1("DepthToSpace", [Tensor.Create(nchw, n, c, h, w)], Block(bs, "NCHW"));
        Assert.Equal(new[] { n, oc, h * bs, w * bs }, yNchw.Shape.ToArray());
        Assert.Equal(Transpose(expected, [n, h * bs, w * bs, oc], toNchw: true), yNchw.ToArray<int>());
        Assert.Equal(nchw, OpHarness.Run1("SpaceToDepth", [yNchw], Block(bs, "NCHW")).ToArray<int>());
    }

    private static int[] Transpose(int[] nhwc, int[] dims, bool toNchw)
    {
        int n = dims[0], h = dims[1], w = dims[2], c = dims[3];
        var r = new int[nhwc.Length];
        for (int b = 0; b < n; b++) for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int d = 0; d < c; d++)
                        r[((b * c + d) * h + y) * w + x] = nhwc[((b * h + y) * w + x) * c + d];
        return r;
    }

    [Fact]
    public void Strings_bool_and_empty_batches_move_unchanged()
    {
        var s = OpHarness.Run1("SpaceToDepth", [Tensor.FromStrings(["a", "b", "c", "d"], 1, 2, 2, 1)], Block(2));
        Assert.Equal(new[] { 1, 1, 1, 4 }, s.Shape.ToArray());
        Assert.Equal(new[] { "a", "b", "c", "d" }, s.Strings.Select(v => System.Text.Encoding.UTF8.GetString(v)));
        var bools = OpHarness.Run1("DepthToSpace", [B([true, false, false, true], 1, 1, 1, 4)], Block(2));
        Assert.Equal(new[] { true, false, false, true }, bools.ToArray<bool>());
        var empty = OpHarness.Run1("DepthToSpace", [F([], 0, 3, 3, 8)], Block(2));
        Assert.Equal(new[] { 0, 6, 6, 2 }, empty.Shape.ToArray());
    }

    [Fact]
    public void Invalid_inputs_fail_with_TFs_messages()
    {
        Assert.Contains("Input depth dimension 6 should be divisible by: 4",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("DepthToSpace", [F(new float[6], 1, 1, 1, 6)], Block(2))).Message);
        Assert.Contains("Image width 3 and height 2 should be divisible by block_size: 2",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("SpaceToDepth", [F(new float[6], 1, 2, 3, 1)], Block(2))).Message);
        Assert.Contains("Input rank should be: 4 instead of: 3",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("DepthToSpace", [F(new float[4], 1, 1, 4)], Block(2))).Message);
        Assert.Contains("Block size should be > 1: 1",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("SpaceToDepth", [F(new float[4], 1, 2, 2, 1)], Block(1))).Message);
        Assert.Contains("NHWC_VECT_C kernel not yet implemented.",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("SpaceToDepth", [F(new float[4], 1, 2, 2, 1)], Block(2, "NCHW_VECT_C"))).Message);
    }

    [Theory]
    [InlineData("DepthToSpace", new[] { 2, 2, 3, 8 }, "NHWC")]
    [InlineData("SpaceToDepth", new[] { 1, 4, 6, 2 }, "NHWC")]
    [InlineData("DepthToSpace", new[] { 1, 8, 2, 3 }, "NCHW")]
    public void Gradients_match_central_differences(string op, int[] shape, string format)
    {
        var attrs = new Dictionary<string, AttrValue> { ["block_size"] = Attrs.Int(2), ["data_format"] = Attrs.String(format) };
        CentralDifferences.CheckGraphGradient((b, x) => b.OutputOf(b.AddOperation(op, [x], attrs)),
            SpaceToBatchKernelTests.RandomDoubles(shape.Aggregate(1, (p, q) => p * q), 21), shape);
    }
}
