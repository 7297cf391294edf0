using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>DecodeBmp / DecodeImage on BMP files this test writes byte by byte (BITMAPFILEHEADER + BITMAPINFOHEADER,
/// rows padded to 4 bytes, BGR(A) order), checked against the RGB(A) pixels the test chose, with TF's
/// decode_image_op.cc rules and error messages.</summary>
public class BmpDecodeTests
{
    /// <summary>A BMP of <paramref name="rgb"/> [h][w][channels] (RGB(A) order; written BGR(A)); bottom-up unless
    /// <paramref name="topDown"/> (negative height).</summary>
    private static byte[] WriteBmp(byte[,,] rgb, bool topDown, int extraHeader = 0)
    {
        int h = rgb.GetLength(0), w = rgb.GetLength(1), c = rgb.GetLength(2);
        int rowSize = (w * c + 3) / 4 * 4, offset = 54 + extraHeader;
        var bytes = new byte[offset + rowSize * h];
        bytes[0] = (byte)'B'; bytes[1] = (byte)'M';
        BitConverter.GetBytes(bytes.Length).CopyTo(bytes, 2);
        BitConverter.GetBytes(offset).CopyTo(bytes, 10);
        BitConverter.GetBytes(40).CopyTo(bytes, 14);
        BitConverter.GetBytes(w).CopyTo(bytes, 18);
        BitConverter.GetBytes(topDown ? -h : h).CopyTo(bytes, 22);
        BitConverter.GetBytes((short)1).CopyTo(bytes, 26);
        BitConverter.GetBytes((short)(8 * c)).CopyTo(bytes, 28);
        for (int y = 0; y < h; y++)
        {
            int row = offset + (topDown ? y : h - 1 - y) * rowSize;
            for (int x = 0; x < w; x++)
            {
                int at = row + x * c;
                if (c == 1) { bytes[at] = rgb[y, x, 0]; continue; }
                bytes[at] = rgb[y, x, 2];
                bytes[at + 1] = rgb[y, x, 1];
                bytes[at + 2] = rgb[y, x, 0];
                if (c == 4) bytes[at + 3] = rgb[y, x, 3];
            }
            for (int p = w * c; p < rowSize; p++) bytes[row + p] = 0xEE; // padding must be skipped
        }
        return bytes;
    }

    private static byte[,,] Pixels(int h, int w, int c, int seed)
    {
        var r = new Random(seed);
        var p = new byte[h, w, c];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int k = 0; k < c; k++) p[y, x, k] = (byte)r.Next(256);
        return p;
    }

    private static byte[] Flat(byte[,,] p) => p.Cast<byte>().ToArray();

    private static Tensor Decode(string op, byte[] file, int channels = 0, DataType? dtype = null)
    {
        var attrs = new List<(string, object)> { ("channels", channels) };
        if (dtype != null) attrs.Add(("dtype", dtype.Value));
        return Compute1(op, [new Tensor(TensorShape.Scalar, [file])], Attrs(attrs.ToArray()));
    }

    [Theory]
    [InlineData(3, false, 5, 3)] // 24-bit bottom-up, 15-byte rows padded to 16
    [InlineData(3, true, 5, 3)]  // 24-bit top-down (negative height)
    [InlineData(4, false, 2, 4)] // 32-bit BGRA
    [InlineData(4, true, 3, 1)]
    [InlineData(3, false, 1, 1)]
    public void DecodeBmp_RowOrderPaddingAndChannelSwap_AsTf(int channels, bool topDown, int w, int h)
    {
        var pixels = Pixels(h, w, channels, w * 10 + h + (topDown ? 100 : 0));
        var file = WriteBmp(pixels, topDown, extraHeader: 14);
        foreach (var op in new[] { "DecodeBmp", "DecodeImage" })
        {
            var img = Decode(op, file);
            Assert.Equal(new TensorShape(h, w, channels), img.Shape);
            Assert.Equal(Flat(pixels), img.ToArray<byte>());
        }
        Assert.Equal(Flat(pixels), Decode("DecodeBmp", file, channels).ToArray<byte>());
        // DecodeImage dtypes: uint16 = v·256, float = v·(1/255) (decode_image_op.cc's scales).
        Assert.Equal(Flat(pixels).Select(v => (ushort)(v * 256)), Decode("DecodeImage", file, 0, DataType.DtUint16).ToArray<ushort>());
        Assert.Equal(Flat(pixels).Select(v => v * (float)(1.0 / 255)), Decode("DecodeImage", file, 0, DataType.DtFloat).ToArray<float>());
    }

    [Fact]
    public void DecodeBmp_EightBitFileGivesRawIndices_ChannelsOneRefused()
    {
        // TF ignores the palette: an 8-bit BMP decodes to its raw index bytes as 1 channel.
        var pixels = Pixels(3, 5, 1, 7);
        var file = WriteBmp(pixels, false);
        var img = Decode("DecodeBmp", file);
        Assert.Equal(new TensorShape(3, 5, 1), img.Shape);
        Assert.Equal(Flat(pixels), img.ToArray<byte>());
        Assert.Contains("`channels` must be 0, 3 or 4 for BMP, but got 1", Assert.Throws<GraphExecutionException>(() => Decode("DecodeBmp", file, 1)).Message);
    }

    [Theory]
    [InlineData(1, 3)]
    [InlineData(1, 4)]
    [InlineData(3, 4)]
    [InlineData(4, 3)]
    [InlineData(4, 4)]
    public void DecodeBmp_ChannelsAttrConvertsAsCurrentTf(int fileChannels, int requested)
    {
        // decode_image_op.cc DecodeBMP: grey repeated into R, G, B; alpha 255 when the file has none; 4 → 3 drops it.
        var pixels = Pixels(3, 5, fileChannels, fileChannels * 10 + requested);
        var file = WriteBmp(pixels, topDown: fileChannels == 3);
        var expected = new List<byte>();
        for (int y = 0; y < 3; y++)
            for (int x = 0; x < 5; x++)
                for (int k = 0; k < requested; k++)
                    expected.Add(k == 3 ? (fileChannels == 4 ? pixels[y, x, 3] : (byte)255) : pixels[y, x, fileChannels == 1 ? 0 : k]);
        foreach (var op in new[] { "DecodeBmp", "DecodeImage" })
        {
            var img = Decode(op, file, requested);
            Assert.Equal(new TensorShape(3, 5, requested), img.Shape);
            Assert.Equal(expected, img.ToArray<byte>());
        }
    }

    [Fact]
    public void DecodeBmp_RejectsWhatTfRejects()
    {
        var good = WriteBmp(Pixels(2, 3, 3, 1), false);
        string Error(string op, byte[] f, int channels = 0) => Assert.Throws<GraphExecutionException>(() => Decode(op, f, channels)).Message;
        Assert.Contains("Trying to decode BMP format using a wrong op. Use `decode_bmp` or `decode_image` instead. Op used: DecodeJpeg", Error("DecodeJpeg", good));
        Assert.Contains("Trying to decode BMP format using a wrong op", Error("DecodePng", good));
        Assert.Contains("Incomplete bmp content, requires at least 32 bytes", Error("DecodeBmp", good[..31]));
        // Current TF wants the exact size: header_size + row_size·|height| (a short file, and also a longer one).
        Assert.Contains("Input size should match (header_size + row_size * abs_height) but they differ by -4", Error("DecodeBmp", good[..^4]));
        Assert.Contains("Input size should match (header_size + row_size * abs_height) but they differ by 2", Error("DecodeBmp", [.. good, 0, 0]));
        var bad = (byte[])good.Clone();
        BitConverter.GetBytes(0).CopyTo(bad, 22);
        Assert.Contains("Height must be nonzero", Error("DecodeBmp", bad));
        bad = (byte[])good.Clone();
        BitConverter.GetBytes(-3).CopyTo(bad, 18);
        Assert.Contains("Width must be positive", Error("DecodeBmp", bad));
        bad = (byte[])good.Clone();
        BitConverter.GetBytes((short)16).CopyTo(bad, 28);
        Assert.Contains("Number of channels inherent in the image must be 1, 3 or 4, was 2", Error("DecodeBmp", bad));
        bad = (byte[])good.Clone();
        BitConverter.GetBytes(1 << 20).CopyTo(bad, 18);
        BitConverter.GetBytes(1 << 10).CopyTo(bad, 22);
        Assert.Contains("Total possible pixel bytes must be less than 2^30", Error("DecodeBmp", bad));
        // DecodeBmp refuses other formats, naming them (a PNG signature here).
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0];
        Assert.Contains("Trying to decode PNG format using DecodeBmp op", Error("DecodeBmp", png));
    }
}
