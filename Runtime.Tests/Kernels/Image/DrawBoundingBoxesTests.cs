using TypedGraph.Protos;
using Xunit;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// DrawBoundingBoxes / DrawBoundingBoxesV2 against canvases drawn by hand from TF's op doc and its CPU kernel
/// (<c>draw_bounding_box_op.cc</c>: rows y·(H−1), columns x·(W−1) truncated toward zero; inverted or fully outside
/// boxes skipped; an edge drawn only if its own row/column is inside; colors cycle per box; default 10-color table).
/// </summary>
public class DrawBoundingBoxesTests
{
    // A reference painter written independently of the kernel: marks the pixels of the box outline with a color.
    private static float[] Expected(int h, int w, int depth, float[] background, params (int R0, int C0, int R1, int C1, float[] Color, bool Top, bool Bottom, bool Left, bool Right)[] outlines)
    {
        var e = (float[])background.Clone();
        foreach (var o in outlines)
        {
            void Set(int r, int c)
            {
                for (int ch = 0; ch < depth; ch++) e[(r * w + c) * depth + ch] = o.Color[ch];
            }
            int rowLo = Math.Max(o.R0, 0), rowHi = Math.Min(o.R1, h - 1), colLo = Math.Max(o.C0, 0), colHi = Math.Min(o.C1, w - 1);
            if (o.Top) for (int c = colLo; c <= colHi; c++) Set(o.R0, c);
            if (o.Bottom) for (int c = colLo; c <= colHi; c++) Set(o.R1, c);
            if (o.Left) for (int r = rowLo; r <= rowHi; r++) Set(r, o.C0);
            if (o.Right) for (int r = rowLo; r <= rowHi; r++) Set(r, o.C1);
        }
        return e;
    }

    [Fact]
    public void V2_TfDocExample_RedBoxAroundA3x3Image()
    {
        // tf.image.draw_bounding_boxes docstring: zeros [1,3,3,3], box [0,0,1,1], colors red/blue → a red ring, centre 0.
        var output = Compute1("DrawBoundingBoxesV2", [F(new float[27], 1, 3, 3, 3), F([0, 0, 1, 1], 1, 1, 4), F([1, 0, 0, 0, 0, 1], 2, 3)]).ToArray<float>();
        float[] red = [1, 0, 0];
        var want = new float[27];
        for (int p = 0; p < 9; p++) if (p != 4) red.CopyTo(want, p * 3);
        Assert.Equal(want, output);
    }

    [Fact]
    public void V1_UsesTheDefaultTable_InBoxOrder_AndKeepsTheImageElsewhere()
    {
        const int h = 11, w = 21;
        var r = new Random(3);
        var image = Enumerable.Range(0, h * w * 3).Select(_ => (float)r.NextDouble()).ToArray();
        // Box 0 → rows 0.2·10 = 2 .. 0.8·10 = 8, cols 0.1·20 = 2 .. 0.55·20 = 11; box 1 → rows 1..5, cols 14..18.
        float[] boxes = [0.2f, 0.1f, 0.8f, 0.55f, 0.1f, 0.7f, 0.5f, 0.9f];
        var output = Compute1("DrawBoundingBoxes", [F(image, 1, h, w, 3), F(boxes, 1, 2, 4)]).ToArray<float>();
        var want = Expected(h, w, 3, image, (2, 2, 8, 11, [1, 1, 0], true, true, true, true), (1, 14, 5, 18, [0, 0, 1], true, true, true, true));
        Assert.Equal(want, output);
    }

    [Fact]
    public void PartlyOutsideBoxes_DrawOnlyTheEdgesInside_AndTruncateTowardZero()
    {
        const int h = 11, w = 11;
        var background = new float[h * w];
        // y_min −0.05·10 = −0.5 truncates to row 0 (drawn); y_max 1.5·10 = 15 is outside (bottom edge not drawn);
        // x_min −0.3·10 = −3 (left edge not drawn); x_max 0.42·10 = 4.2 → column 4.
        var output = Compute1("DrawBoundingBoxesV2", [F(background, 1, h, w, 1), F([-0.05f, -0.3f, 1.5f, 0.42f], 1, 1, 4), F([0.25f, 9, 9], 1, 3)]).ToArray<float>();
        var want = Expected(h, w, 1, background, (0, -3, 15, 4, [0.25f], true, false, false, true));
        Assert.Equal(want, output);
    }

    [Fact]
    public void InvertedAndFullyOutsideBoxesAreSkipped_ColorsCyclePerBoxIndex()
    {
        const int h = 6, w = 6;
        var background = new float[h * w * 4];
        float[] boxes =
        [
            0.8f, 0.2f, 0.2f, 0.8f, // inverted rows: skipped (still uses color slot 0)
            1.4f, 0.0f, 2.0f, 1.0f, // entirely below the image: skipped (slot 1)
            0.0f, 0.0f, 0.4f, 0.4f, // drawn with slot 2 % 2 = 0
        ];
        float[] colors = [0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f];
        var output = Compute1("DrawBoundingBoxesV2", [F(background, 1, h, w, 4), F(boxes, 1, 3, 4), F(colors, 2, 4)]).ToArray<float>();
        var want = Expected(h, w, 4, background, (0, 0, 2, 2, [0.1f, 0.2f, 0.3f, 0.4f], true, true, true, true));
        Assert.Equal(want, output);
    }

    [Fact]
    public void GreyImagesGetWhiteDefaultBoxes_EmptyColorsMeansDefaults_HalfImagesToo()
    {
        const int h = 5, w = 5;
        var background = Enumerable.Repeat(0.5f, h * w).ToArray();
        var grey = Compute1("DrawBoundingBoxesV2", [F(background, 1, h, w, 1), F([0, 0, 1, 1], 1, 1, 4), F([], 0, 4)]).ToArray<float>();
        var want = Expected(h, w, 1, background, (0, 0, 4, 4, [1f], true, true, true, true));
        Assert.Equal(want, grey);
        var half = Compute1("DrawBoundingBoxes", [Tensor.Create(background.Select(v => (Half)v).ToArray(), [1, h, w, 1]), F([0.25f, 0.25f, 0.75f, 0.75f], 1, 1, 4)]);
        Assert.Equal(DataType.DtHalf, half.DType);
        var wantHalf = Expected(h, w, 1, background, (1, 1, 3, 3, [1f], true, true, true, true));
        Assert.Equal(wantHalf, half.ToArray<Half>().Select(v => (float)v).ToArray());
    }

    [Fact]
    public void PerImageBoxesInABatch_AndNoBoxesCopiesTheImage()
    {
        var background = new float[2 * 3 * 3 * 3];
        var output = Compute1("DrawBoundingBoxes", [F(background, 2, 3, 3, 3), F([0, 0, 0, 1, 1, 1, 1, 1], 2, 1, 4)]).ToArray<float>();
        var first = Expected(3, 3, 3, new float[27], (0, 0, 0, 2, [1, 1, 0], true, true, true, true));
        var second = Expected(3, 3, 3, new float[27], (2, 2, 2, 2, [1, 1, 0], true, true, true, true));
        Assert.Equal(first.Concat(second).ToArray(), output);
        var image = Enumerable.Range(0, 12).Select(i => i * 0.1f).ToArray();
        Assert.Equal(image, Compute1("DrawBoundingBoxes", [F(image, 1, 2, 2, 3), F([], 1, 0, 4)]).ToArray<float>());
    }

    [Fact]
    public void BadShapesGiveTfErrors()
    {
        string Err(string op, params Tensor[] inputs) => Assert.Throws<GraphExecutionException>(() => Compute1(op, inputs)).Message;
        Assert.Contains("The rank of the images should be 4", Err("DrawBoundingBoxes", F(new float[9], 3, 3, 1), F([0, 0, 1, 1], 1, 1, 4)));
        Assert.Contains("The rank of the boxes tensor should be 3", Err("DrawBoundingBoxes", F(new float[9], 1, 3, 3, 1), F([0, 0, 1, 1], 1, 4)));
        Assert.Contains("The batch sizes should be the same", Err("DrawBoundingBoxes", F(new float[9], 1, 3, 3, 1), F(new float[8], 2, 1, 4)));
        Assert.Contains("Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)", Err("DrawBoundingBoxes", F(new float[18], 1, 3, 3, 2), F([0, 0, 1, 1], 1, 1, 4)));
        Assert.Contains("The size of the third dimension of the box must be 4. Received: 3", Err("DrawBoundingBoxes", F(new float[9], 1, 3, 3, 1), F([0, 0, 1], 1, 1, 3)));
        Assert.Contains("colors must be a 2-D matrix", Err("DrawBoundingBoxesV2", F(new float[27], 1, 3, 3, 3), F([0, 0, 1, 1], 1, 1, 4), F([1, 0, 0], 3)));
        Assert.Contains("colors must have equal or more channels than the image provided", Err("DrawBoundingBoxesV2", F(new float[27], 1, 3, 3, 3), F([0, 0, 1, 1], 1, 1, 4), F([1, 0], 1, 2)));
    }
}
