using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Formats;

/// <summary>
/// Every single-bit flip and every truncation of a real TF index (and truncations of a .meta) either
/// reads correctly or fails with the typed exception — never another exception, a crash or a hang.
/// </summary>
public class CorruptionSweepTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-sweep").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void EveryBitFlipAndTruncationOfAnIndex_IsDetectedOrHarmless()
    {
        var src = Fixtures.Path("smove_mlp", "my_test_model-1000");
        var prefix = Path.Combine(_dir, "m");
        File.Copy(src + ".data-00000-of-00001", prefix + ".data-00000-of-00001");
        var original = File.ReadAllBytes(src + ".index");
        var expected = File.ReadAllBytes(src + ".data-00000-of-00001");
        int detected = 0, harmless = 0;
        void Check(byte[] bytes)
        {
            File.WriteAllBytes(prefix + ".index", bytes);
            try
            {
                using var r = CheckpointReader.Open(prefix);
                // Whatever opens must still give TF's bytes for W (only padding bytes may differ).
                using var w = r.Read("W");
                Assert.Equal(expected, w.Bytes.ToArray());
                harmless++;
            }
            catch (CheckpointFormatException)
            {
                detected++;
            }
        }
        for (int i = 0; i < original.Length; i++)
            for (int bit = 0; bit < 8; bit++)
            {
                var b = (byte[])original.Clone();
                b[i] ^= (byte)(1 << bit);
                Check(b);
            }
        for (int len = 0; len < original.Length; len++) Check(original[..len]);
        // Only flips in the footer's zero padding (40 minus the two handles' bytes) may go unnoticed.
        Assert.True(harmless <= 8 * 40, $"{harmless} corruptions went unnoticed");
        Assert.True(detected >= original.Length * 8 - 8 * 40 + original.Length);
    }

    [Fact]
    public void EveryTruncationOfAMeta_IsAGraphFormatException()
    {
        var original = File.ReadAllBytes(Fixtures.Path("smove_mlp", "my_test_model-1000.meta"));
        for (int len = 0; len < original.Length; len += 97)
        {
            var e = Record.Exception(() => MetaGraph.Parse(original[..len], "cut.meta"));
            Assert.True(e is GraphFormatException, $"length {len}: {e?.GetType().Name ?? "no exception"}");
        }
    }

    [Fact]
    public void RandomBytes_AreAlwaysAGraphFormatException()
    {
        var rng = new Random(5);
        for (int i = 0; i < 3000; i++)
        {
            var bytes = new byte[rng.Next(0, 300)];
            rng.NextBytes(bytes);
            if (bytes.Length > 0) bytes[0] = new byte[] { 0x08, 0x0A, 0x12, bytes[0] }[i % 4];
            var e = Record.Exception(() => MetaGraph.Parse(bytes, "fuzz.pb"));
            // A handful of random buffers are valid protobuf graphs by chance; anything else must be typed.
            Assert.True(e is null or GraphFormatException, $"case {i}: {e}");
        }
    }
}
