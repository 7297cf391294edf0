using TypedGraph.Formats;

namespace TypedGraph.Tests.Formats;

/// <summary>Exact bytes of small bundles, from tf-formats.md §2.9 and the key-order rules of §2.4.</summary>
public class BundleLayoutTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-layout").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void WorkedExample_IsByteExact()
    {
        var prefix = Path.Combine(_dir, "model");
        using (var w = new CheckpointWriter(prefix))
        {
            w.Add("w", Tensor.Create(new[] { 1.0f, 2.0f }));
            w.Finish();
        }
        Assert.Equal(Convert.FromHexString("0000803F00000040"), File.ReadAllBytes(prefix + ".data-00000-of-00001"));
        var expected = Convert.FromHexString(
            "00000608011A020801" + "00010F77" + "0801120412020802280835593CE535" + "00000000" + "01000000" + "000921ADC3" +
            "0000000001000000" + "00C0F2A1B0" + "0001027800240000000001000000" + "00AB30707F" +
            "2908360E" + new string('0', 72) + "57FB808B247547DB");
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(File.ReadAllBytes(prefix + ".index")));
    }

    [Theory]
    [InlineData("w", "x")]
    [InlineData("global_step", "h")]
    [InlineData("", "")]
    [InlineData("\u00ff", "\u00ff")]
    public void ShortSuccessor_FollowsLevelDb(string key, string expected)
        => Assert.Equal(System.Text.Encoding.Latin1.GetBytes(expected), KeyOrder.ShortSuccessor(System.Text.Encoding.Latin1.GetBytes(key)));

    [Theory]
    [InlineData("abc", "abd", "abc")] // b+1 == limit byte: no shorter separator
    [InlineData("abc", "abz", "abd")]
    [InlineData("ab", "abc", "ab")] // prefix
    [InlineData("a1234", "c", "b")]
    public void ShortestSeparator_FollowsLevelDb(string start, string limit, string expected)
        => Assert.Equal(System.Text.Encoding.ASCII.GetBytes(expected), KeyOrder.ShortestSeparator(System.Text.Encoding.ASCII.GetBytes(start), System.Text.Encoding.ASCII.GetBytes(limit)));

    [Fact]
    public void SliceKey_SignedNumbers_MatchOrderedCodeExamples()
    {
        var b = new List<byte>();
        SliceKeys.WriteSignedNumIncreasing(b, 0x424242);
        Assert.Equal(new byte[] { 0xF0, 0x42, 0x42, 0x42 }, b);
        b.Clear();
        SliceKeys.WriteSignedNumIncreasing(b, -0x800);
        Assert.Equal(new byte[] { 0x38, 0x00 }, b);
        b.Clear();
        SliceKeys.WriteSignedNumIncreasing(b, 0);
        SliceKeys.WriteSignedNumIncreasing(b, 5);
        SliceKeys.WriteSignedNumIncreasing(b, -1);
        Assert.Equal(new byte[] { 0x80, 0x85, 0x7F }, b);
        b.Clear();
        SliceKeys.WriteNumIncreasing(b, 300);
        SliceKeys.WriteNumIncreasing(b, 0);
        Assert.Equal(new byte[] { 0x02, 0x01, 0x2C, 0x00 }, b);
    }

    [Fact]
    public void SliceKey_EscapesNameAndEncodesExtents()
    {
        var key = SliceKeys.Encode("w", new TensorSlice([0, 2], [-1, 3]));
        // 00 | 'w' 00 01 | rank 01 02 | start 0 len -1 | start 2 len 3
        Assert.Equal(Convert.FromHexString("007700010102807F8283"), key);
    }
}
