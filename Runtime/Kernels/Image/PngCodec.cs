using System.Buffers.Binary;
using System.IO.Compression;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// A PNG reader and writer (our own code on <see cref="ZLibStream"/>; PNG is lossless, so decoded samples equal
/// libpng's). Decoding applies the same output transforms as TF's <c>png::CommonInitDecode</c> (png_io.cc) asks of
/// libpng 1.6, in libpng's order: palette → RGB(A) and low-bit grey → 8 bits, tRNS → alpha only when alpha is
/// wanted, alpha stripped when not wanted, RGB → grey with libpng's integer weights (red 9797, green 19234, blue 3737
/// of 32768: <c>png_set_rgb_to_gray(1, 0.299, 0.587)</c>; 8-bit truncates, 16-bit rounds), 16 → 8 bits by dropping the
/// low byte (<c>png_set_strip_16</c>), a missing alpha filled with TF's filler (1 &lt;&lt; bit_depth) − 1 as libpng's
/// read filler stores it (its low byte at 8 bits), grey → RGB by copying, and 8 → 16 bits as v·257 (TF's
/// <c>Convert8to16</c>). A gAMA chunk is ignored: libpng would apply gamma only inside RGB → grey, which we do not
/// (documented in docs/compat.md).
/// </summary>
internal static class PngCodec
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private const int RedWeight = 9797, GreenWeight = 19234, BlueWeight = 32768 - RedWeight - GreenWeight;

    /// <summary>True when <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(Signature);

    /// <summary>A decoded image: samples row-major [height, width, channels], 8- or 16-bit values in an int array.</summary>
    public sealed record Image(int Height, int Width, int Channels, int[] Samples);

    /// <summary>Decodes <paramref name="data"/> to <paramref name="desiredChannels"/> (0 = as stored; palette → 3 or 4)
    /// at 8 or 16 bits per sample.</summary>
    /// <exception cref="InvalidDataException">The bytes are not a valid PNG (the message says what is wrong).</exception>
    public static Image Decode(ReadOnlySpan<byte> data, int desiredChannels, bool sixteenBit)
    {
        if (!IsPng(data)) throw new InvalidDataException("not a PNG file (bad signature)");
        int width = 0, height = 0, bitDepth = 0, colorType = -1, interlace = 0;
        byte[]? palette = null, trns = null;
        var idat = new MemoryStream();
        bool sawEnd = false;
        int at = Signature.Length;
        while (at < data.Length && !sawEnd)
        {
            if (data.Length - at < 12) throw new InvalidDataException($"truncated chunk header at byte {at}");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[at..]);
            if (length > int.MaxValue || length > data.Length - at - 12) throw new InvalidDataException($"chunk at byte {at} runs past the end of the data");
            var typeBytes = data.Slice(at + 4, 4);
            string type = System.Text.Encoding.ASCII.GetString(typeBytes);
            var body = data.Slice(at + 8, (int)length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data[(at + 8 + (int)length)..]);
            bool critical = (typeBytes[0] & 0x20) == 0;
            if (Summaries.PngEncoder.Crc32(data.Slice(at + 4, 4 + (int)length)) != crc)
            {
                // libpng's default: a CRC error in a critical chunk is fatal, in an ancillary chunk it is discarded.
                if (critical) throw new InvalidDataException($"CRC error in {type} chunk");
                at += 12 + (int)length;
                continue;
            }
            switch (type)
            {
                case "IHDR":
                    if (length != 13) throw new InvalidDataException("IHDR must be 13 bytes");
                    width = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body), int.MaxValue);
                    height = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(body[4..]), int.MaxValue);
                    bitDepth = body[8]; colorType = body[9]; interlace = body[12];
                    if (body[10] != 0 || body[11] != 0) throw new InvalidDataException("unknown compression or filter method");
                    if (interlace > 1) throw new InvalidDataException($"unknown interlace method {interlace}");
                    bool depthOk = colorType switch
                    {
                        0 => bitDepth is 1 or 2 or 4 or 8 or 16,
                        3 => bitDepth is 1 or 2 or 4 or 8,
                        2 or 4 or 6 => bitDepth is 8 or 16,
                        _ => false,
                    };
                    if (!depthOk) throw new InvalidDataException($"invalid color type {colorType} / bit depth {bitDepth}");
                    break;
                case "PLTE":
                    if (length % 3 != 0 || length == 0 || length > 768) throw new InvalidDataException("invalid PLTE length");
                    palette = body.ToArray();
                    break;
                case "tRNS": trns = body.ToArray(); break;
                case "IDAT": idat.Write(body); break;
                case "IEND": sawEnd = true; break;
            }
            if (at == Signature.Length && type != "IHDR") throw new InvalidDataException("IHDR must be the first chunk");
            at += 12 + (int)length;
        }
        if (colorType < 0) throw new InvalidDataException("missing IHDR");
        // TF's DecodePngV2 limits: each side below 2^27 and width·height below 2^29.
        if (width <= 0 || height <= 0 || width >= 1 << 27 || height >= 1 << 27 || (long)width * height >= 1L << 29)
            throw new InvalidDataException($"PNG size too large for int: {width} by {height}");
        if (colorType == 3 && palette == null) throw new InvalidDataException("palette image without PLTE");
        if (idat.Length == 0) throw new InvalidDataException("no image data (IDAT)");

        int srcChannels = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        var raw = Unfilter(Inflate(idat, width, height, srcChannels * bitDepth, interlace), width, height, srcChannels, bitDepth, interlace);
        int channels = desiredChannels != 0 ? desiredChannels : colorType == 3 ? (trns != null ? 4 : 3) : srcChannels;
        return Transform(raw, width, height, colorType, bitDepth, palette, trns, channels, sixteenBit);
    }

    private static byte[] Inflate(MemoryStream idat, int width, int height, int bitsPerPixel, int interlace)
    {
        long expected = 0;
        foreach (var (w, h) in PassSizes(width, height, interlace))
            if (w > 0 && h > 0) expected += h * (1 + ((long)w * bitsPerPixel + 7) / 8);
        if (expected > int.MaxValue) throw new InvalidDataException($"PNG size too large for int: {width} by {height}");
        var buffer = new byte[expected];
        idat.Position = 0;
        int got = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            while (got < buffer.Length)
            {
                int n = z.Read(buffer, got, buffer.Length - got);
                if (n == 0) break;
                got += n;
            }
        }
        catch (InvalidDataException e) { throw new InvalidDataException($"corrupt compressed image data ({e.Message})"); }
        if (got < buffer.Length) throw new InvalidDataException($"not enough image data: {got} of {buffer.Length} bytes");
        return buffer;
    }

    private static readonly (int X0, int Y0, int Dx, int Dy)[] s_adam7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static IEnumerable<(long W, long H)> PassSizes(int width, int height, int interlace)
    {
        if (interlace == 0) { yield return (width, height); yield break; }
        foreach (var (x0, y0, dx, dy) in s_adam7)
            yield return ((width - x0 + dx - 1) / dx, (height - y0 + dy - 1) / dy);
    }

    /// <summary>Reverses the scanline filters and unpacks samples (MSB-first below 8 bits, big-endian at 16).</summary>
    private static int[] Unfilter(byte[] z, int width, int height, int channels, int bitDepth, int interlace)
    {
        var samples = new int[(long)width * height * channels];
        int bpp = Math.Max(1, channels * bitDepth / 8);
        var passes = interlace == 0 ? [(0, 0, 1, 1)] : s_adam7;
        int pos = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            int pw = (width - x0 + dx - 1) / dx, ph = (height - y0 + dy - 1) / dy;
            if (pw <= 0 || ph <= 0) continue;
            int rowBytes = (int)(((long)pw * channels * bitDepth + 7) / 8);
            var prev = new byte[rowBytes];
            var row = new byte[rowBytes];
            for (int r = 0; r < ph; r++)
            {
                int filter = z[pos++];
                Array.Copy(z, pos, row, 0, rowBytes);
                pos += rowBytes;
                for (int i = 0; i < rowBytes; i++)
                {
                    int a = i >= bpp ? row[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    row[i] = filter switch
                    {
                        0 => row[i],
                        1 => (byte)(row[i] + a),
                        2 => (byte)(row[i] + b),
                        3 => (byte)(row[i] + ((a + b) >> 1)),
                        4 => (byte)(row[i] + Paeth(a, b, c)),
                        _ => throw new InvalidDataException($"unknown row filter {filter}"),
                    };
                }
                int y = y0 + r * dy;
                for (int px = 0; px < pw; px++)
                {
                    long dst = ((long)y * width + x0 + px * dx) * channels;
                    for (int ch = 0; ch < channels; ch++)
                    {
                        int s = px * channels + ch;
                        samples[dst + ch] = bitDepth switch
                        {
                            16 => (row[2 * s] << 8) | row[2 * s + 1],
                            8 => row[s],
                            _ => (row[s * bitDepth / 8] >> (8 - bitDepth - s * bitDepth % 8)) & ((1 << bitDepth) - 1),
                        };
                    }
                }
                (prev, row) = (row, prev);
            }
        }
        return samples;
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static Image Transform(int[] raw, int width, int height, int colorType, int bitDepth, byte[]? palette, byte[]? trns, int channels, bool sixteenBit)
    {
        long pixels = (long)width * height;
        bool wantAlpha = channels % 2 == 0, wantGray = channels < 3;
        bool color = (colorType & 2) != 0, alpha = (colorType & 4) != 0;
        int depth = bitDepth;
        int cur = colorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        int[] px = raw;
        // Expand: palette → RGB (+ tRNS alpha: png_set_palette_to_rgb expands tRNS too), grey below 8 bits → 8 bits,
        // and tRNS → alpha for grey/RGB when alpha is wanted (png_set_tRNS_to_alpha).
        if (colorType == 3)
        {
            bool palAlpha = trns != null;
            int n = palAlpha ? 4 : 3;
            var o = new int[pixels * n];
            int entries = palette!.Length / 3;
            for (long i = 0; i < pixels; i++)
            {
                int idx = raw[i];
                // libpng maps an index past the palette to black (png_do_expand_palette reads a zero-filled table).
                for (int c = 0; c < 3; c++) o[i * n + c] = idx < entries ? palette[idx * 3 + c] : 0;
                if (palAlpha) o[i * n + 3] = idx < trns!.Length ? trns[idx] : 255;
            }
            px = o; cur = n; depth = 8; color = true; alpha = palAlpha;
        }
        else
        {
            int[]? key = null;
            if (trns != null && wantAlpha && !alpha)
            {
                key = colorType == 0 && trns.Length >= 2 ? [BinaryPrimitives.ReadUInt16BigEndian(trns) & ((1 << bitDepth) - 1)]
                    : colorType == 2 && trns.Length >= 6 ? [BinaryPrimitives.ReadUInt16BigEndian(trns), BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(2)), BinaryPrimitives.ReadUInt16BigEndian(trns.AsSpan(4))]
                    : null;
            }
            int scale = !color && bitDepth < 8 ? 255 / ((1 << bitDepth) - 1) : 1;
            int outDepth = Math.Max(8, bitDepth);
            if (key != null)
            {
                int n = cur + 1, max = (1 << outDepth) - 1;
                var o = new int[pixels * n];
                for (long i = 0; i < pixels; i++)
                {
                    bool transparent = true;
                    for (int c = 0; c < cur; c++)
                    {
                        int v = raw[i * cur + c];
                        transparent &= v == key[c];
                        o[i * n + c] = v * scale;
                    }
                    o[i * n + cur] = transparent ? 0 : max;
                }
                px = o; cur = n; alpha = true;
            }
            else if (scale != 1)
            {
                px = new int[raw.Length];
                for (long i = 0; i < raw.Length; i++) px[i] = raw[i] * scale;
            }
            depth = outDepth;
        }
        if (!wantAlpha && alpha)
        {
            px = KeepFirst(px, pixels, cur, cur - 1);
            cur -= 1; alpha = false;
        }
        if (wantGray && color)
        {
            int n = alpha ? 2 : 1;
            var o = new int[pixels * n];
            for (long i = 0; i < pixels; i++)
            {
                int r = px[i * cur], g = px[i * cur + 1], b = px[i * cur + 2];
                o[i * n] = depth == 8 ? (RedWeight * r + GreenWeight * g + BlueWeight * b) >> 15
                    : (RedWeight * r + GreenWeight * g + BlueWeight * b + 16384) >> 15;
                if (alpha) o[i * n + 1] = px[i * cur + 3];
            }
            px = o; cur = n; color = false;
        }
        if (depth == 16 && !sixteenBit)
        {
            for (long i = 0; i < px.Length; i++) px[i] >>= 8;
            depth = 8;
        }
        if (wantAlpha && !alpha)
        {
            int filler = ((1 << bitDepth) - 1) & (depth == 8 ? 0xFF : 0xFFFF);
            var o = new int[pixels * (cur + 1)];
            for (long i = 0; i < pixels; i++)
            {
                for (int c = 0; c < cur; c++) o[i * (cur + 1) + c] = px[i * cur + c];
                o[i * (cur + 1) + cur] = filler;
            }
            px = o; cur += 1; alpha = true;
        }
        if (!wantGray && !color)
        {
            int n = alpha ? 4 : 3;
            var o = new int[pixels * n];
            for (long i = 0; i < pixels; i++)
            {
                int g = px[i * cur];
                o[i * n] = o[i * n + 1] = o[i * n + 2] = g;
                if (alpha) o[i * n + 3] = px[i * cur + 1];
            }
            px = o; cur = n;
        }
        if (sixteenBit && depth == 8)
            for (long i = 0; i < px.Length; i++) px[i] |= px[i] << 8;
        return new Image(height, width, cur, px);
    }

    // Keeps the first `keep` samples of each pixel (png_set_strip_alpha: alpha is last, dropped without compositing).
    private static int[] KeepFirst(int[] px, long pixels, int from, int keep)
    {
        var o = new int[pixels * keep];
        for (long i = 0; i < pixels; i++)
            for (int c = 0; c < keep; c++) o[i * keep + c] = px[i * from + c];
        return o;
    }

    /// <summary>Encodes [height, width, channels] samples (1–4 channels; 8 or 16 bits) as a non-interlaced PNG with
    /// zlib level <paramref name="compression"/> (−1 = default, 0–9 as zlib).</summary>
    public static byte[] Encode(ReadOnlySpan<ushort> samples, int height, int width, int channels, bool sixteenBit, int compression)
    {
        int colorType = channels switch { 1 => 0, 2 => 4, 3 => 2, 4 => 6, _ => throw new ArgumentOutOfRangeException(nameof(channels)) };
        int bytesPerSample = sixteenBit ? 2 : 1;
        int rowBytes = width * channels * bytesPerSample;
        var rawData = new byte[(long)height * (rowBytes + 1)];
        for (int y = 0; y < height; y++)
        {
            int o = y * (rowBytes + 1);
            rawData[o] = 0; // filter None
            for (int i = 0; i < width * channels; i++)
            {
                ushort v = samples[y * width * channels + i];
                if (sixteenBit) BinaryPrimitives.WriteUInt16BigEndian(rawData.AsSpan(o + 1 + 2 * i), v);
                else rawData[o + 1 + i] = (byte)v;
            }
        }
        var level = compression switch
        {
            0 => CompressionLevel.NoCompression,
            >= 1 and <= 3 => CompressionLevel.Fastest,
            9 => CompressionLevel.SmallestSize,
            _ => CompressionLevel.Optimal,
        };
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, level, leaveOpen: true)) z.Write(rawData);
        var png = new MemoryStream();
        png.Write(Signature);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)height);
        ihdr[8] = (byte)(sixteenBit ? 16 : 8);
        ihdr[9] = (byte)colorType;
        Summaries.PngEncoder.Chunk(png, "IHDR", ihdr);
        Summaries.PngEncoder.Chunk(png, "IDAT", compressed.ToArray());
        Summaries.PngEncoder.Chunk(png, "IEND", []);
        return png.ToArray();
    }
}
