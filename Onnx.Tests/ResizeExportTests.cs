using TypedGraph.Building;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// ResizeBilinear / ResizeNearestNeighbor with each of TF's coordinate modes (neither flag, align_corners,
/// half_pixel_centers), up- and downsampling, static and dynamic sizes, exported and run by ONNX Runtime against our
/// Session; nearest results are also checked pixel by pixel against TF's index formula written here.
/// </summary>
public class ResizeExportTests(ITestOutputHelper log)
{
    private static Output Resize(GraphBuilder b, string op, Output images, Output size, bool align, bool half, string name)
    {
        var def = new NodeDef { Name = b.UniqueName(name), Op = op };
        def.Input.Add(images.InputString);
        def.Input.Add(size.InputString);
        def.Attr["T"] = Attrs.Type(images.DType);
        def.Attr["align_corners"] = Attrs.Bool(align);
        def.Attr["half_pixel_centers"] = Attrs.Bool(half);
        b.Graph.AddNode(def);
        return new Output(def.Name, 0, op == "ResizeBilinear" ? DataType.DtFloat : images.DType);
    }

    private static readonly (bool Align, bool Half)[] s_modes = [(false, false), (true, false), (false, true)];

    // resize_nearest_neighbor_op.cc, in float as TF computes it.
    private static int NearestSource(int o, int inSize, int outSize, bool align, bool half)
    {
        float scale = align && outSize > 1 ? (inSize - 1) / (float)(outSize - 1) : inSize / (float)outSize;
        float src = half ? (o + 0.5f) * scale : o * scale;
        int i = align ? (int)MathF.Round(src, MidpointRounding.AwayFromZero) : (int)MathF.Floor(src);
        return Math.Clamp(i, 0, inSize - 1);
    }

    [Theory]
    [InlineData(9, 11)]   // upsampling
    [InlineData(4, 3)]    // downsampling, 6 → 4 rows: output row 2 reads row 3 exactly (2·1.5)
    [InlineData(1, 1)]
    public void EveryCoordinateModeMatchesOrtAndNearestPicksTfsPixels(int outH, int outW)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 6, 5, 3], "x");
        var size = b.Constant(new[] { outH, outW }, "size");
        var outputs = new List<(Output Y, string Op, bool Align, bool Half)>();
        foreach (var op in new[] { "ResizeBilinear", "ResizeNearestNeighbor" })
            foreach (var (align, half) in s_modes)
                outputs.Add((Resize(b, op, x, size, align, half, $"{op}_{(align ? "align" : half ? "half" : "plain")}"), op, align, half));
        using var session = new Session(b.Graph);
        var input = OrtCheck.RandomFloats(70, -2, 2, 3, 6, 5, 3);
        var r = OrtCheck.ExportAndCompare(session, [("x:0", input)], outputs.Select(o => o.Y.Name).ToList());
        foreach (var (name, err) in r.MaxError) log.WriteLine($"{outH}x{outW} {name}: max error {err:E2}");
        var xv = input.ToArray<float>();
        foreach (var (y, op, align, half) in outputs)
        {
            var got = r.Ours[y.Name].ToArray<float>();
            for (int n = 0; n < 3; n++)
                for (int oy = 0; oy < outH; oy++)
                    for (int ox = 0; ox < outW; ox++)
                        for (int c = 0; c < 3; c++)
                        {
                            float value = got[((n * outH + oy) * outW + ox) * 3 + c];
                            if (op == "ResizeNearestNeighbor")
                            {
                                int sy = NearestSource(oy, 6, outH, align, half), sx = NearestSource(ox, 5, outW, align, half);
                                Assert.Equal(xv[((n * 6 + sy) * 5 + sx) * 3 + c], value);
                            }
                            else if (align && outH > 1 && outW > 1 && (oy == 0 || oy == outH - 1) && (ox == 0 || ox == outW - 1))
                            {
                                // align_corners keeps the corner pixels exactly.
                                int sy = oy == 0 ? 0 : 5, sx = ox == 0 ? 0 : 4;
                                Assert.Equal(xv[((n * 6 + sy) * 5 + sx) * 3 + c], value, 6);
                            }
                        }
        }
    }

    [Fact]
    public void DynamicImageAndSizeUseOnnxResizeOrGatherIndicesComputedInTheGraph()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, -1, -1, 2], "x");
        var size = b.Placeholder(DataType.DtInt32, [2], "size");
        var outputs = new List<Output>();
        foreach (var op in new[] { "ResizeBilinear", "ResizeNearestNeighbor" })
            foreach (var (align, half) in s_modes)
                outputs.Add(Resize(b, op, x, size, align, half, op));
        using var session = new Session(b.Graph);
        // The default probe feeds an int input zeros, an invalid size: give the probe run a real one.
        var options = new OnnxExportOptions { ProbeInputs = new Dictionary<string, Tensor> { ["size:0"] = Tensor.Create(new[] { 3, 3 }, [2]) } };
        var model = OnnxExporter.Export(session, ["x:0", "size:0"], outputs.Select(o => o.Name).ToList(), options);
        Assert.Equal(3, model.Graph.Node.Count(n => n.OpType == "Resize"));
        foreach (var (h, w, oh, ow) in new[] { (4, 7, 8, 3), (6, 6, 4, 4), (3, 2, 7, 9) })
        {
            (string, Tensor)[] feeds = [("x:0", OrtCheck.RandomFloats(h * 10 + w, -1, 1, 2, h, w, 2)), ("size:0", Tensor.Create(new[] { oh, ow }, [2]))];
            var r = OrtCheck.Compare(model, session, feeds, outputs.Select(o => o.Name).ToList());
            log.WriteLine($"{h}x{w} → {oh}x{ow}: max error {r.Worst:E2}");
        }
    }

    [Fact]
    public void ResizeBetweenConvolutionsStaysInsideTheNchwRegion()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 5, 5, 2], "x");
        var f1 = b.Constant(OrtCheck.RandomFloats(71, -1, 1, 3, 3, 2, 4), "f1");
        var f2 = b.Constant(OrtCheck.RandomFloats(72, -1, 1, 3, 3, 4, 2), "f2");
        var c1 = b.Conv2D(x, f1, [1, 1, 1, 1], "SAME");
        var up = Resize(b, "ResizeBilinear", b.Relu(c1), b.Constant(new[] { 10, 10 }, "up_size"), false, true, "up");
        var near = Resize(b, "ResizeNearestNeighbor", up, b.Constant(new[] { 7, 7 }, "near_size"), false, false, "near");
        var y = b.Conv2D(near, f2, [1, 1, 1, 1], "VALID");
        using var session = new Session(b.Graph);
        var r = OrtCheck.ExportAndCompare(session, [("x:0", OrtCheck.RandomFloats(73, -1, 1, 2, 5, 5, 2))], [y.Name]);
        log.WriteLine($"conv → resize → resize → conv: max error {r.Worst:E2}");
        Assert.Equal(2, r.Count("Transpose"));
    }
}
