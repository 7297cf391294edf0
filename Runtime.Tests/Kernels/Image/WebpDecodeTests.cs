using System.Diagnostics;
using System.Security.Cryptography;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;
using Xunit.Abstractions;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// DecodeWebP / DecodeImage on WebP files made at test time, checked bit for bit against libwebp's own decoder
/// (<c>dwebp</c>, which TF's webp_io.cc calls through WebPDecodeRGB(A)Into): when dwebp is installed it runs on the same
/// bytes, otherwise the SHA-256 of its output pinned below is compared (each pin is re-checked whenever dwebp exists).
/// Files come from ImageSharp's WebP encoder (deterministic, always available) and, when installed, from libwebp's
/// <c>cwebp</c> (lossy with an ALPH chunk, lossless with alpha). Lossless files must also give back the test's pixels.
/// TF's shapes, channel/dtype rules and error texts follow decode_image_op.cc DecodeWebP.
/// </summary>
public class WebpDecodeTests(ITestOutputHelper output)
{
    private static byte[] Pixels(int h, int w, int channels, int seed)
    {
        // Smooth gradients plus noise: lossy coding has edges and flat areas to work on; alpha stays in 1..255 so no
        // encoder may rewrite the colour under a fully transparent pixel.
        var r = new Random(seed);
        var p = new byte[h * w * channels];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                {
                    int v = c == 3 ? 1 + (x * 7 + y * 3) % 255 : (x * (40 + 20 * c) / Math.Max(w, 1) + y * (90 - 25 * c) / Math.Max(h, 1) + r.Next(24)) & 0xFF;
                    p[(y * w + x) * channels + c] = (byte)v;
                }
        return p;
    }

    private static byte[] ImageSharpWebp(byte[] pixels, int h, int w, int channels, bool lossless)
    {
        var encoder = new WebpEncoder { FileFormat = lossless ? WebpFileFormatType.Lossless : WebpFileFormatType.Lossy, Quality = 75 };
        var ms = new MemoryStream();
        if (channels == 4)
        {
            using var img = SixLabors.ImageSharp.Image.LoadPixelData<Rgba32>(pixels, w, h);
            img.Save(ms, encoder);
        }
        else
        {
            using var img = SixLabors.ImageSharp.Image.LoadPixelData<Rgb24>(pixels, w, h);
            img.Save(ms, encoder);
        }
        return ms.ToArray();
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);

    private static readonly string? s_dwebp = Find("dwebp"), s_cwebp = Find("cwebp");

    private static string Run(string tool, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(tool, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{tool} {args} failed: {err}");
        return err;
    }

    /// <summary>A PAM (P7) or PPM (P6) header + samples, as cwebp reads and dwebp writes them.</summary>
    private static byte[] WritePnm(byte[] pixels, int h, int w, int channels)
    {
        string header = channels == 4
            ? $"P7\nWIDTH {w}\nHEIGHT {h}\nDEPTH 4\nMAXVAL 255\nTUPLTYPE RGB_ALPHA\nENDHDR\n"
            : $"P6\n{w} {h}\n255\n";
        return [.. System.Text.Encoding.ASCII.GetBytes(header), .. pixels];
    }

    private static byte[] PnmSamples(byte[] file, int h, int w, int channels) => file[^(h * w * channels)..];

    /// <summary>dwebp's decode (RGB via -ppm, RGBA via -pam), or null when dwebp is not installed.</summary>
    private static byte[]? Dwebp(byte[] webp, int h, int w, int channels)
    {
        if (s_dwebp == null) return null;
        var dir = Directory.CreateTempSubdirectory("tg-webp");
        try
        {
            var input = Path.Combine(dir.FullName, "in.webp");
            var pnm = Path.Combine(dir.FullName, "out.pnm");
            File.WriteAllBytes(input, webp);
            Run(s_dwebp, $"{input} {(channels == 4 ? "-pam" : "-ppm")} -o {pnm}");
            return PnmSamples(File.ReadAllBytes(pnm), h, w, channels);
        }
        finally { dir.Delete(recursive: true); }
    }

    private static byte[] Cwebp(byte[] pixels, int h, int w, int channels, string args)
    {
        var dir = Directory.CreateTempSubdirectory("tg-webp");
        try
        {
            var input = Path.Combine(dir.FullName, channels == 4 ? "in.pam" : "in.ppm");
            var webp = Path.Combine(dir.FullName, "out.webp");
            File.WriteAllBytes(input, WritePnm(pixels, h, w, channels));
            Run(s_cwebp!, $"{args} {input} -o {webp}");
            return File.ReadAllBytes(webp);
        }
        finally { dir.Delete(recursive: true); }
    }

    private static string Sha(byte[] b) => Convert.ToHexString(SHA256.HashData(b))[..16];

    // SHA-256 prefixes of libwebp 1.2.4 dwebp's output on the ImageSharp-encoded files below (re-checked whenever dwebp runs).
    private static readonly Dictionary<string, string> s_pins = new()
    {
        ["imagesharp lossy 37x23x3"] = "2EB43E323F439F04",
        ["imagesharp lossy 129x67x3"] = "A97E92D5FC769E63",
        ["imagesharp lossless 37x23x3"] = "40017EB700B8C54D",
        ["imagesharp lossless 20x15x4"] = "75993D8A8F3A6000",
        ["imagesharp lossless 129x67x4"] = "68B28C8D387774A6",
    };

    private static Tensor Decode(string op, byte[] file, params (string, object)[] attrs) =>
        Compute1(op, [new Tensor(TensorShape.Scalar, [file])], Attrs(attrs));

    private static string Error(string op, byte[] file, params (string, object)[] attrs) =>
        Assert.Throws<GraphExecutionException>(() => Decode(op, file, attrs)).Message;

    private void AssertEqualsLibwebp(string what, byte[] webp, int h, int w, int channels, byte[] ours)
    {
        var expected = Dwebp(webp, h, w, channels);
        string pin = s_pins.TryGetValue(what, out var p) ? p : "unpinned";
        if (expected != null)
        {
            output.WriteLine($"[\"{what}\"] = \"{Sha(expected)}\", // {webp.Length} bytes");
            int differing = 0, max = 0;
            for (int i = 0; i < ours.Length; i++) if (ours[i] != expected[i]) { differing++; max = Math.Max(max, Math.Abs(ours[i] - expected[i])); }
            Assert.True(differing == 0, $"{what}: {differing} of {ours.Length} samples differ from dwebp (max {max})");
            if (!what.StartsWith("cwebp", StringComparison.Ordinal)) Assert.Equal(pin, Sha(expected));
        }
        else Assert.Equal(pin, Sha(ours));
    }

    [Theory]
    [InlineData(23, 37, 3, false)]
    [InlineData(67, 129, 3, false)]
    [InlineData(23, 37, 3, true)]
    [InlineData(15, 20, 4, true)]
    [InlineData(67, 129, 4, true)]
    public void ImageSharpEncodedFiles_DecodeAsLibwebp(int h, int w, int channels, bool lossless)
    {
        var pixels = Pixels(h, w, channels, h * 1000 + w + channels);
        var webp = ImageSharpWebp(pixels, h, w, channels, lossless);
        var img = Decode("DecodeWebP", webp);
        Assert.Equal(new TensorShape(1, h, w, channels), img.Shape);
        var ours = img.ToArray<byte>();
        if (lossless) Assert.Equal(pixels, ours);
        AssertEqualsLibwebp($"imagesharp {(lossless ? "lossless" : "lossy")} {w}x{h}x{channels}", webp, h, w, channels, ours);
        var three = Decode("DecodeImage", webp, ("expand_animations", false));
        Assert.Equal(new TensorShape(h, w, channels), three.Shape);
        Assert.Equal(ours, three.ToArray<byte>());
        Assert.Equal(ours, Decode("DecodeImage", webp, ("channels", channels)).ToArray<byte>());
    }

    /// <summary>libwebp's encoder: lossy (a plain VP8 file; with alpha a VP8X file with a filtered, compressed ALPH
    /// chunk), lossless with and without alpha — decoded bit for bit as dwebp. Runs where cwebp is installed.</summary>
    [Fact]
    public void CwebpEncodedFiles_DecodeAsLibwebp_WhenCwebpIsInstalled()
    {
        var cases = new List<(int H, int W, int C, string Args)>();
        if (s_cwebp != null)
            foreach (var (h, w) in new[] { (23, 37), (67, 129), (1, 1), (16, 16) })
            {
                cases.Add((h, w, 3, "-q 80"));
                cases.Add((h, w, 4, "-q 80 -exact"));
                cases.Add((h, w, 3, "-lossless"));
                cases.Add((h, w, 4, "-lossless -exact"));
                cases.Add((h, w, 3, "-q 30 -sns 100 -f 60 -sharpness 3 -segments 4"));
            }
        output.WriteLine(s_cwebp == null ? "cwebp not installed: only the ImageSharp-encoded cases run" : $"{cases.Count} cwebp cases");
        foreach (var (h, w, c, args) in cases)
        {
            var pixels = Pixels(h, w, c, h + w * 7 + c);
            var webp = Cwebp(pixels, h, w, c, args);
            var ours = Decode("DecodeWebP", webp).ToArray<byte>();
            Assert.Equal(h * w * c, ours.Length);
            if (args.StartsWith("-lossless", StringComparison.Ordinal)) Assert.Equal(pixels, ours);
            AssertEqualsLibwebp($"cwebp {args} {w}x{h}x{c}", webp, h, w, c, ours);
        }
    }

    [Fact]
    public void ShapesChannelsDtypesAndErrors_AsDecodeImageOp()
    {
        var rgb = Pixels(5, 6, 3, 1);
        var webp = ImageSharpWebp(rgb, 5, 6, 3, lossless: true);
        // Every decoder sends WebP bytes to DecodeWebP's path, which gives 4-D unless DecodeImage's expand_animations is false.
        foreach (var op in new[] { "DecodeJpeg", "DecodePng", "DecodeGif", "DecodeImage" })
        {
            var img = Decode(op, webp);
            Assert.Equal(new TensorShape(1, 5, 6, 3), img.Shape);
            Assert.Equal(rgb, img.ToArray<byte>());
        }
        Assert.Contains("Number of channels requested does not match input", Error("DecodeWebP", webp, ("channels", 4)));
        Assert.Contains("WebP only supports 3 or 4 channels", Error("DecodeWebP", webp, ("channels", 1)));
        Assert.Contains("WebP only supports uint8 for dtype", Error("DecodeImage", webp, ("dtype", DataType.DtFloat)));
        Assert.Contains("WebP only supports uint8 for dtype", Error("DecodePng", webp, ("dtype", DataType.DtUint16)));
        var rgba = ImageSharpWebp(Pixels(5, 6, 4, 2), 5, 6, 4, lossless: true);
        Assert.Contains("Number of channels requested does not match input", Error("DecodeGif", rgba)); // DecodeGif asks for 3
        Assert.Equal(new TensorShape(1, 5, 6, 4), Decode("DecodeWebP", rgba, ("channels", 4)).Shape);

        // Truncated: WebPGetFeatures still reads the header, the full decode fails (RIFF size beyond the data).
        Assert.Contains("Failed to decode WebP image.", Error("DecodeWebP", webp[..(webp.Length - 3)]));
        // A broken VP8L signature: the header read fails.
        var badSignature = (byte[])webp.Clone();
        badSignature[20] = 0x2E;
        Assert.Contains("Failed to decode WebP header.", Error("DecodeWebP", badSignature));
        Assert.Contains($"DecodeWebP node '{KernelNodeName}'", Error("DecodeWebP", badSignature));

        // An animated file (VP8X with the animation flag): TF's channel checks, then our refusal naming the node.
        byte[] vp8x = [.. "RIFF"u8, 30, 0, 0, 0, .. "WEBPVP8X"u8, 10, 0, 0, 0, 0x12, 0, 0, 0, 4, 0, 0, 2, 0, 0, .. "ANIM"u8, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        Assert.Contains("Number of channels requested does not match input", Error("DecodeWebP", vp8x, ("channels", 3))); // alpha flag → 4
        var opaque = (byte[])vp8x.Clone();
        opaque[20] = 0x02; // animation flag only → 3 channels; then TF requires 0 or 4 for an animation
        Assert.Contains("WebP Animation must be 4 channel RGBA", Error("DecodeWebP", opaque, ("channels", 3)));
        Assert.Contains("Animated WebP (5x3 canvas) is not supported", Error("DecodeImage", vp8x));
    }
}
