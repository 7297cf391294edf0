using System.Text.Json;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary>
/// <c>--feed</c> literals that the fed dtype cannot hold are refused with an error naming the feed, instead of being
/// clamped (<c>99999999999999999999</c> → long.MaxValue) or truncated (<c>1.7</c> → 1) (issue 9 item 6).
/// </summary>
public sealed class FeedRangeTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-feedrange").FullName;
    private readonly string _meta;

    public FeedRangeTests()
    {
        var g = new GraphBuilder();
        foreach (var (dtype, name) in new[] { (DataType.DtInt64, "i64"), (DataType.DtInt32, "i32"), (DataType.DtUint8, "u8"),
                     (DataType.DtUint64, "u64"), (DataType.DtFloat, "f32"), (DataType.DtHalf, "f16") })
            g.Identity(g.Placeholder(dtype, null, name), name + "_out");
        _meta = Path.Combine(_dir, "g.meta");
        MetaGraphExporter.ExportToFile(g, _meta);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    private string Fails(string feed, string fetch)
    {
        var (code, stdout, stderr) = Run("run", _meta, "--feed", feed, "--fetch", fetch);
        Assert.True(code == 2, $"--feed {feed} → exit {code}, stdout {stdout}");
        return stderr;
    }

    private JsonElement Values(string feed, string fetch)
    {
        var (code, stdout, stderr) = Run("run", _meta, "--feed", feed, "--fetch", fetch, "--json");
        Assert.True(code == 0, stderr + stdout);
        return JsonDocument.Parse(stdout).RootElement.GetProperty("outputs")[0].GetProperty("values").Clone();
    }

    [Theory]
    [InlineData("i64=[99999999999999999999]", "i64_out:0", "out of range for int64")]
    [InlineData("i64=[-9223372036854775809]", "i64_out:0", "out of range for int64")]
    [InlineData("i32=2147483648", "i32_out:0", "out of range for int32")]
    [InlineData("u8=[1,256]", "u8_out:0", "element 1 (256) is out of range for uint8")]
    [InlineData("u8=[-1]", "u8_out:0", "out of range for uint8")]
    [InlineData("u64=[-1]", "u64_out:0", "out of range for uint64")]
    [InlineData("u64=[18446744073709551616]", "u64_out:0", "out of range for uint64")]
    [InlineData("i64=[1.7]", "i64_out:0", "element 0 (1.7) is not an integer")]
    [InlineData("i32=[[1, 2.5]]", "i32_out:0", "element 1 (2.5) is not an integer")]
    [InlineData("i64=1e400", "i64_out:0", "out of range for int64")]
    [InlineData("f32=[1e39]", "f32_out:0", "element 0 (1e39) is out of range for float32")]
    [InlineData("f32=[1e400]", "f32_out:0", "out of range for float32")]
    [InlineData("f16=[70000]", "f16_out:0", "out of range for float16")]
    public void Values_the_feed_dtype_cannot_hold_are_usage_errors_naming_the_feed(string feed, string fetch, string message)
    {
        var err = Fails(feed, fetch);
        string name = feed[..feed.IndexOf('=')];
        Assert.Contains($"--feed {name}: ", err);
        Assert.Contains(message, err);
    }

    [Fact]
    public void Extreme_values_that_fit_are_fed_exactly()
    {
        Assert.Equal(long.MaxValue, Values("i64=[9223372036854775807]", "i64_out:0")[0].GetInt64());
        Assert.Equal(long.MinValue, Values("i64=[-9223372036854775808]", "i64_out:0")[0].GetInt64());
        Assert.Equal(int.MinValue, Values("i32=-2147483648", "i32_out:0").GetInt32());
        Assert.Equal(255, Values("u8=[255]", "u8_out:0")[0].GetInt32());
        // whole numbers written with a fraction or exponent are still whole numbers
        Assert.Equal(1000, Values("i64=[1e3]", "i64_out:0")[0].GetInt64());
        Assert.Equal(2, Values("i32=[2.0]", "i32_out:0")[0].GetInt32());
        var npy = Path.Combine(_dir, "u64.npy");
        var (code, _, err) = Run("run", _meta, "--feed", "u64=[18446744073709551615, 0]", "--fetch", "u64_out:0", "--out", npy);
        Assert.True(code == 0, err);
        Assert.Equal([ulong.MaxValue, 0UL], TypedGraph.Formats.Npy.Read(npy).ToArray<ulong>());
        Assert.Equal(float.MaxValue, (float)Values("f32=[3.4028234663852886E+38]", "f32_out:0")[0].GetDouble());
    }
}
