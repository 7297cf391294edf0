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
    public sealed record DecodeSettings(int Ratio = 1, bool FancyUpscaling = true, bool TryRecoverTruncated = false, bool IntegerAccurate = false, float AcceptableFraction = 1f)
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

    /// <summary>A DecodeAndCropJpeg window in output (post-ratio) pixels: rows [Y, Y + Height), columns [X, X + Width).</summary>
    public readonly record struct CropWindow(int Y, int X, int Height, int Width);

    /// <summary>
    /// Decodes to <paramref name="channels"/> as TF's <c>jpeg_mem.cc</c> UncompressLow: 0 = min(stored, 3), 1 = grey,
    /// 3 = RGB; 4-component (CMYK/YCCK, Adobe) files are decoded to CMYK and converted to RGB with TF's formula
    /// (<c>saw_Adobe_marker</c>: r = k·c/255, else r = (255−k)(255−c)/255, integer division). Pixels come from
    /// <see cref="JpegPixelPipeline"/> (libjpeg-turbo's IDCTs incl. the reduced ones for ratio 2/4/8, upsampling and
    /// colour code). With <paramref name="crop"/> only that window is produced, with libjpeg-turbo's
    /// jpeg_crop_scanline edge behaviour.
    /// </summary>
    /// <exception cref="InvalidDataException">Invalid or (without recovery) truncated JPEG data, or a crop window
    /// outside the image.</exception>
    public static Image Decode(byte[] data, int channels, DecodeSettings settings, CropWindow? crop = null)
    {
        var errors = new ThrowingErrors();
        var cinfo = new jpeg_decompress_struct(errors);
        Frame? frame = null;
        try
        {
            cinfo.jpeg_stdio_src(new MemoryStream(data, writable: false));
            cinfo.jpeg_read_header(true);
            var markers = ReadMarkers(data);
            int stored = cinfo.Num_components;
            // jdapimin.c default_decompress_parms: 4 components are YCCK only with an Adobe marker of transform 2
            // (or another non-zero transform); 3 components are RGB or YCbCr as LibJpeg.NET's same rules decided.
            var space = stored switch
            {
                1 => JpegPixelPipeline.ColorSpace.Grayscale,
                3 => cinfo.Jpeg_color_space == J_COLOR_SPACE.JCS_RGB ? JpegPixelPipeline.ColorSpace.Rgb : JpegPixelPipeline.ColorSpace.YCbCr,
                4 => markers.SawAdobe && markers.AdobeTransform != 0 ? JpegPixelPipeline.ColorSpace.Ycck : JpegPixelPipeline.ColorSpace.Cmyk,
                _ => throw new InvalidDataException($"JPEG with {stored} components is not supported (libjpeg: unknown colour space)"),
            };
            int components = channels == 0 ? Math.Min(stored, 3) : channels;
            // libjpeg-turbo's colour deconverter has no CMYK/YCCK → greyscale path (JERR_CONVERSION_NOTIMPL).
            if (components == 1 && stored == 4) throw new InvalidDataException("Unsupported color conversion request (CMYK/YCCK JPEG to 1 channel)");
            int width = cinfo.Image_width, height = cinfo.Image_height;
            int minScaled = 8 / settings.Ratio;
            // jdmaster.c jpeg_core_output_dimensions: output = ceil(image · min_DCT_scaled_size / 8).
            int outW = (int)(((long)width * minScaled + 7) / 8), outH = (int)(((long)height * minScaled + 7) / 8);
            if ((long)outW * outH * stored >= 1L << 29) throw new InvalidDataException($"Image too large: {(long)outW * outH * stored}");
            if (crop is { } w && !(w.Width > 0 && w.Height > 0 && w.X >= 0 && w.Y >= 0 && (long)w.Y + w.Height <= outH && (long)w.X + w.Width <= outW))
                throw new InvalidDataException($"Invalid crop window: x={w.X}, y={w.Y}, w={w.Width}, h={w.Height} for image_width: {outW} and image_height: {outH}");
            var info = cinfo.Comp_info;
            var frameComps = new FrameComponent[stored];
            for (int ci = 0; ci < stored; ci++) frameComps[ci] = new FrameComponent(info[ci].H_samp_factor, info[ci].V_samp_factor, info[ci].Quant_tbl_no);
            frame = new Frame(width, height, frameComps, markers, space, components, outW, outH, minScaled);
            var image = Render(frame, LibJpegBlocks(cinfo, frame), settings, crop, out _);
            // A stream that ends early makes LibJpeg.NET's source warn (here or while looking for EOI) and insert a
            // fake EOI; TF's memory source behaves differently — see JpegTruncatedScan.
            if (!errors.SawPrematureEnd) cinfo.jpeg_finish_decompress();
            if (!errors.SawPrematureEnd) return image;
        }
        catch (Exception e) when (errors.SawPrematureEnd && e is not OutOfMemoryException) { }
        catch (InvalidDataException) { throw; }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The port signals some corrupt streams with plain exceptions (index errors and the like).
            throw new InvalidDataException($"corrupt JPEG data ({e.GetType().Name}: {e.Message})");
        }
        finally { cinfo.jpeg_destroy(); }
        return DecodeTruncated(data, settings, crop, frame);
    }

    /// <summary>A decode of data that ends early, as TF's jpeg_mem.cc on libjpeg-turbo (see <see cref="JpegTruncatedScan"/>):
    /// without try_recover_truncated the rows libjpeg delivered before suspending are kept when they are at least
    /// min(1, acceptable_fraction) of the image and the rest is zeroed (Uncompress); with it, every row comes from
    /// the decoder's re-read and zero-filled data.</summary>
    private static Image DecodeTruncated(byte[] data, DecodeSettings settings, CropWindow? crop, Frame? frame)
    {
        var scan = JpegTruncatedScan.Decode(data, settings.TryRecoverTruncated, out _, out _, out _);
        // LibJpeg.NET read these headers before the stream ran out; our own parse of the same headers agreed on the layout.
        if (frame == null) throw new InvalidDataException("Premature end of JPEG file");
        var image = Render(frame, scan.Blocks, settings, crop, out bool contextRows);
        if (scan.Outcome == JpegTruncatedScan.Outcome.Complete) return image;
        if (crop != null)
            throw new InvalidDataException("not supported: DecodeAndCropJpeg on truncated data without try_recover_truncated is not modelled (TF skips scanlines with jpeg_skip_scanlines, which CHECK-fails when it suspends)");
        int maxV = frame.Components.Max(c => c.V);
        int heightRead = JpegTruncatedScan.ScanlinesAvailable(scan.CompleteImcuRows, scan.TotalImcuRows, maxV, frame.MinScaled, contextRows, frame.OutH);
        // jpeg_mem.cc Uncompress: fraction_read = height_read / height (float) against min(1, min_acceptable_fraction).
        float fraction = (float)heightRead / frame.OutH;
        if (fraction < Math.Min(1f, settings.AcceptableFraction))
            throw new InvalidDataException($"Premature end of JPEG data. Stopped at line {heightRead}/{frame.OutH} (fraction read {fraction} < acceptable_fraction {settings.AcceptableFraction})");
        long rowBytes = (long)image.Width * image.Channels;
        Array.Clear(image.Pixels, (int)(heightRead * rowBytes), (int)((frame.OutH - heightRead) * rowBytes));
        return image;
    }

    /// <summary>A frame component's sampling factors and quantization table.</summary>
    private sealed record FrameComponent(int H, int V, int QuantTable);

    /// <summary>What the pixel stage needs from the headers: sizes, components, colour space, output channels
    /// (<c>Channels</c>: 1 or 3) and the scaled output size.</summary>
    private sealed record Frame(int Width, int Height, FrameComponent[] Components, Markers Markers, JpegPixelPipeline.ColorSpace Space,
        int Channels, int OutW, int OutH, int MinScaled);

    /// <summary>LibJpeg.NET's coefficients as blocks[component][row][col][64] (natural order).</summary>
    private static short[][][][] LibJpegBlocks(jpeg_decompress_struct cinfo, Frame frame)
    {
        var coefficients = cinfo.jpeg_read_coefficients();
        var info = cinfo.Comp_info;
        int maxV = frame.Components.Max(c => c.V);
        var all = new short[frame.Components.Length][][][];
        for (int ci = 0; ci < all.Length; ci++)
        {
            var c = info[ci];
            int fullDh = (int)(((long)frame.Height * c.V_samp_factor + maxV - 1) / maxV);
            int blockRows = (fullDh + 7) / 8, blockCols = c.Width_in_blocks;
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
            all[ci] = blocks;
        }
        return all;
    }

    private static Image Render(Frame frame, short[][][][] allBlocks, DecodeSettings settings, CropWindow? crop, out bool contextRows)
    {
        int width = frame.Width, height = frame.Height, outW = frame.OutW, outH = frame.OutH, minScaled = frame.MinScaled, components = frame.Channels;
        var markers = frame.Markers;
        int n = frame.Components.Length;
        int maxH = frame.Components.Max(c => c.H), maxV = frame.Components.Max(c => c.V);
        var comps = new List<JpegPixelPipeline.Component>();
        contextRows = false;
        for (int ci = 0; ci < n; ci++)
        {
            var c = frame.Components[ci];
            if (maxH % c.H != 0 || maxV % c.V != 0) throw new InvalidDataException("fractional sampling factors are not supported");
            // jdmaster.c jpeg_calc_output_dimensions: scale a subsampled component up in its IDCT (doubling while
            // the sampling ratio allows) rather than in the upsampler.
            int size = minScaled;
            while (size < 8 && maxH * minScaled % (c.H * size * 2) == 0 && maxV * minScaled % (c.V * size * 2) == 0) size *= 2;
            int dw = (int)(((long)width * c.H * size + maxH * 8 - 1) / (maxH * 8));
            int dh = (int)(((long)height * c.V * size + maxV * 8 - 1) / (maxV * 8));
            var table = markers.Quant[c.QuantTable] ?? throw new InvalidDataException($"quantization table {c.QuantTable} is not defined");
            comps.Add(new JpegPixelPipeline.Component(allBlocks[ci], c.H, c.V, size, dw, dh, table));
            // jdsample.c jinit_upsampler: a component upsampled 2x vertically with fancy upsampling (h2v2 only when its
            // row is wider than 2 samples) needs context rows, which makes jdmainct.c use its context controller.
            int hIn = c.H * size / minScaled, vIn = c.V * size / minScaled;
            bool needed = !(components == 1 && n == 3 && frame.Space == JpegPixelPipeline.ColorSpace.YCbCr && ci > 0);
            if (needed && settings.FancyUpscaling && minScaled > 1 && vIn * 2 == maxV && (hIn == maxH || (hIn * 2 == maxH && dw > 2))) contextRows = true;
        }
        (int, int)? columns = null;
        int outChannels = n == 4 ? 4 : components;
        if (crop is { } w)
        {
            // jdapistd.c jpeg_crop_scanline: the window's left edge moves down to an iMCU column boundary (a single-
            // component file aligns to min_DCT_scaled_size, others to that times max_h_samp_factor) and its width
            // grows to keep the right edge; TF then copies the requested columns out of each scanline.
            int align = minScaled * (n == 1 ? 1 : maxH);
            int start = w.X / align * align;
            columns = (start, w.Width + w.X - start);
        }
        var pixels = JpegPixelPipeline.Decode(comps, outW, outH, minScaled, outChannels, settings.IntegerAccurate, settings.FancyUpscaling, frame.Space, columns);
        int decodedW = columns?.Item2 ?? outW;
        int skip = columns is { } cols ? crop!.Value.X - cols.Item1 : 0;
        int y0 = crop?.Y ?? 0, rowsOut = crop?.Height ?? outH, colsOut = crop?.Width ?? outW;
        var result = new byte[(long)rowsOut * colsOut * components];
        bool adobe = markers.SawAdobe;
        for (int y = 0; y < rowsOut; y++)
            for (int x = 0; x < colsOut; x++)
            {
                long src = ((long)(y0 + y) * decodedW + skip + x) * outChannels, dst = ((long)y * colsOut + x) * components;
                if (outChannels != 4) { for (int k = 0; k < components; k++) result[dst + k] = pixels[src + k]; continue; }
                int c = pixels[src], m = pixels[src + 1], yy = pixels[src + 2], k4 = pixels[src + 3];
                // jpeg_mem.cc: Adobe CMYK is stored inverted, so its "c" is already 255 − cyan.
                result[dst] = (byte)(adobe ? k4 * c / 255 : (255 - k4) * (255 - c) / 255);
                result[dst + 1] = (byte)(adobe ? k4 * m / 255 : (255 - k4) * (255 - m) / 255);
                result[dst + 2] = (byte)(adobe ? k4 * yy / 255 : (255 - k4) * (255 - yy) / 255);
            }
        return new Image(rowsOut, colsOut, components, result);
    }

    /// <summary>What libjpeg remembers from the markers before the first scan: DQT tables and the Adobe APP14.</summary>
    private sealed record Markers(ushort[]?[] Quant, bool SawAdobe, int AdobeTransform);

    private static readonly int[] s_naturalOrder =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    ];

    /// <summary>The DQT tables defined before the first scan, in natural order, and the Adobe APP14 marker
    /// (jdmarker.c examine_app14: at least 12 bytes starting "Adobe", transform = byte 11) — LibJpeg.NET exposes
    /// neither.</summary>
    private static Markers ReadMarkers(byte[] d)
    {
        var tables = new ushort[]?[4];
        bool sawAdobe = false;
        int transform = 0;
        int pos = 2;
        while (pos + 4 <= d.Length)
        {
            if (d[pos] != 0xFF) { pos++; continue; }
            int marker = d[pos + 1];
            if (marker == 0xFF) { pos++; continue; }
            if (marker is 0xD8 or 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { pos += 2; continue; }
            int len = (d[pos + 2] << 8) | d[pos + 3];
            if (marker == 0xDA) break;
            if (marker == 0xEE && len >= 14 && pos + 16 <= d.Length && d.AsSpan(pos + 4, 5).SequenceEqual("Adobe"u8))
            {
                sawAdobe = true;
                transform = d[pos + 15];
            }
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
        return new Markers(tables, sawAdobe, transform);
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
