using BitMiracle.LibJpeg.Classic;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// JPEG decoding and encoding on BitMiracle.LibJpeg.NET (a fully managed C# port of the IJG libjpeg, BSD 3-clause):
/// it parses markers and entropy-decodes (baseline and progressive) into quantized coefficients, and
/// <see cref="JpegPixelPipeline"/> turns those into pixels with libjpeg-turbo's arithmetic, which TF links. How
/// closely the pixels agree with libjpeg-turbo was measured and is stated in docs/compat.md. Every libjpeg failure
/// becomes an <see cref="InvalidDataException"/>.
/// </summary>
internal static class JpegCodec
{
    /// <summary>True when <paramref name="data"/> starts with a JPEG SOI marker and another marker (TF's sniff: FF D8 FF).</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>TF's DecodeJpeg attrs (UncompressFlags).</summary>
    public sealed record DecodeSettings(int Ratio = 1, bool FancyUpscaling = true, bool TryRecoverTruncated = false, bool IntegerAccurate = false)
    {
        /// <summary>TF's defaults; note TF maps dct_method "" to JDCT_IFAST.</summary>
        public static DecodeSettings Default { get; } = new();
    }

    /// <summary>A decoded image: [height, width, channels] bytes.</summary>
    public sealed record Image(int Height, int Width, int Channels, byte[] Pixels);

    private sealed class ThrowingErrors : jpeg_error_mgr
    {
        public bool SawPrematureEnd;

        public override void error_exit() => throw new InvalidDataException(format_message());

        public override void emit_message(int msg_level)
        {
            // Level −1 is a warning. A truncated stream makes libjpeg's source manager warn "Premature end of JPEG
            // file" and insert a fake EOI; TF's memory source fails instead unless try_recover_truncated is set.
            if (msg_level == -1 && format_message().Contains("Premature end of JPEG file", StringComparison.Ordinal)) SawPrematureEnd = true;
        }

        public override void output_message() { }
    }

    /// <summary>Decodes to <paramref name="channels"/> (0 = as stored: 1 for greyscale, 3 for colour). At ratio 1 the
    /// pixels come from <see cref="JpegPixelPipeline"/> (libjpeg-turbo's IDCT, upsampling and colour code); scaled
    /// decodes (ratio 2, 4, 8) are refused (libjpeg-turbo's reduced IDCTs are not ported).</summary>
    /// <exception cref="InvalidDataException">Invalid or (without recovery) truncated JPEG data.</exception>
    public static Image Decode(byte[] data, int channels, DecodeSettings settings)
    {
        var errors = new ThrowingErrors();
        var cinfo = new jpeg_decompress_struct(errors);
        try
        {
            cinfo.jpeg_stdio_src(new MemoryStream(data, writable: false));
            cinfo.jpeg_read_header(true);
            int stored = cinfo.Num_components;
            if (stored is not (1 or 3)) throw new InvalidDataException($"JPEG with {stored} components (CMYK/YCCK) is not supported");
            int outChannels = channels == 0 ? stored : channels;
            int width = cinfo.Image_width, height = cinfo.Image_height;
            if ((long)width * height * outChannels > int.MaxValue) throw new InvalidDataException($"JPEG too large: {width} by {height}");
            if (settings.Ratio != 1) throw new InvalidDataException($"scaled decoding (ratio {settings.Ratio}) is not supported");
            var image = DecodeCoefficients(cinfo, data, width, height, outChannels, settings);
            if (errors.SawPrematureEnd && !settings.TryRecoverTruncated) throw new InvalidDataException("Premature end of JPEG file (set try_recover_truncated to accept it)");
            cinfo.jpeg_finish_decompress();
            return image;
        }
        catch (InvalidDataException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The port signals some corrupt streams with plain exceptions (index errors and the like).
            throw new InvalidDataException($"corrupt JPEG data ({e.GetType().Name}: {e.Message})");
        }
        finally { cinfo.jpeg_destroy(); }
    }

    private static Image DecodeCoefficients(jpeg_decompress_struct cinfo, byte[] data, int width, int height, int outChannels, DecodeSettings settings)
    {
        var coefficients = cinfo.jpeg_read_coefficients();
        var quant = QuantTables(data);
        var info = cinfo.Comp_info;
        int maxH = 1, maxV = 1;
        for (int ci = 0; ci < cinfo.Num_components; ci++) { maxH = Math.Max(maxH, info[ci].H_samp_factor); maxV = Math.Max(maxV, info[ci].V_samp_factor); }
        var comps = new List<JpegPixelPipeline.Component>();
        for (int ci = 0; ci < cinfo.Num_components; ci++)
        {
            var c = info[ci];
            if (maxH % c.H_samp_factor != 0 || maxV % c.V_samp_factor != 0) throw new InvalidDataException("fractional sampling factors are not supported");
            int dh = (int)(((long)height * c.V_samp_factor + maxV - 1) / maxV);
            int blockRows = (dh + 7) / 8, blockCols = c.Width_in_blocks;
            var rows = coefficients[ci].Access(0, blockRows);
            var blocks = new short[blockRows][][];
            for (int r = 0; r < blockRows; r++)
            {
                blocks[r] = new short[blockCols][];
                for (int b = 0; b < blockCols; b++)
                {
                    var block = new short[64];
                    for (int k = 0; k < 64; k++) block[k] = rows[r][b][k];
                    blocks[r][b] = block;
                }
            }
            var table = quant[c.Quant_tbl_no] ?? throw new InvalidDataException($"quantization table {c.Quant_tbl_no} is not defined");
            comps.Add(new JpegPixelPipeline.Component(blocks, c.H_samp_factor, c.V_samp_factor, c.Downsampled_width, dh, table));
        }
        bool ycc = cinfo.Jpeg_color_space == J_COLOR_SPACE.JCS_YCbCr;
        var pixels = JpegPixelPipeline.Decode(comps, width, height, outChannels, settings.IntegerAccurate, settings.FancyUpscaling, ycc);
        return new Image(height, width, outChannels, pixels);
    }

    private static readonly int[] s_naturalOrder =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>The DQT tables defined before the first scan, in natural order (LibJpeg.NET does not expose its copy).</summary>
    private static ushort[]?[] QuantTables(byte[] d)
    {
        var tables = new ushort[]?[4];
        int pos = 2;
        while (pos + 4 <= d.Length)
        {
            if (d[pos] != 0xFF) { pos++; continue; }
            int marker = d[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0xD8 or 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
            int len = (d[pos + 2] << 8) | d[pos + 3];
            if (marker == 0xDA) break;
            if (marker == 0xDB)
            {
                int p = pos + 4, end = Math.Min(d.Length, pos + 2 + len);
                while (p < end)
                {
                    int pq = d[p] >> 4, tq = d[p] & 15;
                    p++;
                    if (tq > 3 || p + 64 * (pq + 1) > end) throw new InvalidDataException("bad DQT segment");
                    var t = new ushort[64];
                    for (int k = 0; k < 64; k++) t[s_naturalOrder[k]] = pq == 0 ? d[p + k] : (ushort)((d[p + 2 * k] << 8) | d[p + 2 * k + 1]);
                    tables[tq] = t;
                    p += 64 * (pq + 1);
                }
            }
            pos += 2 + len;
        }
        return tables;
    }

    /// <summary>Encodes [height, width, 1 or 3] bytes at <paramref name="quality"/> (libjpeg's quality scaling of the
    /// standard tables), 4:2:0 chroma when <paramref name="chromaDownsampling"/>, else 4:4:4.</summary>
    public static byte[] Encode(byte[] pixels, int height, int width, int channels, int quality, bool progressive, bool optimize, bool chromaDownsampling, int densityUnit, int xDensity, int yDensity)
    {
        var cinfo = new jpeg_compress_struct(new ThrowingErrors());
        var output = new MemoryStream();
        try
        {
            cinfo.jpeg_stdio_dest(output);
            cinfo.Image_width = width;
            cinfo.Image_height = height;
            cinfo.Input_components = channels;
            cinfo.In_color_space = channels == 1 ? J_COLOR_SPACE.JCS_GRAYSCALE : J_COLOR_SPACE.JCS_RGB;
            cinfo.jpeg_set_defaults();
            cinfo.jpeg_set_quality(quality, true);
            cinfo.Optimize_coding = optimize;
            cinfo.Density_unit = (DensityUnit)densityUnit;
            cinfo.X_density = (short)xDensity;
            cinfo.Y_density = (short)yDensity;
            if (channels == 3 && !chromaDownsampling)
            {
                cinfo.Component_info[0].H_samp_factor = 1;
                cinfo.Component_info[0].V_samp_factor = 1;
            }
            if (progressive) cinfo.jpeg_simple_progression();
            cinfo.jpeg_start_compress(true);
            var row = new byte[1][];
            for (int y = 0; y < height; y++)
            {
                row[0] = new byte[width * channels];
                Buffer.BlockCopy(pixels, y * width * channels, row[0], 0, width * channels);
                cinfo.jpeg_write_scanlines(row, 1);
            }
            cinfo.jpeg_finish_compress();
            return output.ToArray();
        }
        finally { cinfo.jpeg_destroy(); }
    }
}
