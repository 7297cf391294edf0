using TypedGraph.Formats;

namespace TypedGraph.Tests.Review;

/// <summary>Review of the formats readers: text-format paths, writer misuse.</summary>
public class FormatsReviewTests
{
    [Fact]
    public void CheckpointStateKeepsRawNonBmpCharactersInPaths()
    {
        // Written unescaped (as_utf8 text format or by hand): the emoji is one surrogate pair in .NET.
        var state = CheckpointState.Parse("model_checkpoint_path: \"run-\U0001F600/model-7\"\n", "checkpoint");
        Assert.Equal("run-\U0001F600/model-7", state.ModelCheckpointPath);
        // And the escaped form TF's Python writes (octal UTF-8 bytes) means the same path.
        var escaped = CheckpointState.Parse(new CheckpointState { ModelCheckpointPath = "run-\U0001F600/model-7" }.ToText(), "checkpoint");
        Assert.Equal("run-\U0001F600/model-7", escaped.ModelCheckpointPath);
    }

    [Fact]
    public void CheckpointWriterRejectsDuplicateAndSortsKeys()
    {
        var dir = Directory.CreateTempSubdirectory("tg-review-");
        try
        {
            var prefix = Path.Combine(dir.FullName, "m");
            using (var w = new CheckpointWriter(prefix))
            {
                w.Add("b", Tensor.Create(new[] { 2f }, 1));
                w.Add("a", Tensor.Create(new[] { 1L, 2L }, 2));
                w.Add("s", Tensor.FromStrings(["", "x"], 2));
                Assert.Throws<ArgumentException>(() => w.Add("a", Tensor.Create(new[] { 1f }, 1)));
                w.Finish();
                Assert.Throws<InvalidOperationException>(() => w.Finish());
            }
            using var r = CheckpointReader.Open(prefix);
            Assert.Equal(["a", "b", "s"], r.Entries.Select(e => e.Name));
            Assert.Equal([1L, 2L], r.Read("a").ToArray<long>());
            Assert.Equal(["", "x"], r.Read("s").Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)));
            Assert.Equal([".index", ".data-00000-of-00001"], Directory.GetFiles(dir.FullName).Select(f => Path.GetFileName(f)[1..]).Order(StringComparer.Ordinal).Reverse());
        }
        finally { dir.Delete(true); }
    }
}
