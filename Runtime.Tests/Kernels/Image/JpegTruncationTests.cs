using System.Diagnostics;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using BitMiracle.LibJpeg.Classic;
using TypedGraph.Protos;
using Xunit.Abstractions;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// DecodeJpeg on data that ends early, as TF's <c>jpeg_mem.cc</c> (Uncompress / UncompressLow) over its memory source
/// (<c>jpeg_handle.cc</c> MemFillInputBuffer) on libjpeg-turbo: without <c>try_recover_truncated</c> libjpeg suspends
/// and the rows it delivered are kept when they are at least <c>acceptable_fraction</c> of the image (the rest zeroed);
/// with it the decoder re-reads bytes from the current MCU's start and then meets a fake EOI.
/// <para>The reference is <c>Data/tf_jpeg_mem_oracle.c</c>: that control flow written out in C and linked with the
/// installed libjpeg-turbo (2.1.5 here), compiled and run at test time when gcc and jpeglib.h exist; otherwise the
/// SHA-256 of its answers, pinned below, is checked (each pin is re-checked against the oracle whenever it can run).
/// Independently of the oracle, every accepted truncated decode must equal the full file's decode above the row where
/// libjpeg stopped and be zero below it, and acceptable_fraction must accept exactly from that row count.</para>
/// </summary>
public class JpegTruncationTests(ITestOutputHelper output)
{
    private static Tensor Bytes(byte[] b) => new(TensorShape.Scalar, [b]);

    /// <summary>A deterministic noisy picture, so the entropy-coded data is several kilobytes (libjpeg-turbo's fast
    /// Huffman path runs while ≥ 512 bytes per block of an MCU remain).</summary>
    private static byte[] Picture(int h, int w, int channels)
    {
        var p = new byte[h * w * channels];
        uint s = 2463534242;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < channels; c++)
                {
                    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
                    int noise = (int)(s % 61) - 30;
                    p[(y * w + x) * channels + c] = (byte)Math.Clamp((x * (3 + c) + y * (5 - c)) % 256 + noise, 0, 255);
                }
        return p;
    }

    /// <summary>The test files: 4:2:0 / 4:4:4 / grey from LibJpeg.NET's encoder, 4:2:2 and 4:4:0 (h1v2: context rows
    /// with fancy upsampling) from <see cref="BaselineJpegWriter"/>; "dri" files carry restart markers (DRI) every 3
    /// (4:2:0) or 5 (grey) MCUs.</summary>
    private static byte[] MakeJpeg(string kind) => kind switch
    {
        "420dri" => JpegDecodeOptionsTests.Encode(Picture(72, 100, 3), 72, 100, J_COLOR_SPACE.JCS_RGB, J_COLOR_SPACE.JCS_YCbCr, [(2, 2), (1, 1), (1, 1)], 92, restartInterval: 3),
        "greydri" => JpegDecodeOptionsTests.Encode(Picture(60, 90, 1), 60, 90, J_COLOR_SPACE.JCS_GRAYSCALE, J_COLOR_SPACE.JCS_GRAYSCALE, [(1, 1)], 95, restartInterval: 5),
        "420" => JpegDecodeOptionsTests.Encode(Picture(72, 100, 3), 72, 100, J_COLOR_SPACE.JCS_RGB, J_COLOR_SPACE.JCS_YCbCr, [(2, 2), (1, 1), (1, 1)], 92),
        "444" => JpegDecodeOptionsTests.Encode(Picture(40, 100, 3), 40, 100, J_COLOR_SPACE.JCS_RGB, J_COLOR_SPACE.JCS_YCbCr, [(1, 1), (1, 1), (1, 1)], 92),
        "grey" => JpegDecodeOptionsTests.Encode(Picture(60, 90, 1), 60, 90, J_COLOR_SPACE.JCS_GRAYSCALE, J_COLOR_SPACE.JCS_GRAYSCALE, [(1, 1)], 95),
        "422" => BaselineJpegWriter.Write(90, 44, JpegDecodeOptionsTests.Planes(Picture(44, 90, 3), 3), [(2, 1), (1, 1), (1, 1)]),
        _ => BaselineJpegWriter.Write(60, 52, JpegDecodeOptionsTests.Planes(Picture(52, 60, 3), 3), [(1, 2), (1, 1), (1, 1)]),
    };

    private static int EntropyStart(byte[] jpeg)
    {
        for (int i = 2; i + 3 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) return i + 2 + ((jpeg[i + 2] << 8) | jpeg[i + 3]);
        throw new InvalidOperationException("no SOS");
    }

    /// <summary>Cut points: a few inside the headers (without recovery only), ~45 spread over the entropy-coded data
    /// and each of the last 12 bytes (a missing EOI, a cut inside the final MCU); in a file with restart markers also
    /// just before, inside and after each of its first RSTn markers (next_marker, resync and the FF re-read loop).</summary>
    private static List<int> Cuts(byte[] jpeg, bool recover)
    {
        int start = EntropyStart(jpeg);
        var cuts = new SortedSet<int>();
        if (!recover) { cuts.Add(start / 3); cuts.Add(start - 1); cuts.Add(start); }
        int span = jpeg.Length - start;
        for (int i = 1; i <= 45; i++) cuts.Add(start + (int)((long)span * i / 46));
        for (int k = 1; k <= 12; k++) cuts.Add(jpeg.Length - k);
        int markers = 0;
        for (int i = start; i + 1 < jpeg.Length && markers < 8; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] is >= 0xD0 and <= 0xD7)
            {
                cuts.Add(i); cuts.Add(i + 1); cuts.Add(i + 2); cuts.Add(i + 3);
                markers++;
            }
        return [.. cuts];
    }

    /// <summary>A decode's result; <paramref name="Hang"/>: TF's decode would never return (the oracle stopped it,
    /// ours refused it).</summary>
    private sealed record Answer(bool Ok, int HeightRead, byte[] Pixels, bool Hang = false);

    private static readonly Lazy<string?> s_oracle = new(BuildOracle);

    /// <summary>Compiles Data/tf_jpeg_mem_oracle.c against the system libjpeg when gcc and jpeglib.h are present.</summary>
    private static string? BuildOracle()
    {
        string? gcc = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists);
        if (gcc == null || !File.Exists("/usr/include/jpeglib.h")) return null;
        var dir = Directory.CreateTempSubdirectory("tf-jpeg-oracle").FullName;
        var source = Path.Combine(dir, "oracle.c");
        using (var s = typeof(JpegTruncationTests).Assembly.GetManifestResourceStream("ImageData.tf_jpeg_mem_oracle.c")!)
        using (var f = File.Create(source)) s.CopyTo(f);
        var exe = Path.Combine(dir, "oracle");
        var psi = new ProcessStartInfo(gcc, $"-O1 -o \"{exe}\" \"{source}\" -ljpeg") { RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? exe : throw new InvalidOperationException($"the oracle did not compile: {err}");
    }

    /// <summary>The oracle's answers for each cut, or null when it cannot run here.</summary>
    private static Dictionary<int, Answer>? Oracle(byte[] jpeg, List<int> cuts, int ratio, bool fancy, bool recover, float fraction)
    {
        if (s_oracle.Value is not { } exe) return null;
        var dir = Directory.CreateTempSubdirectory("tf-jpeg-cuts").FullName;
        try
        {
            var file = Path.Combine(dir, "in.jpg");
            File.WriteAllBytes(file, jpeg);
            var args = $"\"{file}\" 0 {ratio} {(fancy ? 1 : 0)} 0 {(recover ? 1 : 0)} {fraction.ToString(System.Globalization.CultureInfo.InvariantCulture)} \"{dir}\" {string.Join(' ', cuts)}";
            var psi = new ProcessStartInfo(exe, args) { RedirectStandardOutput = true };
            // With recovery the decoder reads re-read bytes as Huffman data, and the garbage coefficients leave the
            // 16-bit range. libjpeg-turbo's C IDCT (built WITH_SIMD, as TF's and the distributions' are) wraps them as
            // ours does; whether its x86 SIMD IDCTs agree on such data is not modelled: compare with the C paths.
            if (recover) psi.Environment["JSIMD_FORCENONE"] = "1";
            using var p = Process.Start(psi)!;
            string text = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.Equal(0, p.ExitCode);
            var answers = new Dictionary<int, Answer>();
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var f = line.Split(' ');
                int n = int.Parse(f[0]);
                answers[n] = f[1] == "OK" ? new Answer(true, int.Parse(f[2]), File.ReadAllBytes(Path.Combine(dir, $"{n}.raw"))) : new Answer(false, 0, [], f[1] == "HANG");
            }
            return answers;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static string Summary(List<int> cuts, Func<int, Answer> answer)
    {
        var sb = new StringBuilder();
        foreach (int n in cuts)
        {
            var a = answer(n);
            sb.Append(n).Append(a.Ok ? $" OK {a.HeightRead} {Convert.ToHexString(SHA256.HashData(a.Pixels))[..16]}" : a.Hang ? " HANG" : " FAIL").Append('\n');
        }
        return Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(sb.ToString())))[..16];
    }

    private static Tensor Decode(byte[] data, int ratio, bool fancy, bool recover, float fraction) =>
        Compute1("DecodeJpeg", [Bytes(data)], Attrs(("ratio", ratio), ("fancy_upscaling", fancy), ("try_recover_truncated", recover), ("acceptable_fraction", fraction)));

    // SHA-256 prefixes of the oracle's answers (libjpeg-turbo 2.1.5) per case: every cut's status, height_read and
    // pixels. Re-checked against the oracle on every run where gcc and jpeglib.h exist.
    private static readonly Dictionary<string, string> s_pins = new()
    {
        ["420 ratio 1 fancy True recover False"] = "F9DE796C04FDE42A",
        ["420 ratio 1 fancy True recover True"] = "963F9B26CDC055A5",
        ["420 ratio 1 fancy False recover False"] = "789C38611B95468C",
        ["420 ratio 1 fancy False recover True"] = "1ABB57775128EA92",
        ["420 ratio 2 fancy True recover False"] = "0B432131E6D58216",
        ["420 ratio 2 fancy True recover True"] = "C2CFD7B832272127",
        ["444 ratio 1 fancy True recover False"] = "0CCD767F3A0F727B",
        ["444 ratio 1 fancy True recover True"] = "89A23E52C8625696",
        ["440 ratio 4 fancy True recover False"] = "5736C538DCF53B08",
        ["440 ratio 4 fancy True recover True"] = "8928C6823E9AF02A",
        ["grey ratio 1 fancy True recover False"] = "FA14F127F091CD70",
        ["grey ratio 1 fancy True recover True"] = "4D1CF18086D5DF7F",
        ["422 ratio 1 fancy True recover False"] = "33DC2676D90BC926",
        ["422 ratio 1 fancy True recover True"] = "4EDC8EC563922732",
        ["440 ratio 1 fancy True recover False"] = "CBA30326955502AA",
        ["440 ratio 1 fancy True recover True"] = "35CF3A905637E102",
        ["420dri ratio 1 fancy True recover False"] = "4F989BA9ECF9E56B",
        ["420dri ratio 1 fancy True recover True"] = "32536EB202EF8B63",
        ["greydri ratio 1 fancy True recover False"] = "50F1E5C84FD12E38",
        ["greydri ratio 1 fancy True recover True"] = "E355A6531B4EEC88",
    };

    // Every case is compared with and without try_recover_truncated. With it, the re-read bytes decode to wild
    // coefficients, and the IFAST IDCT (ratio 1) must wrap them in 16 bits as libjpeg-turbo's jidctfst.c does in a
    // WITH_SIMD build (DCTELEM = short); with 32-bit arithmetic the grey, 4:2:2 and 4:4:0 files differ.
    [Theory]
    [InlineData("420", 1, true)]
    [InlineData("420", 1, false)]
    [InlineData("420", 2, true)]
    [InlineData("444", 1, true)]
    [InlineData("440", 4, true)]
    [InlineData("grey", 1, true)]
    [InlineData("422", 1, true)]
    [InlineData("440", 1, true)]
    [InlineData("420dri", 1, true)]
    [InlineData("greydri", 1, true)]
    public void DecodeJpeg_TruncatedData_EqualsTfOnLibjpegTurbo(string kind, int ratio, bool fancy)
    {
        var jpeg = MakeJpeg(kind);
        var full = Decode(jpeg, ratio, fancy, recover: false, 1f);
        int height = full.Shape[0];
        long rowBytes = (long)full.Shape[1] * full.Shape[2];
        var fullPixels = full.ToArray<byte>();
        var pinErrors = new List<string>();
        foreach (bool recover in new[] { false, true })
        {
            var cuts = Cuts(jpeg, recover);
            var ours = new Dictionary<int, Answer>();
            var unsupported = new List<int>();
            foreach (int n in cuts.ToArray())
            {
                try
                {
                    var r = Decode(jpeg[..n], ratio, fancy, recover, 0f);
                    Assert.Equal(full.Shape, r.Shape);
                    var px = r.ToArray<byte>();
                    // height_read as the decode shows it: the first row from which everything is zero (TF zeroes the
                    // rows libjpeg did not deliver).
                    int read = height;
                    while (read > 0 && px.AsSpan((int)((read - 1) * rowBytes), (int)rowBytes).IndexOfAnyExcept((byte)0) < 0) read--;
                    ours[n] = new Answer(true, read, px);
                }
                catch (Exception e) when (e.Message.Contains("jpeg::Uncompress failed", StringComparison.Ordinal))
                {
                    if (e.Message.Contains("not supported:", StringComparison.Ordinal))
                    {
                        // Re-read garbage followed by a table/scan marker: reported, not decoded (see below).
                        output.WriteLine($"{kind} recover {recover}, {n} bytes: {e.Message}");
                        unsupported.Add(n);
                        cuts.Remove(n);
                        continue;
                    }
                    ours[n] = new Answer(false, 0, [], e.Message.Contains("does not terminate", StringComparison.Ordinal));
                }
            }
            // Only a re-read (try_recover_truncated) stream can meet such a marker, and only rarely.
            Assert.True(recover ? unsupported.Count <= 2 : unsupported.Count == 0, $"unsupported cuts: {string.Join(", ", unsupported)}");
            string key = $"{kind} ratio {ratio} fancy {fancy} recover {recover}";
            var oracle = Oracle(jpeg, cuts, ratio, fancy, recover, 0f);
            if (oracle != null)
            {
                foreach (int n in cuts)
                {
                    var (o, a) = (oracle[n], ours[n]);
                    Assert.True(o.Ok == a.Ok && o.Hang == a.Hang, $"{key}, {n} of {jpeg.Length} bytes: TF {(o.Ok ? "decodes" : o.Hang ? "hangs" : "fails")}, ours {(a.Ok ? "decodes" : a.Hang ? "hangs" : "fails")}");
                    if (!o.Ok) continue;
                    int differing = 0;
                    for (int i = 0; i < o.Pixels.Length; i++) if (o.Pixels[i] != a.Pixels[i]) differing++;
                    Assert.True(differing == 0, $"{key}, {n} of {jpeg.Length} bytes: {differing} samples differ (TF read {o.HeightRead} rows)");
                    // Our zero-row count may undercount TF's height_read only when TF's last delivered rows are zero.
                    Assert.True(a.HeightRead <= o.HeightRead, $"{key}, {n}: nonzero rows below TF's height_read {o.HeightRead}");
                    ours[n] = a with { HeightRead = o.HeightRead };
                }
                string sha = Summary(cuts, n => oracle[n]);
                output.WriteLine($"[\"{key}\"] = \"{sha}\", ({jpeg.Length} bytes, {cuts.Count} cuts: {cuts.Count(n => oracle[n].Ok)} decode, " +
                    $"{cuts.Count(n => oracle[n].Hang)} never end, the rest fail)");
                if (s_pins.GetValueOrDefault(key, "unpinned") != sha) pinErrors.Add($"{key}: oracle {sha}, pinned {s_pins.GetValueOrDefault(key, "unpinned")}");
            }
            else if (Summary(cuts, n => ours[n]) is var mine && s_pins.GetValueOrDefault(key, "unpinned") != mine)
                pinErrors.Add($"{key}: ours {mine}, pinned {s_pins.GetValueOrDefault(key, "unpinned")}");
            if (recover) continue;
            // Independently of the oracle: above height_read the rows are the full file's, below it zeros.
            foreach (var (n, a) in ours)
            {
                if (!a.Ok) continue;
                for (long i = 0; i < a.Pixels.Length; i++)
                {
                    byte expected = i < a.HeightRead * rowBytes ? fullPixels[i] : (byte)0;
                    if (a.Pixels[i] != expected) Assert.Fail($"{key}, {n} bytes: sample {i} (row {i / rowBytes}) is {a.Pixels[i]}, expected {expected} (height_read {a.HeightRead})");
                }
            }
        }
        Assert.True(pinErrors.Count == 0, string.Join("; ", pinErrors));
    }
}
