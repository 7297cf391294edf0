using System.Buffers.Binary;
using System.IO.Compression;
using TypedGraph.Protos;
using Xunit.Abstractions;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// DecodePng/EncodePng/DecodeJpeg/EncodeJpeg/DecodeImage. PNG inputs are written here by a small independent PNG
/// writer (every row filter, Adam7, palettes, tRNS, 1–16 bit) and the expected pixels follow TF's png_io.cc +
/// libpng rules written out per pixel; JPEG outputs are compared with libjpeg-turbo's own decodes (Data/SOURCE.md).
/// </summary>
public class ImageCodecTests(ITestOutputHelper output)
{
    private static Tensor Bytes(byte[] b) => new(TensorShape.Scalar, [b]);

    // ---------- an independent PNG writer ----------
    private static uint Crc(ReadOnlySpan<byte> d)
    {
        uint c = 0xFFFFFFFF;
        foreach (var b in d)
        {
            c ^= b;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320 ^ (c >> 1) : c >> 1;
        }
        return ~c;
    }

    private static void Chunk(MemoryStream s, string type, byte[] body)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, body.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(head, 4);
        s.Write(head);
        s.Write(body);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc([.. head.AsSpan(4), .. body]));
        s.Write(crc);
    }

    /// <summary>samples: [h, w, stored channels] at bitDepth; rows cycle through filters 0–4.</summary>
    private static byte[] WritePng(int[] samples, int w, int h, int colorType, int bitDepth, bool interlace = false, byte[]? plte = null, byte[]? trns = null)
    {
        int ch = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int bpp = Math.Max(1, ch * bitDepth / 8);
        var raw = new MemoryStream();
        (int, int, int, int)[] passes = interlace ? [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] : [(0, 0, 1, 1)];
        int rowIndex = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = (w - x0 + dx - 1) / dx, ph = (h - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0) continue;
            int rowBytes = (pw * ch * bitDepth + 7) / 8;
            var prev = new byte[rowBytes];
            for (int r = 0; r < ph; r++)
            {
                var row = new byte[rowBytes];
                for (int px = 0; px < pw; px++)
                    for (int c = 0; c < ch; c++)
                    {
                        int v = samples[(((y0 + r * dy) * w) + x0 + px * dx) * ch + c], s = px * ch + c;
                        if (bitDepth == 16) { row[2 * s] = (byte)(v >> 8); row[2 * s + 1] = (byte)v; }
                        else if (bitDepth == 8) row[s] = (byte)v;
                        else row[s * bitDepth / 8] |= (byte)(v << (8 - bitDepth - s * bitDepth % 8));
                    }
                int filter = rowIndex++ % 5;
                raw.WriteByte((byte)filter);
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    int pred = filter switch { 0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2, _ => pa <= pb && pa <= pc ? a : pb <= pc ? b : c };
                    raw.WriteByte((byte)(row[i] - pred));
                }
                prev = row;
            }
        }
        var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(raw.ToArray());
        var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, w);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), h);
        ihdr[8] = (byte)bitDepth; ihdr[9] = (byte)colorType; ihdr[12] = (byte)(interlace ? 1 : 0);
        Chunk(png, "IHDR", ihdr);
        if (plte != null) Chunk(png, "PLTE", plte);
        if (trns != null) Chunk(png, "tRNS", trns);
        var zb = z.ToArray();
        Chunk(png, "IDAT", zb[..(zb.Length / 2)]); // image data split over two IDAT chunks
        Chunk(png, "IDAT", zb[(zb.Length / 2)..]);
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    // ---------- TF's decode rules, per pixel (png_io.cc CommonInitDecode + libpng 1.6 transforms) ----------
    private static int[] ExpectedPixel(int[] src, int colorType, int bd, byte[]? plte, byte[]? trns, int channels, bool out16)
    {
        bool wantAlpha = channels % 2 == 0, wantGray = channels < 3;
        int depth = Math.Max(8, bd);
        int r, g, b; int? a = null; bool color;
        if (colorType == 3)
        {
            int i = src[0];
            (r, g, b) = (plte![3 * i], plte[3 * i + 1], plte[3 * i + 2]);
            if (trns != null) a = i < trns.Length ? trns[i] : 255;
            color = true; depth = 8;
        }
        else if ((colorType & 2) == 0)
        {
            int v = bd < 8 ? src[0] * 255 / ((1 << bd) - 1) : src[0];
            (r, g, b) = (v, v, v); color = false;
            if (colorType == 4) a = src[1];
            else if (trns != null && wantAlpha) a = src[0] == BinaryPrimitives.ReadUInt16BigEndian(trns) ? 0 : (1 << depth) - 1;
        }
        else
        {
            (r, g, b) = (src[0], src[1], src[2]); color = true;
            if (colorType == 6) a = src[3];
            else if (trns != null && wantAlpha)
                a = src[0] == BinaryPrimitives.ReadUInt16BigEndian(trns) && src[1] == BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(2)) && src[2] == BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(4)) ? 0 : (1 << depth) - 1;
        }
        if (!wantAlpha) a = null;
        int gray = r;
        if (wantGray && color) gray = depth == 8 ? (9797 * r + 19234 * g + 3737 * b) >> 15 : (9797 * r + 19234 * g + 3737 * b + 16384) >> 15;
        if (depth == 16 && !out16) { r >>= 8; g >>= 8; b >>= 8; gray >>= 8; if (a != null) a >>= 8; depth = 8; }
        if (wantAlpha && a == null) a = ((1 << bd) - 1) & (depth == 8 ? 0xFF : 0xFFFF);
        int[] px = wantGray ? [gray] : [r, g, b];
        if (!wantGray && !color) px = [gray, gray, gray];
        if (wantAlpha) px = [.. px, a!.Value];
        if (out16 && depth == 8) px = px.Select(v => v * 257).ToArray();
        return px;
    }

    public static TheoryData<int, int, bool, bool> PngLayouts()
    {
        var d = new TheoryData<int, int, bool, bool>();
        foreach (var (ct, bd) in new[] { (0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4), (3, 8), (4, 8), (4, 16), (6, 8), (6, 16) })
            foreach (bool interlace in new[] { false, true })
                foreach (bool trns in new[] { false, true })
                    if (!(trns && (ct & 4) != 0)) d.Add(ct, bd, interlace, trns);
        return d;
    }

    [Theory]
    [MemberData(nameof(PngLayouts))]
    public void DecodePng_EveryColorTypeDepthAndInterlace_FollowsTfAndLibpngRules(int colorType, int bitDepth, bool interlace, bool withTrns)
    {
        int w = 11, h = 9, ch = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var rnd = new Random(colorType * 100 + bitDepth * 2 + (interlace ? 1 : 0));
        int max = colorType == 3 ? Math.Min(255, (1 << bitDepth) - 1) : (1 << bitDepth) - 1;
        int entries = colorType == 3 ? max + 1 : 0;
        var samples = Enumerable.Range(0, w * h * ch).Select(_ => rnd.Next(max + 1)).ToArray();
        byte[]? plte = colorType == 3 ? Enumerable.Range(0, entries * 3).Select(_ => (byte)rnd.Next(256)).ToArray() : null;
        byte[]? trns = null;
        if (withTrns)
        {
            if (colorType == 3) trns = Enumerable.Range(0, Math.Max(1, entries / 2)).Select(_ => (byte)rnd.Next(256)).ToArray(); // shorter than the palette
            else
            {
                // The transparent colour is the first pixel's, so at least one pixel matches.
                trns = new byte[2 * ch];
                for (int c = 0; c < ch; c++) BinaryPrimitives.WriteUInt16BigEndian(trns.AsSpan(2 * c), (ushort)samples[c]);
            }
        }
        var png = WritePng(samples, w, h, colorType, bitDepth, interlace, plte, trns);
        foreach (int channels in new[] { 0, 1, 3, 4 })
            foreach (var dtype in new[] { DataType.DtUint8, DataType.DtUint16 })
            {
                var r = Compute1("DecodePng", [Bytes(png)], Attrs(("channels", channels), ("dtype", dtype)));
                int want = channels != 0 ? channels : colorType == 3 ? (withTrns ? 4 : 3) : ch;
                Assert.Equal(new TensorShape(h, w, want), r.Shape);
                Assert.Equal(dtype, r.DType);
                var got = dtype == DataType.DtUint8 ? r.ToArray<byte>().Select(v => (int)v).ToArray() : r.ToArray<ushort>().Select(v => (int)v).ToArray();
                for (int p = 0; p < w * h; p++)
                {
                    var e = ExpectedPixel(samples[(p * ch)..((p + 1) * ch)], colorType, bitDepth, plte, trns, want, dtype == DataType.DtUint16);
                    Assert.True(e.SequenceEqual(got[(p * want)..((p + 1) * want)]), $"channels {channels} {dtype} pixel {p}: expected [{string.Join(",", e)}], got [{string.Join(",", got[(p * want)..((p + 1) * want)])}]");
                }
            }
    }

    [Fact]
    public void DecodePng_HandCheckedConversions()
    {
        // RGB red → grey with libpng's truncating weights: (9797·255) >> 15 = 76; 16-bit rounds: (9797·65535 + 16384) >> 15 = 19594.
        Assert.Equal([76], Compute1("DecodePng", [Bytes(WritePng([255, 0, 0], 1, 1, 2, 8))], Attrs(("channels", 1))).ToArray<byte>());
        Assert.Equal([(ushort)19594], Compute1("DecodePng", [Bytes(WritePng([65535, 0, 0], 1, 1, 2, 16))], Attrs(("channels", 1), ("dtype", DataType.DtUint16))).ToArray<ushort>());
        // 16 → 8 bits drops the low byte (0x12FF → 0x12), 8 → 16 bits is v·257.
        Assert.Equal([0x12], Compute1("DecodePng", [Bytes(WritePng([0x12FF], 1, 1, 0, 16))]).ToArray<byte>());
        Assert.Equal([(ushort)(200 * 257)], Compute1("DecodePng", [Bytes(WritePng([200], 1, 1, 0, 8))], Attrs(("dtype", DataType.DtUint16))).ToArray<ushort>());
        // 1-bit grey expands 1 → 255; channels 3 replicates.
        Assert.Equal([0, 0, 0, 255, 255, 255], Compute1("DecodePng", [Bytes(WritePng([0, 1], 2, 1, 0, 1))], Attrs(("channels", 3))).ToArray<byte>());
        // TF asks libpng for filler (1 << bit_depth) − 1: a 4-bit palette image read with 4 channels gets alpha 15.
        Assert.Equal([10, 20, 30, 15], Compute1("DecodePng", [Bytes(WritePng([0], 1, 1, 3, 4, plte: [10, 20, 30]))], Attrs(("channels", 4))).ToArray<byte>());
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(7, 5, 2)]
    [InlineData(3, 4, 3)]
    [InlineData(6, 2, 4)]
    public void EncodePng_ThenDecodePng_IsLossless_8And16Bit(int h, int w, int channels)
    {
        var rnd = new Random(h * w * channels);
        var u8 = Enumerable.Range(0, h * w * channels).Select(_ => (byte)rnd.Next(256)).ToArray();
        foreach (int level in new[] { -1, 0, 9 })
        {
            var png = Compute1("EncodePng", [Tensor.Create(u8, [h, w, channels])], Attrs(("compression", level)));
            Assert.Equal(DataType.DtString, png.DType);
            Assert.Equal(u8, Compute1("DecodePng", [png]).ToArray<byte>());
        }
        var u16 = Enumerable.Range(0, h * w * channels).Select(_ => (ushort)rnd.Next(65536)).ToArray();
        var png16 = Compute1("EncodePng", [Tensor.Create(u16, [h, w, channels])]);
        Assert.Equal(u16, Compute1("DecodePng", [png16], Attrs(("dtype", DataType.DtUint16))).ToArray<ushort>());
        // DecodeImage float: the 16-bit decode times 1/65535.
        var f = Compute1("DecodeImage", [png16], Attrs(("dtype", DataType.DtFloat))).ToArray<float>();
        for (int i = 0; i < f.Length; i++) Assert.Equal(u16[i] * (float)(1.0 / 65535), f[i]);
    }

    [Fact]
    public void CorruptOrUnknownImages_GiveErrorsNamingTheNode()
    {
        var png = WritePng(Enumerable.Range(0, 48).ToArray(), 4, 4, 2, 8);
        string Err(byte[] b, string op = "DecodePng") => Assert.Throws<GraphExecutionException>(() => Compute1(op, [Bytes(b)])).Message;
        var flipped = (byte[])png.Clone();
        flipped[^20] ^= 0x40; // inside the second IDAT: its CRC no longer matches
        Assert.Contains($"DecodePng node '{KernelNodeName}'", Err(flipped));
        Assert.Contains("CRC", Err(flipped));
        Assert.Contains("Invalid PNG data", Err(png[..(png.Length - 30)]));
        Assert.Contains("Unknown image file format", Err([1, 2, 3, 4], "DecodeImage"));
        Assert.Contains("GIF", Err("GIF89a...."u8.ToArray(), "DecodeImage"));
        Assert.Contains("Input is empty", Err([]));
        Assert.Contains("`channels` must be 0, 1, 3 or 4", Assert.Throws<GraphExecutionException>(() => Compute1("DecodePng", [Bytes(png)], Attrs(("channels", 2)))).Message);
        Assert.Contains("1, 2, 3, or 4 channels", Assert.Throws<GraphExecutionException>(() => Compute1("EncodePng", [Tensor.Create(new byte[5], [1, 1, 5])])).Message);
    }

    // ---------- JPEG against libjpeg-turbo ----------
    private static byte[] Resource(string name)
    {
        using var s = typeof(ImageCodecTests).Assembly.GetManifestResourceStream("ImageData." + name) ?? throw new InvalidOperationException($"missing resource {name}");
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    // Binary PPM/PGM (P6/P5, maxval 255) → (h, w, c, pixels).
    private static (int H, int W, int C, byte[] Pixels) Pnm(byte[] file) => TypedGraph.Tests.Support.Pnm.Parse(file);

    private (int Max, double Mean, int Differing) Compare(byte[] expected, byte[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int max = 0, differing = 0;
        long sum = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int d = Math.Abs(expected[i] - actual[i]);
            max = Math.Max(max, d); sum += d; if (d != 0) differing++;
        }
        double mean = (double)sum / expected.Length;
        output.WriteLine($"{what}: max |diff| {max}, mean {mean:F4}, {differing} of {expected.Length} samples differ");
        return (max, mean, differing);
    }

    [Theory]
    [InlineData("photo444", "", "ifast")]
    [InlineData("photo444", "INTEGER_ACCURATE", "islow")]
    [InlineData("photo420", "", "ifast")]
    [InlineData("photo420", "INTEGER_ACCURATE", "islow")]
    public void DecodeJpeg_AgainstLibjpegTurbo(string file, string dct, string refKind)
    {
        var (h, w, c, expected) = Pnm(Resource($"{file}.{refKind}.ppm"));
        var r = Compute1("DecodeJpeg", [Bytes(Resource(file + ".jpg"))], Attrs(("dct_method", dct)));
        Assert.Equal(new TensorShape(h, w, c), r.Shape);
        // Bit-exact: the same IDCT, upsampling and colour arithmetic as libjpeg-turbo's C code.
        Assert.Equal(0, Compare(expected, r.ToArray<byte>(), $"{file} {refKind}").Max);
    }

    [Fact]
    public void DecodeJpeg_GreyAndLumaChannels_AgainstLibjpegTurbo_BadRatioRefused()
    {
        var gray = Pnm(Resource("gray.ifast.pgm"));
        var g = Compute1("DecodeJpeg", [Bytes(Resource("gray.jpg"))]);
        Assert.Equal(new TensorShape(gray.H, gray.W, 1), g.Shape);
        Assert.Equal(0, Compare(gray.Pixels, g.ToArray<byte>(), "gray").Max);
        // A grey JPEG read with channels 3 repeats the grey value (libjpeg's gray → RGB).
        var g3 = Compute1("DecodeJpeg", [Bytes(Resource("gray.jpg"))], Attrs(("channels", 3))).ToArray<byte>();
        var g1 = g.ToArray<byte>();
        for (int i = 0; i < g1.Length; i++) Assert.True(g3[3 * i] == g1[i] && g3[3 * i + 1] == g1[i] && g3[3 * i + 2] == g1[i]);
        // A colour JPEG read with channels 1 is the decoded luma plane (djpeg -grayscale).
        var y = Pnm(Resource("photo420.gray.ifast.pgm"));
        Assert.Equal(0, Compare(y.Pixels, Compute1("DecodeJpeg", [Bytes(Resource("photo420.jpg"))], Attrs(("channels", 1))).ToArray<byte>(), "photo420 as grey").Max);
        // ratio 2/4/8 are JpegDecodeOptionsTests' subject; anything else is TF's attr error naming the node.
        Assert.Contains($"DecodeJpeg node '{KernelNodeName}': ratio must be 1, 2, 4, or 8, got 3", Assert.Throws<GraphExecutionException>(() => Compute1("DecodeJpeg", [Bytes(Resource("photo420.jpg"))], Attrs(("ratio", 3)))).Message);
    }

    [Fact]
    public void DecodeImage_JpegDtypes_AndTruncatedJpeg()
    {
        var jpg = Resource("photo444.jpg");
        var u8 = Compute1("DecodeImage", [Bytes(jpg)]).ToArray<byte>();
        var u16 = Compute1("DecodeImage", [Bytes(jpg)], Attrs(("dtype", DataType.DtUint16))).ToArray<ushort>();
        var f = Compute1("DecodeImage", [Bytes(jpg)], Attrs(("dtype", DataType.DtFloat))).ToArray<float>();
        for (int i = 0; i < u8.Length; i++)
        {
            Assert.Equal(u8[i] * 256, u16[i]); // TF: floor(65536 / 256)
            Assert.Equal(u8[i] * (float)(1.0 / 255), f[i]);
        }
        // DecodePng reads JPEG bytes too (TF's decoders sniff the format).
        Assert.Equal(u8, Compute1("DecodePng", [Bytes(jpg)]).ToArray<byte>());
        var truncated = jpg[..(jpg.Length * 2 / 3)];
        Assert.Contains($"DecodeJpeg node '{KernelNodeName}'", Assert.Throws<GraphExecutionException>(() => Compute1("DecodeJpeg", [Bytes(truncated)])).Message);
        var recovered = Compute1("DecodeJpeg", [Bytes(truncated)], Attrs(("try_recover_truncated", true)));
        Assert.Equal(new TensorShape(24, 40, 3), recovered.Shape);
        Assert.Contains("JPEG does not support 4 channels", Assert.Throws<GraphExecutionException>(() => Compute1("DecodeJpeg", [Bytes(jpg)], Attrs(("channels", 4)))).Message);
        var garbage = (byte[])jpg.Clone();
        for (int i = 20; i < 200; i++) garbage[i] = 0xFF;
        Assert.Throws<GraphExecutionException>(() => Compute1("DecodeJpeg", [Bytes(garbage)]));
    }

    [Fact]
    public void EncodeJpeg_ThenDecode_StaysCloseToTheSource()
    {
        var (h, w, _, src) = Pnm(Resource("photo444.islow.ppm"));
        var jpg = Compute1("EncodeJpeg", [Tensor.Create(src, [h, w, 3])], Attrs(("quality", 95), ("chroma_downsampling", false)));
        var back = Compute1("DecodeJpeg", [jpg], Attrs(("dct_method", "INTEGER_ACCURATE"))).ToArray<byte>();
        var (_, mean, _) = Compare(src, back, "EncodeJpeg q95 4:4:4 round trip");
        Assert.True(mean < 2.0, $"mean |diff| {mean}");
        var grey = src.Where((_, i) => i % 3 == 1).ToArray();
        var gj = Compute1("EncodeJpeg", [Tensor.Create(grey, [h, w, 1])], Attrs(("quality", 90)));
        var gb = Compute1("DecodeJpeg", [gj]);
        Assert.Equal(new TensorShape(h, w, 1), gb.Shape);
        Assert.True(Compare(grey, gb.ToArray<byte>(), "EncodeJpeg grey q90").Mean < 3.0);
        Assert.Contains("1 or 3 channels", Assert.Throws<GraphExecutionException>(() => Compute1("EncodeJpeg", [Tensor.Create(new byte[8], [1, 2, 4])])).Message);
    }
}
