using System.Text;
using TypedGraph.Formats;

namespace TypedGraph.Tests.Formats;

public class Crc32CTests
{
    // Vectors from tf-formats.md §2.3 (LevelDB's crc32c_test).
    public static TheoryData<byte[], uint> Vectors => new()
    {
        { new byte[32], 0x8A9136AA },
        { Enumerable.Repeat((byte)0xFF, 32).ToArray(), 0x62A8AB43 },
        { Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), 0x46DD794E },
        { Enumerable.Range(0, 32).Select(i => (byte)(31 - i)).ToArray(), 0x113FDB5C },
        { Encoding.ASCII.GetBytes("123456789"), 0xE3069283 },
        { Array.Empty<byte>(), 0x00000000 },
        { Encoding.ASCII.GetBytes("a"), 0xC1D04330 },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Compute_MatchesKnownVectors(byte[] data, uint expected)
    {
        Assert.Equal(expected, Crc32C.Compute(data));
        Assert.Equal(expected, Crc32C.ComputeSoftware(data));
    }

    [Fact]
    public void Mask_MatchesKnownVectorsAndUnmaskInverts()
    {
        Assert.Equal(0x0FD7FFFAu, Crc32C.Mask(0x8A9136AA));
        Assert.Equal(0xC78AB0E5u, Crc32C.Mask(0xE3069283));
        Assert.Equal(0xA282EAD8u, Crc32C.Mask(0));
        foreach (uint v in new uint[] { 0, 1, 0x8A9136AA, 0xFFFFFFFF, 0x12345678 })
            Assert.Equal(v, Crc32C.Unmask(Crc32C.Mask(v)));
    }

    [Fact]
    public void Extend_ContinuesARunningCrc_AtEverySplitPoint()
    {
        var data = new byte[1000];
        new Random(7).NextBytes(data);
        uint whole = Crc32C.Compute(data);
        Assert.Equal(whole, Crc32C.ComputeSoftware(data));
        foreach (int split in new[] { 0, 1, 7, 8, 9, 31, 500, 999, 1000 })
            Assert.Equal(whole, Crc32C.Extend(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));
    }

    [Fact]
    public void InterleavedPath_MatchesTheTableCrc_OnLargeInputs()
    {
        var data = new byte[300_000];
        new Random(3).NextBytes(data);
        foreach (int len in new[] { Crc32C.InterleaveThreshold - 1, Crc32C.InterleaveThreshold, Crc32C.InterleaveThreshold + 23, 65_536, 199_999 })
            for (int start = 0; start < 3; start++)
            {
                var span = data.AsSpan(start, len);
                Assert.Equal(Crc32C.ComputeSoftware(span), Crc32C.Compute(span));
                // A running CRC continued over a large block (the initial-value term of the join).
                uint head = Crc32C.Compute(data.AsSpan(0, 100));
                Assert.Equal(Crc32C.ComputeSoftware(data.AsSpan(0, 100 + len)), Crc32C.Extend(head, data.AsSpan(100, len)));
            }
    }

    [Fact]
    public void HardwareAndSoftwarePaths_Agree_OnAllLengthsAndAlignments()
    {
        var data = new byte[300];
        new Random(11).NextBytes(data);
        for (int start = 0; start < 9; start++)
            for (int len = 0; len < 200; len += 3)
                Assert.Equal(Crc32C.ComputeSoftware(data.AsSpan(start, len)), Crc32C.Compute(data.AsSpan(start, len)));
    }
}
