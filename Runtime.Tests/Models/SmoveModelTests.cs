using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>smove_mlp / smove_tf: O = sigmoid(X·W), restored from TF's own checkpoints.</summary>
public class SmoveModelTests
{
    /// <summary>A batch of 5 rows: a leading 1 then 20 features in [-1, 1), as the tutorial feeds.</summary>
    private static float[] Inputs()
    {
        var rng = new Random(42);
        var x = new float[5 * 21];
        for (int r = 0; r < 5; r++)
        {
            x[r * 21] = 1;
            for (int c = 1; c < 21; c++) x[r * 21 + c] = (float)(rng.NextDouble() * 2 - 1);
        }
        return x;
    }

    /// <summary>sigmoid(X·W) in double, from W as stored in the checkpoint.</summary>
    private static double[] Reference(float[] x, float[] w)
    {
        var o = new double[5];
        for (int r = 0; r < 5; r++)
        {
            double z = 0;
            for (int c = 0; c < 21; c++) z += (double)x[r * 21 + c] * w[c];
            o[r] = 1 / (1 + Math.Exp(-z));
        }
        return o;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-6, $"O[{i}] = {actual[i]}, expected {expected[i]}");
    }

    [Theory]
    [InlineData("smove_mlp", "my_test_model-1000")]
    [InlineData("smove_tf", "smovetf.ckpt")]
    public void RestoredWithTheGraphsSaverGivesSigmoidOfXW(string folder, string prefix)
    {
        var meta = MetaGraph.Load(Fixtures.Path(folder, prefix + ".meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path(folder), meta.SaverDef); // the folder's 'checkpoint' file names the prefix
        float[] w;
        using (var reader = CheckpointReader.Open(Fixtures.Path(folder, prefix))) w = reader.Read("W").ToArray<float>();
        var x = Inputs();
        var o = session.Run("O:0", ("X:0", Tensor.Create(x, 5, 21)));
        Assert.Equal(new TensorShape(5, 1), o.Shape);
        AssertClose(Reference(x, w), o.ToArray<float>());
        Assert.Equal(w, session.Run("W:0").ToArray<float>());
    }

    [Theory]
    [InlineData("smove_mlp", "my_test_model-1000")]
    [InlineData("smove_tf", "smovetf.ckpt")]
    public void DirectRestoreByVariableNameMatchesTheSaverPath(string folder, string prefix)
    {
        var meta = MetaGraph.Load(Fixtures.Path(folder, prefix + ".meta"));
        using var viaSaver = new Session(meta.Graph);
        viaSaver.Restore(Fixtures.Path(folder, prefix), meta.SaverDef);
        using var direct = new Session(meta.Graph);
        direct.Restore(Fixtures.Path(folder, prefix));
        var x = Tensor.Create(Inputs(), 5, 21);
        Assert.Equal(viaSaver.Run("O:0", ("X:0", x)).ToArray<float>(), direct.Run("O:0", ("X:0", x)).ToArray<float>());
    }

    [Fact]
    public void FrozenGraphGivesTheSameOAsTheRestoredCheckpoint()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_tf", "smovetf.ckpt.meta"));
        using var restored = new Session(meta.Graph);
        restored.Restore(Fixtures.Path("smove_tf", "smovetf.ckpt"), meta.SaverDef);
        using var frozen = new Session(MetaGraph.Load(Fixtures.Path("smove_tf", "frozen_smovetf.pb")).Graph);
        var x = Tensor.Create(Inputs(), 5, 21);
        var expected = restored.Run("O:0", ("X:0", x)).ToArray<float>();
        Assert.Equal(expected, frozen.Run("O:0", ("X:0", x)).ToArray<float>());
    }

    [Fact]
    public void FeedingAnInnerTensorChecksItsRecordedShape()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        using var session = new Session(meta.Graph);
        // MatMul:0 is [-1, 1] in _output_shapes; feeding it cuts X and W off entirely.
        var o = session.Run("O:0", ("MatMul:0", Tensor.Create(new float[] { 0, 2 }, 2, 1)));
        Assert.Equal(0.5f, o.ToArray<float>()[0]);
        Assert.Equal(1 / (1 + Math.Exp(-2)), o.ToArray<float>()[1], 6);
        var ex = Assert.Throws<GraphExecutionException>(() => session.Run("O:0", ("MatMul:0", Tensor.Create(new float[] { 0, 2 }, 1, 2))));
        Assert.Contains("node 'MatMul' has shape [-1,1]", ex.Message);
    }

    [Fact]
    public void ReadingBeforeRestoreIsAnUninitializedVariableError()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        using var session = new Session(meta.Graph);
        var ex = Assert.Throws<GraphExecutionException>(() => session.Run("O:0", ("X:0", Tensor.Create(Inputs(), 5, 21))));
        Assert.Contains("uninitialized value W", ex.Message);
    }

    [Fact]
    public void SaveThroughTheGraphsSaveV2RoundTrips()
    {
        var meta = MetaGraph.Load(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        using var session = new Session(meta.Graph);
        session.Restore(Fixtures.Path("smove_mlp", "my_test_model-1000"), meta.SaverDef);
        var dir = Directory.CreateTempSubdirectory("tg-exec-");
        try
        {
            var prefix = Path.Combine(dir.FullName, "copy");
            Assert.Equal(prefix, session.Run("save/control_dependency:0", ("save/Const:0", Tensor.FromString(prefix))).Strings[0].Select(b => (char)b).Aggregate("", (s, c) => s + c));
            // Byte-identical to TF's own bundle for the same single variable.
            Assert.Equal(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.index")), File.ReadAllBytes(prefix + ".index"));
            Assert.Equal(File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.data-00000-of-00001")), File.ReadAllBytes(prefix + ".data-00000-of-00001"));
            using var again = new Session(meta.Graph);
            again.Restore(prefix, meta.SaverDef);
            Assert.Equal(session.Run("W:0").ToArray<float>(), again.Run("W:0").ToArray<float>());
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
