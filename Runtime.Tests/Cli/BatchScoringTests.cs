using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph run --batch-size</c>: streams .npy rows through the graph block by block into one output .npy.</summary>
public sealed class BatchScoringTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-batch-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // y = x·M + scale (M fixed 3×2), and total = sum of all of y (not per row).
    private string WriteGraph()
    {
        var g = new GraphBuilder();
        var x = g.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var scale = g.Placeholder(DataType.DtFloat, [], "scale");
        var m = g.Constant(new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2], "M");
        var y = g.Add(g.MatMul(x, m), scale, "y");
        g.ReduceSum(y, name: "total");
        var path = Path.Combine(_dir, "g.meta");
        MetaGraphExporter.ExportToFile(g, path);
        return path;
    }

    private static float[] Reference(float[] x, float scale)
    {
        float[] m = [1, 2, 3, 4, 5, 6];
        var y = new float[x.Length / 3 * 2];
        for (int r = 0; r < x.Length / 3; r++)
            for (int j = 0; j < 2; j++)
                y[r * 2 + j] = x[r * 3] * m[j] + x[r * 3 + 1] * m[2 + j] + x[r * 3 + 2] * m[4 + j] + scale;
        return y;
    }

    [Fact]
    public void Rows_stream_in_batches_and_the_output_has_every_row_in_order()
    {
        var meta = WriteGraph();
        const int rows = 1000;
        var x = Enumerable.Range(0, rows * 3).Select(i => (float)(i % 17) - 8).ToArray();
        Npy.Write(Path.Combine(_dir, "x.npy"), Tensor.Create(x, rows, 3));
        var outPath = Path.Combine(_dir, "y.npy");
        var (code, stdout, stderr) = Run("run", meta, "--feed", "x=@" + Path.Combine(_dir, "x.npy"), "--feed", "scale=0.5", "--fetch", "y:0", "--batch-size", "64", "--out", outPath);
        Assert.True(code == 0, stderr);
        Assert.Contains("(16 batches of up to 64 rows)", stdout);
        var y = Npy.Read(outPath);
        Assert.Equal(new TensorShape(rows, 2), y.Shape);
        Assert.Equal(Reference(x, 0.5f), y.ToArray<float>());
        Assert.Single(Directory.GetFiles(_dir, "y.npy*"));
    }

    [Fact]
    public void A_fetch_without_the_batch_dimension_fails_and_leaves_no_output_file()
    {
        var meta = WriteGraph();
        Npy.Write(Path.Combine(_dir, "x.npy"), Tensor.Create(new float[30], 10, 3));
        var outPath = Path.Combine(_dir, "t.npy");
        var (code, _, stderr) = Run("run", meta, "--feed", "x=@" + Path.Combine(_dir, "x.npy"), "--feed", "scale=1", "--fetch", "total:0", "--batch-size", "4", "--out", outPath);
        Assert.Equal(1, code);
        Assert.Contains("first dimension is the batch", stderr);
        Assert.Empty(Directory.GetFiles(_dir, "t.npy*"));
    }

    [Fact]
    public void Batch_size_needs_an_out_file_and_a_streamed_feed()
    {
        var meta = WriteGraph();
        var (code, _, stderr) = Run("run", meta, "--feed", "x=[[1,2,3]]", "--feed", "scale=1", "--fetch", "y:0", "--batch-size", "4", "--out", Path.Combine(_dir, "o.npy"));
        Assert.Equal(2, code);
        Assert.Contains("--feed name=@rows.npy", stderr);
        (code, _, stderr) = Run("run", meta, "--feed", "x=@x.npy", "--fetch", "y:0", "--batch-size", "0", "--out", "o.npy");
        Assert.Equal(2, code);
        Assert.Contains("positive integer", stderr);
    }
}
