using System.Diagnostics;
using System.Security.Cryptography;
using BitMiracle.LibJpeg.Classic;
using TypedGraph.Protos;
using Xunit.Abstractions;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// DecodeJpeg's options with TF's semantics (decode_image_op.cc + jpeg_mem.cc on libjpeg-turbo): <c>ratio</c> 2/4/8
/// (libjpeg-turbo's reduced IDCTs, chroma scaled in the IDCT), <c>fancy_upscaling</c>, <c>dct_method</c>, CMYK/YCCK
/// files, and DecodeAndCropJpeg. The JPEGs are written here at test time with LibJpeg.NET's encoder (any sampling
/// factors / colour space); the expected pixels come from libjpeg-turbo 2.1.5's <c>djpeg</c> run on the same bytes when
/// it is installed, and otherwise from the SHA-256 of djpeg's output pinned below (each pin is re-checked against djpeg
/// whenever djpeg is present, so a pin cannot drift from the tool's output).
/// </summary>
public class JpegDecodeOptionsTests(ITestOutputHelper output)
{
    private static Tensor Bytes(byte[] b) => new(TensorShape.Scalar, [b]);

    /// <summary>A deterministic test picture: gradients, a sharp diagonal edge and pseudo-random texture.</summary>
    private static byte[] Picture(int h, int w)
    {
        var p = new byte[h * w * 3];
        uint s = 12345;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                s = s * 1664525 + 1013904223;
                int noise = (int)(s >> 27) - 16;
                int i = (y * w + x) * 3;
                p[i] = (byte)Math.Clamp(x * 255 / Math.Max(1, w - 1) + noise, 0, 255);
                p[i + 1] = (byte)Math.Clamp((x + 2 * y) % 64 * 4 + noise / 2, 0, 255);
                p[i + 2] = (byte)(x > y ? 220 : 30);
            }
        return p;
    }

    /// <summary>Encodes <paramref name="pixels"/> ([h, w, inComponents] in <paramref name="inSpace"/>) as a
    /// <paramref name="fileSpace"/> JPEG with the given per-component sampling factors.</summary>
    internal static byte[] Encode(byte[] pixels, int h, int w, J_COLOR_SPACE inSpace, J_COLOR_SPACE fileSpace, (int H, int V)[] sampling,
        int quality = 85, bool progressive = false, bool adobeMarker = true, int restartInterval = 0)
    {
        int components = inSpace switch { J_COLOR_SPACE.JCS_GRAYSCALE => 1, J_COLOR_SPACE.JCS_CMYK or J_COLOR_SPACE.JCS_YCCK => 4, _ => 3 };
        var cinfo = new jpeg_compress_struct(new jpeg_error_mgr());
        var stream = new MemoryStream();
        cinfo.jpeg_stdio_dest(stream);
        cinfo.Image_width = w;
        cinfo.Image_height = h;
        cinfo.Input_components = components;
        cinfo.In_color_space = inSpace;
        cinfo.jpeg_set_defaults();
        cinfo.jpeg_set_colorspace(fileSpace);
        cinfo.jpeg_set_quality(quality, true);
        for (int c = 0; c < sampling.Length; c++)
        {
            cinfo.Component_info[c].H_samp_factor = sampling[c].H;
            cinfo.Component_info[c].V_samp_factor = sampling[c].V;
        }
        if (!adobeMarker) cinfo.Write_Adobe_marker = false;
        if (progressive) cinfo.jpeg_simple_progression();
        cinfo.Restart_interval = restartInterval;
        cinfo.jpeg_start_compress(true);
        var row = new byte[1][];
        for (int y = 0; y < h; y++)
        {
            row[0] = pixels.AsSpan(y * w * components, w * components).ToArray();
            cinfo.jpeg_write_scanlines(row, 1);
        }
        cinfo.jpeg_finish_compress();
        return stream.ToArray();
    }

    private static readonly (int, int)[] s444 = [(1, 1), (1, 1), (1, 1)], s420 = [(2, 2), (1, 1), (1, 1)], s422 = [(2, 1), (1, 1), (1, 1)], s440 = [(1, 2), (1, 1), (1, 1)];

    private static (int, int)[] Sampling(string name) => name switch { "444" => s444, "420" => s420, "422" => s422, _ => s440 };

    /// <summary>4:4:4 and 4:2:0 from LibJpeg.NET's encoder (RGB converted to YCbCr); 4:2:2 and 4:4:0 from
    /// <see cref="BaselineJpegWriter"/> (the picture's channels stored as Y, Cb, Cr).</summary>
    private static byte[] MakeJpeg(string sampling, int h, int w)
    {
        var rgb = Picture(h, w);
        if (sampling is "444" or "420") return Encode(rgb, h, w, J_COLOR_SPACE.JCS_RGB, J_COLOR_SPACE.JCS_YCbCr, Sampling(sampling));
        return BaselineJpegWriter.Write(w, h, Planes(rgb, 3), Sampling(sampling));
    }

    /// <summary>Splits [h, w, n] interleaved samples into n planes.</summary>
    internal static byte[][] Planes(byte[] interleaved, int n)
    {
        var planes = new byte[n][];
        for (int c = 0; c < n; c++)
        {
            planes[c] = new byte[interleaved.Length / n];
            for (int i = 0; i < planes[c].Length; i++) planes[c][i] = interleaved[i * n + c];
        }
        return planes;
    }

    private static string? FindDjpeg()
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var f = Path.Combine(dir, "djpeg");
            if (File.Exists(f)) return f;
        }
        return null;
    }

    private static readonly string? s_djpeg = FindDjpeg();

    /// <summary>djpeg's decode of <paramref name="jpeg"/> (PNM pixels), or null when djpeg is not installed.</summary>
    private static (int H, int W, int C, byte[] Pixels)? Djpeg(byte[] jpeg, string args)
    {
        if (s_djpeg == null) return null;
        var psi = new ProcessStartInfo(s_djpeg, args + " -pnm") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdout);
        p.StandardInput.BaseStream.Write(jpeg);
        p.StandardInput.Close();
        copy.Wait();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"djpeg {args} failed: {p.StandardError.ReadToEnd()}");
        return TypedGraph.Tests.Support.Pnm.Parse(stdout.ToArray());
    }

    private static string Sha(byte[] b) => Convert.ToHexString(SHA256.HashData(b))[..16];

    /// <summary>Asserts <paramref name="actual"/> equals djpeg's decode (run now, or its pinned hash) bit for bit.</summary>
    private void AssertEqualsDjpeg(byte[] jpeg, string args, byte[] actual, string what) => AssertEqualsDjpeg(jpeg, args, actual, what, Djpeg(jpeg, args)?.Pixels);

    /// <summary>Asserts <paramref name="actual"/> equals <paramref name="expected"/> (derived from djpeg's output, or
    /// null when djpeg is not installed) bit for bit and that the expected bytes hash to the pin for
    /// <paramref name="what"/>; without djpeg, <paramref name="actual"/> must hash to the pin.</summary>
    private void AssertEqualsDjpeg(byte[] jpeg, string args, byte[] actual, string what, byte[]? expected)
    {
        string pinned = s_pins.TryGetValue(what, out var pin) ? pin : "unpinned";
        if (expected != null)
        {
            output.WriteLine($"{what}: djpeg {args} -> sha {Sha(expected)} ({jpeg.Length} byte file)");
            Assert.Equal(expected.Length, actual.Length);
            int differing = 0, max = 0;
            for (int i = 0; i < actual.Length; i++) if (actual[i] != expected[i]) { differing++; max = Math.Max(max, Math.Abs(actual[i] - expected[i])); }
            Assert.True(differing == 0, $"{what}: {differing} of {actual.Length} samples differ from djpeg {args} (max {max})");
            Assert.Equal(pinned, Sha(expected));
        }
        else Assert.Equal(pinned, Sha(actual));
    }

    // Pinned SHA-256 prefixes of libjpeg-turbo 2.1.5 djpeg's output for each case below (checked against djpeg on
    // every run where it is installed).
    private static readonly Dictionary<string, string> s_pins = new()
    {
        ["crop 420 1 0,16,37,29 True"] = "E68159D373365D09",
        ["crop 420 1 5,17,10,20 True"] = "2EBC7265F09EAD39",
        ["crop 420 1 9,3,20,13 False"] = "16D7DC60BFD8A068",
        ["crop 420 4 1,2,8,8 True"] = "505E0BB5614DC3E6",
        ["crop 422 1 3,32,30,13 True"] = "38DDD177CD2F9056",
        ["crop 422 2 2,8,10,9 True"] = "6D8541F0FD09FE0B",
        ["crop 444 1 7,11,12,30 True"] = "9EB494D268900FC3",
        ["420 11x13 -dct fast -scale 1/1 -nosmooth"] = "939797890473D800",
        ["420 11x13 -dct fast -scale 1/2 -nosmooth"] = "55FAD3C2EB668C06",
        ["420 11x13 -dct fast -scale 1/2"] = "55FAD3C2EB668C06",
        ["420 11x13 -dct fast -scale 1/4"] = "33F8A7EEA916424F",
        ["420 11x13 -dct fast -scale 1/8"] = "A44B3719148FA6F2",
        ["420 11x13 -dct int -scale 1/2"] = "E9DE53C4EA1082A2",
        ["420 11x13 -dct int -scale 1/4 -nosmooth"] = "33F8A7EEA916424F",
        ["420 37x45 -dct fast -scale 1/1 -nosmooth"] = "CB9FF438A87209D9",
        ["420 37x45 -dct fast -scale 1/2 -nosmooth"] = "BB0BDCA884544330",
        ["420 37x45 -dct fast -scale 1/2"] = "BB0BDCA884544330",
        ["420 37x45 -dct fast -scale 1/4"] = "A9EF17285A8BA405",
        ["420 37x45 -dct fast -scale 1/8"] = "911CE83EE18B06B8",
        ["420 37x45 -dct int -scale 1/2"] = "BD51ED306782C785",
        ["420 37x45 -dct int -scale 1/4 -nosmooth"] = "A9EF17285A8BA405",
        ["422 11x13 -dct fast -scale 1/1"] = "4E3B98121F29BC85",
        ["422 11x13 -dct fast -scale 1/2 -nosmooth"] = "19E3B649661AB0F1",
        ["422 11x13 -dct fast -scale 1/2"] = "7292F63B5EE142B2",
        ["422 11x13 -dct fast -scale 1/8"] = "8C5848A99463EB32",
        ["422 11x13 -dct int -scale 1/4"] = "2AF229D81452257F",
        ["422 37x45 -dct fast -scale 1/1"] = "B9DF1DD79996AF57",
        ["422 37x45 -dct fast -scale 1/2 -nosmooth"] = "5BDD5172DA490E2E",
        ["422 37x45 -dct fast -scale 1/2"] = "A4CE96DD3BF1917C",
        ["422 37x45 -dct fast -scale 1/8"] = "22E5E8D0EBBCA1C0",
        ["422 37x45 -dct int -scale 1/4"] = "BA37F90735BD612F",
        ["440 11x13 -dct fast -scale 1/1"] = "65079FBC2E89FC69",
        ["440 11x13 -dct fast -scale 1/2"] = "D88E41BC286B4E86",
        ["440 11x13 -dct fast -scale 1/4 -nosmooth"] = "1EC6755AA63738FB",
        ["440 11x13 -dct fast -scale 1/8"] = "A5610FCA3D92D68A",
        ["440 37x45 -dct fast -scale 1/1"] = "784F78D900B77A8A",
        ["440 37x45 -dct fast -scale 1/2"] = "58DCA53C51288896",
        ["440 37x45 -dct fast -scale 1/4 -nosmooth"] = "BA03D8E642DEEDB6",
        ["440 37x45 -dct fast -scale 1/8"] = "372AF8D326F95108",
        ["444 11x13 -dct fast -scale 1/2"] = "65C762EF36FCF4FE",
        ["444 11x13 -dct fast -scale 1/4"] = "41CC3F8E2C178F12",
        ["444 11x13 -dct fast -scale 1/8"] = "E91BA8BBF0A5F045",
        ["444 37x45 -dct fast -scale 1/2"] = "9B57547FCF3E5344",
        ["444 37x45 -dct fast -scale 1/4"] = "9BBE769EB194C4D5",
        ["444 37x45 -dct fast -scale 1/8"] = "04D911E5B69506C9",
        ["grey 1/2"] = "683BE5BFB838FFD2",
        ["grey 1/4"] = "FE51AF9719F0EF1A",
        ["grey 1/8"] = "0AA9E4068368E544",
        ["luma 1/2"] = "CEBD5F65FC9B4074",
        ["luma 1/4"] = "2CE064D864726757",
        ["luma 1/8"] = "F17CD7CCEB6F0E6C",
        ["progressive 1/2"] = "BB0BDCA884544330",
        ["progressive 1/4"] = "A9EF17285A8BA405",
        ["progressive 1/8"] = "911CE83EE18B06B8",
    };

    [Theory]
    [InlineData("420", 2, "", true)]
    [InlineData("420", 4, "", true)]
    [InlineData("420", 8, "", true)]
    [InlineData("420", 2, "INTEGER_ACCURATE", true)]
    [InlineData("420", 4, "INTEGER_ACCURATE", false)]
    [InlineData("420", 2, "", false)]
    [InlineData("420", 1, "", false)]
    [InlineData("444", 2, "", true)]
    [InlineData("444", 4, "INTEGER_FAST", true)]
    [InlineData("444", 8, "", true)]
    [InlineData("422", 1, "", true)]
    [InlineData("422", 2, "", true)]
    [InlineData("422", 4, "INTEGER_ACCURATE", true)]
    [InlineData("422", 8, "", true)]
    [InlineData("422", 2, "", false)]
    [InlineData("440", 1, "", true)]
    [InlineData("440", 2, "", true)]
    [InlineData("440", 4, "", false)]
    [InlineData("440", 8, "", true)]
    public void DecodeJpeg_RatioDctAndUpsampling_EqualLibjpegTurbo(string sampling, int ratio, string dct, bool fancy)
    {
        foreach (var (h, w) in new[] { (37, 45), (11, 13) })
        {
            var jpeg = MakeJpeg(sampling, h, w);
            var r = Compute1("DecodeJpeg", [Bytes(jpeg)], Attrs(("ratio", ratio), ("dct_method", dct), ("fancy_upscaling", fancy)));
            // jpeg_core_output_dimensions: ceil(dim / ratio).
            Assert.Equal(new TensorShape((h + ratio - 1) / ratio, (w + ratio - 1) / ratio, 3), r.Shape);
            string args = $"-dct {(dct == "INTEGER_ACCURATE" ? "int" : "fast")} -scale 1/{ratio}{(fancy ? "" : " -nosmooth")}";
            string key = $"{sampling} {h}x{w} {args}";
            AssertEqualsDjpeg(jpeg, args, r.ToArray<byte>(), key);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void DecodeJpeg_ScaledGreyProgressiveAndLuma_EqualLibjpegTurbo(int ratio)
    {
        int h = 37, w = 45;
        var rgb = Picture(h, w);
        var grey = new byte[h * w];
        for (int i = 0; i < grey.Length; i++) grey[i] = rgb[3 * i + 1];
        var greyJpeg = Encode(grey, h, w, J_COLOR_SPACE.JCS_GRAYSCALE, J_COLOR_SPACE.JCS_GRAYSCALE, [(1, 1)]);
        var g = Compute1("DecodeJpeg", [Bytes(greyJpeg)], Attrs(("ratio", ratio)));
        Assert.Equal(new TensorShape((h + ratio - 1) / ratio, (w + ratio - 1) / ratio, 1), g.Shape);
        AssertEqualsDjpeg(greyJpeg, $"-dct fast -scale 1/{ratio}", g.ToArray<byte>(), $"grey 1/{ratio}");
        // channels 3 on a grey file repeats the grey sample (libjpeg's gray → RGB).
        var g3 = Compute1("DecodeJpeg", [Bytes(greyJpeg)], Attrs(("ratio", ratio), ("channels", 3))).ToArray<byte>();
        var g1 = g.ToArray<byte>();
        for (int i = 0; i < g1.Length; i++) Assert.True(g3[3 * i] == g1[i] && g3[3 * i + 1] == g1[i] && g3[3 * i + 2] == g1[i]);

        var progressive = Encode(rgb, h, w, J_COLOR_SPACE.JCS_RGB, J_COLOR_SPACE.JCS_YCbCr, s420, progressive: true);
        var p = Compute1("DecodeJpeg", [Bytes(progressive)], Attrs(("ratio", ratio)));
        AssertEqualsDjpeg(progressive, $"-dct fast -scale 1/{ratio}", p.ToArray<byte>(), $"progressive 1/{ratio}");
        // channels 1 on a colour file is the luma plane alone (djpeg -grayscale).
        var y = Compute1("DecodeJpeg", [Bytes(progressive)], Attrs(("ratio", ratio), ("channels", 1)));
        AssertEqualsDjpeg(progressive, $"-dct fast -grayscale -scale 1/{ratio}", y.ToArray<byte>(), $"luma 1/{ratio}");
    }

    // ---------- CMYK / YCCK (jpeg_mem.cc: libjpeg decodes to CMYK, TF converts to RGB) ----------

    // jdcolor.c build_ycc_rgb_table / ycck_cmyk_convert, written from the formulas: R = Y + 1.402·(Cr − 128) etc. in
    // 16-bit fixed point with libjpeg's rounding, then inverted (255 − x) and clamped; K passes through.
    private static int FixedYccToRgb(int y, int cb, int cr, int channel)
    {
        const int one = 1 << 16;
        int Fix(double x) => (int)(x * one + 0.5);
        int v = channel switch
        {
            0 => y + ((Fix(1.40200) * (cr - 128) + one / 2) >> 16),
            1 => y + ((-Fix(0.34414) * (cb - 128) - Fix(0.71414) * (cr - 128) + one / 2) >> 16),
            _ => y + ((Fix(1.77200) * (cb - 128) + one / 2) >> 16),
        };
        return Math.Clamp(255 - v, 0, 255);
    }

    [Theory]
    [InlineData(0, true)]   // Adobe APP14, transform 0: CMYK stored inverted (Photoshop)
    [InlineData(-1, false)] // no Adobe marker: plain CMYK
    [InlineData(2, true)]   // Adobe APP14, transform 2: YCCK
    public void DecodeJpeg_FourComponentFile_ConvertedToRgbAsTf(int transform, bool adobe)
    {
        // 8 uniform 8×8 blocks at quantizer step 1: each decodes back to exactly the stored values, so the expected
        // RGB follows from TF's formula alone (jpeg_mem.cc: Adobe r = k·c/255, else (255−k)(255−c)/255, int division).
        int w = 32, h = 16;
        int[][] values = [[0, 0, 0, 0], [255, 255, 255, 255], [200, 30, 90, 10], [17, 240, 128, 250], [128, 128, 128, 128], [90, 180, 40, 200], [250, 5, 60, 77], [33, 66, 99, 132]];
        var planes = new byte[4][];
        for (int c = 0; c < 4; c++)
        {
            planes[c] = new byte[w * h];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) planes[c][y * w + x] = (byte)values[(y / 8) * 4 + x / 8][c];
        }
        var jpeg = BaselineJpegWriter.Write(w, h, planes, [(1, 1), (1, 1), (1, 1), (1, 1)], quantStep: 1, jfif: false, adobeTransform: adobe ? transform : null);
        foreach (int channels in new[] { 0, 3 })
        {
            var r = Compute1("DecodeJpeg", [Bytes(jpeg)], Attrs(("channels", channels), ("dct_method", "INTEGER_ACCURATE")));
            Assert.Equal(new TensorShape(h, w, 3), r.Shape);
            var px = r.ToArray<byte>();
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                {
                    var v = values[(y / 8) * 4 + x / 8];
                    int k = v[3];
                    for (int ch = 0; ch < 3; ch++)
                    {
                        int stored = transform == 2 ? FixedYccToRgb(v[0], v[1], v[2], ch) : v[ch];
                        int expected = adobe ? k * stored / 255 : (255 - k) * (255 - stored) / 255;
                        Assert.Equal(expected, px[(y * w + x) * 3 + ch]);
                    }
                }
        }
        // libjpeg-turbo has no CMYK → greyscale conversion; TF's Uncompress fails.
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("DecodeJpeg", [Bytes(jpeg)], Attrs(("channels", 1))));
        Assert.Contains($"DecodeJpeg node '{KernelNodeName}': jpeg::Uncompress failed. Invalid JPEG data or crop window.", e.Message);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    public void DecodeJpeg_YcckPhoto420_WithinRoundingOfLibjpegTurbo(int ratio)
    {
        // A 4:2:0 YCCK file as Photoshop writes them (LibJpeg.NET: CMYK in, YCCK + Adobe marker out). djpeg -pnm
        // converts CMYK with cmyk.h's round(c·k/255); TF truncates (k·c/255), so each of TF's samples is djpeg's or
        // one less — any plane error (IDCT, upsampling, YCCK → CMYK) would break that.
        int h = 29, w = 43;
        var rgb = Picture(h, w);
        var cmyk = new byte[h * w * 4];
        for (int i = 0; i < h * w; i++)
        {
            cmyk[4 * i] = rgb[3 * i]; cmyk[4 * i + 1] = rgb[3 * i + 1]; cmyk[4 * i + 2] = rgb[3 * i + 2];
            cmyk[4 * i + 3] = (byte)(255 - i % 97);
        }
        var jpeg = Encode(cmyk, h, w, J_COLOR_SPACE.JCS_CMYK, J_COLOR_SPACE.JCS_YCCK, [(2, 2), (1, 1), (1, 1), (2, 2)]);
        var ours = Compute1("DecodeJpeg", [Bytes(jpeg)], Attrs(("ratio", ratio))).ToArray<byte>();
        var reference = Djpeg(jpeg, $"-dct fast -scale 1/{ratio}");
        string sha = Sha(ours);
        output.WriteLine($"YCCK 1/{ratio}: ours sha {sha}");
        if (reference is { } r)
        {
            Assert.Equal(r.Pixels.Length, ours.Length);
            int exact = 0;
            for (int i = 0; i < ours.Length; i++)
            {
                Assert.InRange(r.Pixels[i] - ours[i], 0, 1);
                if (r.Pixels[i] == ours[i]) exact++;
            }
            output.WriteLine($"  {exact} of {ours.Length} samples equal djpeg's rounded value");
        }
        // Without djpeg: our output's hash, pinned after the check above passed against djpeg.
        Assert.Equal(ratio switch { 1 => s_ycckPins[0], 2 => s_ycckPins[1], _ => s_ycckPins[2] }, sha);
    }

    private static readonly string[] s_ycckPins = ["A684F14C8CD87055", "70340D7B49DDFF3D", "EB27570A91AB4B0C"];

    // ---------- DecodeAndCropJpeg ----------

    [Theory]
    [InlineData("420", 1, 5, 17, 10, 20, true)]   // x not on an iMCU boundary (16): TF copies out of the aligned scanline
    [InlineData("420", 1, 0, 16, 37, 29, true)]   // x on a boundary: the window's left edge is an image edge for upsampling
    [InlineData("420", 1, 9, 3, 20, 13, false)]
    [InlineData("422", 1, 3, 32, 30, 13, true)]
    [InlineData("422", 2, 2, 8, 10, 9, true)]
    [InlineData("444", 1, 7, 11, 12, 30, true)]
    [InlineData("420", 4, 1, 2, 8, 8, true)]
    public void DecodeAndCropJpeg_EqualsLibjpegTurboCrop(string sampling, int ratio, int y, int x, int height, int width, bool fancy)
    {
        int h = 37, w = 45;
        var jpeg = MakeJpeg(sampling, h, w);
        var r = Compute1("DecodeAndCropJpeg", [Bytes(jpeg), Tensor.Create(new[] { y, x, height, width }, [4])], Attrs(("ratio", ratio), ("fancy_upscaling", fancy)));
        Assert.Equal(new TensorShape(height, width, 3), r.Shape);
        // djpeg -crop uses the same jpeg_crop_scanline + jpeg_skip_scanlines and prints the iMCU-aligned window; TF
        // keeps the requested columns of it.
        int align = 8 / ratio * (sampling is "420" or "422" ? 2 : 1), left = x / align * align;
        var args = $"-dct fast -scale 1/{ratio}{(fancy ? "" : " -nosmooth")} -crop {width + x - left}x{height}+{left}+{y}";
        var reference = Djpeg(jpeg, args);
        var ours = r.ToArray<byte>();
        string key = $"crop {sampling} {ratio} {y},{x},{height},{width} {fancy}";
        if (reference is { } full)
        {
            Assert.Equal(width + x - left, full.W);
            var expected = new byte[height * width * 3];
            for (int row = 0; row < height; row++)
                Array.Copy(full.Pixels, (row * full.W + x - left) * 3, expected, row * width * 3, width * 3);
            AssertEqualsDjpeg(jpeg, args, ours, key, expected);
        }
        else AssertEqualsDjpeg(jpeg, args, ours, key, null);
    }
}
