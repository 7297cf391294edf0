using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DecodeJpeg</c>, <c>DecodeAndCropJpeg</c>, <c>DecodeImage</c> and <c>EncodeJpeg</c>, after TF's <c>decode_image_op.cc</c> (DecodeImageV2Op)
/// and <c>encode_jpeg_op.cc</c>. Like TF, every decoder sniffs the bytes (JPEG FF D8 FF, PNG signature) and decodes
/// either format; DecodeJpeg's dct_method "" or "INTEGER_FAST" is IFAST and "INTEGER_ACCURATE" is ISLOW (TF's
/// default is IFAST), ratio ∈ {1, 2, 4, 8} scales down in the IDCT as libjpeg-turbo does, DecodeAndCropJpeg decodes
/// the crop_window [y, x, height, width] of the (scaled) image, and other dtypes of DecodeImage come from the
/// 8-bit JPEG as v·256 (uint16) or v·(1/255) (float), and from the 16-bit PNG decode as v·(1/65535) (float).
/// BMP goes to <see cref="BmpKernels"/>, GIF to <see cref="GifKernels"/>, WebP to <see cref="WebpKernels"/>.
/// </summary>
internal sealed class JpegKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("DecodeJpeg", n => DecodeJpegKernel(n));
        registry.Add("DecodeAndCropJpeg", n => DecodeJpegKernel(n));
        registry.Add("DecodeImage", n =>
        {
            int channels = PngKernels.ReadChannels(n);
            var dtype = n.GetType("dtype", DataType.DtUint8);
            if (dtype is not (DataType.DtUint8 or DataType.DtUint16 or DataType.DtFloat))
                throw KernelAttrs.Err(n, $"`dtype` for `DecodeImage` must be unit8, unit16, float but got: {DataTypes.Name(dtype)}");
            bool expandAnimations = n.GetBool("expand_animations", true);
            return new DelegateKernel(n, ctx => ImageDecoding.Decode(ctx, channels, dtype, JpegCodec.DecodeSettings.Default, expandAnimations));
        });
        registry.Add("EncodeJpeg", n =>
        {
            string format = n.GetString("format", "");
            if (format is not ("" or "grayscale" or "rgb")) throw KernelAttrs.Err(n, $"format must be '', grayscale or rgb, got {format}");
            int quality = (int)n.GetInt("quality", 95);
            if (quality < 0 || quality > 100) throw KernelAttrs.Err(n, $"quality must be in [0,100], got {quality}");
            string unit = n.GetString("density_unit", "in");
            if (unit is not ("in" or "cm")) throw KernelAttrs.Err(n, $"density_unit must be 'in' or 'cm', got {unit}");
            bool progressive = n.GetBool("progressive", false), optimize = n.GetBool("optimize_size", false), chroma = n.GetBool("chroma_downsampling", true);
            int xd = (int)n.GetInt("x_density", 300), yd = (int)n.GetInt("y_density", 300);
            return new DelegateKernel(n, ctx =>
            {
                var image = ctx.Input(0);
                if (image.Shape.Rank != 3) throw ctx.Error($"image must be 3-dimensional{image.Shape}");
                if (image.DType != DataType.DtUint8) throw ctx.Error($"image must be uint8, got {DataTypes.Name(image.DType)}");
                int h = image.Shape[0], w = image.Shape[1], c = image.Shape[2];
                int want = format switch { "grayscale" => 1, "rgb" => 3, _ => c };
                if (c != want || c is not (1 or 3)) throw ctx.Error($"image must have 1 or 3 channels (matching format '{format}'), got {c}");
                if (h == 0 || w == 0 || h > 65535 || w > 65535) throw ctx.Error($"JPEG encoding failed: image size {w}x{h} outside 1..65535");
                var bytes = JpegCodec.Encode(image.AsSpan<byte>().ToArray(), h, w, c, quality, progressive, optimize, chroma, unit == "in" ? 1 : 2, xd, yd);
                ctx.SetOutput(0, new Tensor(TensorShape.Scalar, [bytes]));
            });
        });
    }

    // DecodeJpeg and DecodeAndCropJpeg share TF's attrs (decode_image_op.cc DecodeImageV2Op constructor).
    private static DelegateKernel DecodeJpegKernel(Node n)
    {
        int channels = PngKernels.ReadChannels(n);
        int ratio = (int)n.GetInt("ratio", 1);
        if (ratio is not (1 or 2 or 4 or 8)) throw KernelAttrs.Err(n, $"ratio must be 1, 2, 4, or 8, got {ratio}");
        string dct = n.GetString("dct_method", "");
        if (dct is not ("" or "INTEGER_FAST" or "INTEGER_ACCURATE")) throw KernelAttrs.Err(n, "dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}");
        var settings = new JpegCodec.DecodeSettings(ratio, n.GetBool("fancy_upscaling", true), n.GetBool("try_recover_truncated", false), dct == "INTEGER_ACCURATE",
            n.GetFloat("acceptable_fraction", 1f));
        return new DelegateKernel(n, ctx => ImageDecoding.Decode(ctx, channels, DataType.DtUint8, settings));
    }
}

/// <summary>The shared body of TF's image decoders: input checks, format sniffing, dtype conversion.</summary>
internal static class ImageDecoding
{
    /// <summary>Decodes input 0 (a scalar string) into output 0 [H, W, C] of <paramref name="dtype"/> — [1, H, W, C] for
    /// DecodeGif, whose output is 4-D whatever the format (decode_image_op.cc); GIF animations per
    /// <paramref name="expandAnimations"/> (DecodeImage's attr; true for every other op, as TF's default).</summary>
    public static void Decode(OpKernelContext ctx, int channels, DataType dtype, JpegCodec.DecodeSettings jpeg, bool expandAnimations = true)
    {
        var contents = ctx.Input(0);
        if (contents.DType != DataType.DtString || contents.Shape.Rank != 0) throw ctx.Error($"`contents` must be scalar but got shape{contents.Shape}");
        var bytes = contents.Strings[0];
        if (bytes.Length == 0) throw ctx.Error("Input is empty.");
        if (JpegCodec.IsJpeg(bytes))
        {
            if (ctx.Node.Op == "DecodeBmp") throw ctx.Error("Trying to decode JPEG format using DecodeBmp op. Use `decode_jpeg` or `decode_image` instead.");
            if (channels == 4) throw ctx.Error("JPEG does not support 4 channels");
            JpegCodec.CropWindow? crop = null;
            if (ctx.Node.Op == "DecodeAndCropJpeg")
            {
                var window = ctx.Input(1);
                if (window.Shape.Rank != 1) throw ctx.Error($"crop_window must be 1-D, got shape {window.Shape}");
                if (window.Shape[0] != 4) throw ctx.Error($"crop_size must have four elements {window.Shape}");
                var v = window.AsSpan<int>();
                crop = new JpegCodec.CropWindow(v[0], v[1], v[2], v[3]);
            }
            JpegCodec.Image img;
            try { img = JpegCodec.Decode(bytes, channels, jpeg, crop); }
            catch (InvalidDataException e) { throw ctx.Error($"jpeg::Uncompress failed. Invalid JPEG data or crop window. ({bytes.Length} bytes: {e.Message})"); }
            SetOutput(ctx, img.Pixels, ImageShape(ctx, img.Height, img.Width, img.Channels), dtype);
            return;
        }
        if (PngCodec.IsPng(bytes))
        {
            if (ctx.Node.Op == "DecodeBmp") throw ctx.Error("Trying to decode PNG format using DecodeBmp op. Use `decode_png` or `decode_image` instead.");
            if (ctx.Node.Op == "DecodeAndCropJpeg") throw ctx.Error("DecodeAndCropJpeg operation can run on JPEG only, but detected PNG.");
            PngCodec.Image img;
            try { img = PngCodec.Decode(bytes, channels, sixteenBit: dtype != DataType.DtUint8); }
            catch (InvalidDataException e) { throw ctx.Error($"Invalid PNG data, size {bytes.Length}: {e.Message}"); }
            var shape = ImageShape(ctx, img.Height, img.Width, img.Channels);
            switch (dtype)
            {
                case DataType.DtUint8:
                    var b = ctx.AllocateOutput(0, DataType.DtUint8, shape).AsSpan<byte>();
                    for (int i = 0; i < b.Length; i++) b[i] = (byte)img.Samples[i];
                    break;
                case DataType.DtUint16:
                    var u = ctx.AllocateOutput(0, DataType.DtUint16, shape).AsSpan<ushort>();
                    for (int i = 0; i < u.Length; i++) u[i] = (ushort)img.Samples[i];
                    break;
                default:
                    var f = ctx.AllocateOutput(0, DataType.DtFloat, shape).AsSpan<float>();
                    float scale = (float)(1.0 / 65535);
                    for (int i = 0; i < f.Length; i++) f[i] = img.Samples[i] * scale;
                    break;
            }
            return;
        }
        if (BmpKernels.IsBmp(bytes))
        {
            BmpKernels.Decode(ctx, bytes, channels, dtype);
            return;
        }
        if (GifKernels.IsGif(bytes))
        {
            GifKernels.Decode(ctx, bytes, channels, dtype, expandAnimations);
            return;
        }
        if (WebpCodec.IsWebp(bytes))
        {
            WebpKernels.Decode(ctx, bytes, channels, dtype, expandAnimations);
            return;
        }
        throw ctx.Error("Unknown image file format. One of JPEG, PNG, GIF, BMP, WebP required.");
    }

    /// <summary>[H, W, C], or [1, H, W, C] when the op is DecodeGif (TF returns 4-D shapes for JPEG/PNG/WebP bytes fed to it).</summary>
    public static TensorShape ImageShape(OpKernelContext ctx, int height, int width, int channels) =>
        ctx.Node.Op == "DecodeGif" ? new TensorShape(1, height, width, channels) : new TensorShape(height, width, channels);

    /// <summary>Sets output 0 from 8-bit samples as TF converts them: uint8 as is, uint16 v·256 (floor(65536 / 256)),
    /// float v·(float)(1/255).</summary>
    public static void SetOutput(OpKernelContext ctx, byte[] pixels, TensorShape shape, DataType dtype)
    {
        switch (dtype)
        {
            case DataType.DtUint8: ctx.SetOutput(0, Tensor.Create(pixels, shape.ToArray())); break;
            case DataType.DtUint16:
                var u = ctx.AllocateOutput(0, DataType.DtUint16, shape).AsSpan<ushort>();
                for (int i = 0; i < u.Length; i++) u[i] = (ushort)(pixels[i] * 256);
                break;
            default:
                var f = ctx.AllocateOutput(0, DataType.DtFloat, shape).AsSpan<float>();
                float scale = (float)(1.0 / 255);
                for (int i = 0; i < f.Length; i++) f[i] = pixels[i] * scale;
                break;
        }
    }
}
