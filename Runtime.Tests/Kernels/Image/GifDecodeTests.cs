using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;
using static TypedGraph.Tests.Kernels.Image.TestGifWriter;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// DecodeGif / DecodeImage / DecodeJpeg / DecodePng on GIFs written at test time by <see cref="TestGifWriter"/>, checked
/// against the test's own composition of the written frames by TF's rules (tensorflow/core/lib/gif/gif_io.cc: canvas =
/// largest frame width × height, frame 0 over zeros, each later frame over a copy of the previous output, clipped to
/// the canvas, the GCB transparent index keeps the canvas pixel, disposal ignored) and decode_image_op.cc's shapes,
/// dtypes and errors; truncated files as giflib's DGifSlurp leaves them (TF decodes when the last frame's pixel buffer
/// exists).
/// </summary>
public class GifDecodeTests
{
    private static byte[] Palette(int entries, int seed)
    {
        var p = new byte[entries * 3];
        new Random(seed).NextBytes(p);
        return p;
    }

    private static byte[] Indices(int count, int colors, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (byte)r.Next(colors)).ToArray();
    }

    private static Tensor Decode(string op, byte[] file, params (string, object)[] attrs) =>
        Compute1(op, [new Tensor(TensorShape.Scalar, [file])], Attrs(attrs));

    private static string Error(string op, byte[] file, params (string, object)[] attrs) =>
        Assert.Throws<GraphExecutionException>(() => Decode(op, file, attrs)).Message;

    /// <summary>TF's compositing, written frame-pixel by frame-pixel: (spec, the indices the decoder holds, the
    /// transparent index attached) per frame.</summary>
    private static byte[] Compose(byte[]? global, IReadOnlyList<(FrameSpec F, byte[] Indices, int Transparent)> frames, int count)
    {
        int w = frames.Max(f => f.F.Width), h = frames.Max(f => f.F.Height);
        var canvas = new byte[h * w * 3];
        var result = new List<byte>();
        for (int k = 0; k < count; k++)
        {
            var (f, indices, transparent) = frames[k];
            var palette = f.LocalPalette ?? global!;
            for (int y = 0; y < f.Height; y++)
                for (int x = 0; x < f.Width; x++)
                {
                    int cy = f.Top + y, cx = f.Left + x;
                    if (cy >= h || cx >= w) continue;
                    int index = indices[y * f.Width + x];
                    if (index == transparent) continue;
                    for (int c = 0; c < 3; c++) canvas[(cy * w + cx) * 3 + c] = palette[index * 3 + c];
                }
            result.AddRange(canvas);
        }
        return result.ToArray();
    }

    private static byte[] Compose(byte[]? global, FrameSpec[] frames, int count) =>
        Compose(global, frames.Select(f => (f, f.Indices, f.WithGce ? f.Transparent : -1)).ToList(), count);

    private static byte[] Write(int sw, int sh, byte[]? global, FrameSpec[] frames, out TestGifWriter writer)
    {
        writer = new TestGifWriter(sw, sh, global);
        foreach (var f in frames) writer.Frame(f);
        return writer.Finish();
    }

    [Fact]
    public void SingleFrameOddSize_ShapesPerOpAndDtypes_AsDecodeImageOp()
    {
        var global = Palette(8, 1);
        var frame = new FrameSpec(0, 0, 7, 5, Indices(35, 8, 2), Transparent: -1, WithGce: false);
        var file = Write(7, 5, global, [frame], out _);
        var rgb = Compose(global, [frame], 1);
        var gif = Decode("DecodeGif", file);
        Assert.Equal(new TensorShape(1, 5, 7, 3), gif.Shape);
        Assert.Equal(rgb, gif.ToArray<byte>());
        Assert.Equal(new TensorShape(1, 5, 7, 3), Decode("DecodeImage", file).Shape);
        var first = Decode("DecodeImage", file, ("expand_animations", false));
        Assert.Equal(new TensorShape(5, 7, 3), first.Shape);
        Assert.Equal(rgb, first.ToArray<byte>());
        // A one-frame GIF fed to DecodeJpeg / DecodePng is 3-D (decode_image_op.cc DecodeGifV2's allocate callback).
        foreach (var op in new[] { "DecodeJpeg", "DecodePng" })
        {
            var img = Decode(op, file);
            Assert.Equal(new TensorShape(5, 7, 3), img.Shape);
            Assert.Equal(rgb, img.ToArray<byte>());
        }
        Assert.Equal(rgb.Select(v => (ushort)(v * 256)), Decode("DecodeImage", file, ("dtype", DataType.DtUint16)).ToArray<ushort>());
        Assert.Equal(rgb.Select(v => v * (float)(1.0 / 255)), Decode("DecodeImage", file, ("dtype", DataType.DtFloat)).ToArray<float>());
        Assert.Equal(rgb, Decode("DecodeImage", file, ("channels", 3)).ToArray<byte>());
    }

    /// <summary>Four frames: a first frame smaller than the canvas with a transparent index (zeros there), a local-palette
    /// frame sticking out of the canvas with disposal "restore to background" (ignored by TF), an interlaced frame on
    /// the global palette without a GCB, and a frame placed wholly outside the canvas (the previous frame repeats).</summary>
    [Fact]
    public void Animation_CompositedOverThePreviousFrame_AsGifIo()
    {
        var global = Palette(16, 3);
        FrameSpec[] frames =
        [
            new(0, 0, 9, 6, Indices(54, 16, 4), Transparent: 5),
            new(6, 1, 4, 8, Indices(32, 4, 5), LocalPalette: Palette(4, 6), Transparent: 2, Disposal: 2),
            new(2, 2, 3, 3, Indices(9, 16, 7), Interlace: true, WithGce: false),
            new(20, 0, 2, 2, Indices(4, 16, 8)),
        ];
        var file = Write(10, 10, global, frames, out _);
        var expected = Compose(global, frames, 4);
        // The canvas is 9 × 8 (largest frame width and height), not the 10 × 10 logical screen.
        var all = Decode("DecodeGif", file);
        Assert.Equal(new TensorShape(4, 8, 9, 3), all.Shape);
        Assert.Equal(expected, all.ToArray<byte>());
        Assert.Equal(expected, Decode("DecodeImage", file).ToArray<byte>());
        // Frame 0 keeps zeros on its transparent pixels and below its 6 rows.
        var f0 = all.ToArray<byte>().AsSpan(0, 8 * 9 * 3).ToArray();
        Assert.True(f0.AsSpan(6 * 9 * 3).ToArray().All(v => v == 0));
        var first = Decode("DecodeImage", file, ("expand_animations", false));
        Assert.Equal(new TensorShape(8, 9, 3), first.Shape);
        Assert.Equal(f0, first.ToArray<byte>());
        Assert.Equal(expected.AsSpan(2 * 216, 216).ToArray(), expected.AsSpan(3 * 216, 216).ToArray());
        Assert.Contains("Got 4 frames, but animated gifs can only be decoded by tf.io.decode_gif or tf.io.decode_image", Error("DecodePng", file));
        Assert.Contains("Got 4 frames", Error("DecodeJpeg", file));
    }

    /// <summary>LZW streams that fill the 4096-entry table (clear codes mid-frame), 12-bit codes, a 2-colour frame at the
    /// minimum code size 2, a 1×1 frame, interlaced heights that leave passes empty.</summary>
    [Theory]
    [InlineData(90, 70, 256, false, 0)]
    [InlineData(90, 70, 256, true, 0)]
    [InlineData(61, 3, 2, true, 2)]
    [InlineData(33, 40, 2, false, 2)]
    [InlineData(1, 1, 4, true, 0)]
    [InlineData(5, 9, 32, true, 8)]
    public void LargeTablesInterlaceAndCodeSizes_DecodeToTheWrittenPixels(int w, int h, int colors, bool interlace, int minCode)
    {
        var palette = Palette(colors, w + h);
        // Runs of repeated indices mixed with noise: long dictionary strings and table growth both happen.
        var r = new Random(w * h);
        var indices = new byte[w * h];
        for (int i = 0; i < indices.Length; i++) indices[i] = r.Next(3) == 0 && i > 0 ? indices[i - 1] : (byte)r.Next(colors);
        var frame = new FrameSpec(0, 0, w, h, indices, LocalPalette: palette, Interlace: interlace, MinCodeSize: minCode, WithGce: false);
        var file = Write(w, h, null, [frame], out _);
        Assert.Equal(Compose(null, [frame], 1), Decode("DecodeGif", file).ToArray<byte>());
    }

    private static (byte[] File, byte[] Global, FrameSpec[] Frames, TestGifWriter Writer) TwoFrameFile()
    {
        var global = Palette(8, 11);
        FrameSpec[] frames =
        [
            new(0, 0, 40, 30, Indices(1200, 8, 12), Transparent: 3),
            new(2, 1, 30, 25, Indices(750, 16, 13), LocalPalette: Palette(16, 14), Transparent: 7),
        ];
        var file = Write(40, 30, global, frames, out var writer);
        return (file, global, frames, writer);
    }

    /// <summary>Truncation as giflib + TF: TF fails only when no frame exists or the last frame's pixel buffer was never
    /// allocated; otherwise it returns what DGifSlurp read — a frame cut inside its LZW data has the pixels of the
    /// complete data sub-blocks (the rest is uninitialized in TF, colour index 0 here), and its GCB (read before it) is
    /// not attached because DGifSlurp attaches extensions only after the pixels.</summary>
    [Fact]
    public void TruncatedFiles_AsGiflibSlurpAndTf()
    {
        var (file, global, frames, writer) = TwoFrameFile();
        var (dataStart, blocks) = writer.FrameData[1];
        Assert.True(blocks.Count >= 2);
        int frameBytes = 30 * 40 * 3;
        var full = Compose(global, frames, 2);

        // Missing trailer only: everything decodes, transparency included.
        Assert.Equal(full, Decode("DecodeGif", file[..^1]).ToArray<byte>());

        // Cut inside the second frame's second data sub-block: the first sub-block's pixels, then index 0.
        foreach (var cut in new[] { blocks[0].BlockEnd + 100, dataStart })
        {
            int decoded = cut == dataStart ? 0 : blocks[0].Pixels;
            Assert.InRange(decoded, cut == dataStart ? 0 : 1, 749);
            var partial = frames[1].Indices.Select((v, i) => i < decoded ? v : (byte)0).ToArray();
            var expected = Compose(global, [(frames[0], frames[0].Indices, 3), (frames[1], partial, -1)], 2);
            var got = Decode("DecodeGif", file[..(int)cut]);
            Assert.Equal(new TensorShape(2, 30, 40, 3), got.Shape);
            Assert.Equal(expected, got.ToArray<byte>());
        }

        // All pixel data present but the terminating empty sub-block missing: pixels complete, GCB not attached.
        var noTerminator = Compose(global, [(frames[0], frames[0].Indices, 3), (frames[1], frames[1].Indices, -1)], 2);
        Assert.Equal(noTerminator, Decode("DecodeGif", file[..(int)blocks[^1].BlockEnd]).ToArray<byte>());
        Assert.NotEqual(full, noTerminator); // the transparent index 7 does occur

        // Cut inside the second frame's local colour table: DGifGetImageDesc fails before counting the frame, so TF
        // returns the first frame alone.
        long localTable = dataStart - 1 - 48;
        var one = Decode("DecodeGif", file[..(int)(localTable + 10)]);
        Assert.Equal(new TensorShape(1, 30, 40, 3), one.Shape);
        Assert.Equal(full.AsSpan(0, frameBytes).ToArray(), one.ToArray<byte>());

        // Cut right before the LZW code size: the frame is counted without pixels → TF's error (giflib sets no code).
        var cutCode = file[..(int)(dataStart - 1)];
        Assert.Contains($"Invalid GIF data (size {cutCode.Length}), failed to slurp gif file: Unknown error", Error("DecodeGif", cutCode));
        // Inside the first frame's descriptor: no frame at all.
        long firstDesc = writer.FrameData[0].DataStart - 1 - 10;
        Assert.Contains("failed to slurp gif file: Failed to read from given file", Error("DecodeGif", file[..(int)(firstDesc + 4)]));
        // Inside the global colour table: DGifOpen fails.
        Assert.Contains("Invalid GIF data (size 20), failed to open gif file: No screen descriptor detected", Error("DecodeImage", file[..20]));
        Assert.Contains("failed to open gif file: Failed to read from given file", Error("DecodeGif", "GIF89"u8.ToArray()));
    }

    [Fact]
    public void BadFilesAndWrongOps_GiveTfErrors()
    {
        var p4 = Palette(4, 21);
        // Code size 8 on a 4-colour table: index 9 is outside the map — unless 9 is the transparent index (gif_io.cc
        // tests transparency first).
        var pixels = new byte[] { 0, 1, 9, 2 };
        var bad = new TestGifWriter(2, 2, p4).Frame(new FrameSpec(0, 0, 2, 2, pixels, MinCodeSize: 8, WithGce: false)).Finish();
        Assert.Contains($"Invalid GIF data (size {bad.Length}), found color index 9 outside of color map range 4", Error("DecodeGif", bad));
        var transparent9 = new TestGifWriter(2, 2, p4).Frame(new FrameSpec(0, 0, 2, 2, pixels, Transparent: 9, MinCodeSize: 8)).Finish();
        var got = Decode("DecodeGif", transparent9).ToArray<byte>();
        Assert.Equal(new byte[] { p4[0], p4[1], p4[2], p4[3], p4[4], p4[5], 0, 0, 0, p4[6], p4[7], p4[8] }, got);

        var noMap = new TestGifWriter(2, 1, null).Frame(new FrameSpec(0, 0, 2, 1, [0, 1], MinCodeSize: 2, WithGce: false)).Finish();
        Assert.Contains("missing color map for frame 0", Error("DecodeGif", noMap));
        var zeroWidth = new TestGifWriter(2, 1, p4).Frame(new FrameSpec(0, 0, 0, 1, [], WithGce: false)).Finish();
        Assert.Contains("failed to slurp gif file: Unknown error", Error("DecodeGif", zeroWidth));
        Assert.Contains("failed to slurp gif file: No Image Descriptor detected", Error("DecodeGif", new TestGifWriter(2, 1, p4).Finish()));
        Assert.Contains("failed to slurp gif file: Wrong record type detected", Error("DecodeGif", new TestGifWriter(2, 1, p4).Raw(0x99).Finish()));

        // A bad record after a complete frame: TF logs the slurp error and returns the frame.
        var frame = new FrameSpec(0, 0, 2, 1, [3, 1], WithGce: false);
        var trailing = new TestGifWriter(2, 1, p4).Frame(frame).Raw(0x99).Finish();
        Assert.Equal(Compose(p4, [frame], 1), Decode("DecodeGif", trailing).ToArray<byte>());

        var ok = new TestGifWriter(2, 1, p4).Frame(frame).Finish();
        Assert.Contains("channels must be 0 or 3 for GIF, got 1", Error("DecodeImage", ok, ("channels", 1)));
        Assert.Contains("channels must be 0 or 3 for GIF, got 4", Error("DecodePng", ok, ("channels", 4)));
        Assert.Contains("Trying to decode GIF format using DecodeBmp op. Use `decode_gif` or `decode_image` instead.", Error("DecodeBmp", ok));
        var crop = Assert.Throws<GraphExecutionException>(() =>
            Compute1("DecodeAndCropJpeg", [new Tensor(TensorShape.Scalar, [ok]), Tensor.Create(new[] { 0, 0, 1, 1 }, [4])])).Message;
        Assert.Contains("DecodeAndCropJpeg operation can run on JPEG only, but detected GIF.", crop);
        Assert.Contains($"DecodeGif node '{KernelNodeName}'", Error("DecodeGif", bad));
    }

    /// <summary>DecodeGif decodes PNG (and JPEG) bytes too, as a one-frame 4-D tensor with 3 channels (decode_image_op.cc).</summary>
    [Fact]
    public void DecodeGif_OnPngBytes_IsOneFrameRgb()
    {
        var rgba = Indices(5 * 4 * 4, 256, 31);
        var png = Compute1("EncodePng", [Tensor.Create(rgba, [5, 4, 4])]);
        var img = Compute1("DecodeGif", [png]);
        Assert.Equal(new TensorShape(1, 5, 4, 3), img.Shape);
        var rgb = Enumerable.Range(0, 20).SelectMany(i => new[] { rgba[i * 4], rgba[i * 4 + 1], rgba[i * 4 + 2] }).ToArray();
        Assert.Equal(rgb, img.ToArray<byte>());
    }
}
