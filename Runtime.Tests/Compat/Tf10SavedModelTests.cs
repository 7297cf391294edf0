using TypedGraph.Formats;

namespace TypedGraph.Tests.Compat;

/// <summary>A TF 1.0-layout SavedModel (tf-formats.md §1.2, §3.3): ref variables, sharded Saver named
/// <c>save/Const_1:0</c> / <c>save/Identity:0</c> / <c>save/restore_all_1</c> with a Const temp suffix, and a
/// <c>legacy_init_op</c>.</summary>
public sealed class Tf10SavedModelTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "tg-sm10-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void Tf10SavedModelLoadsRunsLegacyInitOpAndServes()
    {
        var saver = SavedModelFixture.Write(_dir, tf10: true);
        Assert.Equal("save/Const_1:0", saver.FilenameTensorName);
        Assert.Equal("save/Identity:0", saver.SaveTensorName);
        Assert.Equal("save/restore_all_1", saver.RestoreOpName);
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_dir, "variables"), "variables.data-*").Length);

        using var bundle = SavedModelBundle.Load(_dir, "serve");
        Assert.Equal("1.0.0", bundle.MetaGraph.TensorFlowVersion);
        var outputs = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new float[] { 1, 1, 1 }, 1, 3) });
        // [1,1,1]·W = [9, 12] + b = [9.5, 11]; counter (legacy_init_op) = 7.
        Assert.Equal([9.5f, 11f], outputs["y"].ToArray<float>());
        Assert.Equal([66.5f, 77f], outputs["scaled"].ToArray<float>());
        using var reader = CheckpointReader.Open(Path.Combine(_dir, "variables", "variables"));
        Assert.Equal(["W", "b", "global_step"], reader.Entries.Select(e => e.Name));
    }
}
