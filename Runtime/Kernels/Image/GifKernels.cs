using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DecodeGif(contents) → uint8 [frames, H, W, 3]</c> and GIF bytes fed to the other decoders, after TF's
/// <c>decode_image_op.cc</c> (<c>DecodeImageV2Op::DecodeGifV2</c>) on <see cref="GifCodec"/> (giflib's reading and
/// gif_io.cc's compositing). As TF: GIF is 3 channels (<c>channels</c> must be 0 or 3), DecodeGif and DecodeImage with
/// <c>expand_animations</c> give every frame as a 4-D tensor, DecodeImage with <c>expand_animations=false</c> the first
/// frame as [H, W, 3] (on the canvas of all frames), DecodeJpeg/DecodePng accept a single-frame GIF as [H, W, 3] and
/// refuse an animation ("Got N frames, but animated gifs can only be decoded by tf.io.decode_gif or
/// tf.io.decode_image"), DecodeBmp and DecodeAndCropJpeg refuse GIF bytes; DecodeImage's uint16/float are v·256 and
/// v·(1/255). DecodeGif itself also decodes JPEG, PNG and WebP bytes as a one-frame 4-D tensor (see
/// <see cref="ImageDecoding"/>). Failures read "Invalid GIF data (size N), " + gif_io.cc's error text.
/// </summary>
internal sealed class GifKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) =>
        // DecodeGif has no channels attr: decode_image_op.cc sets channels_ = 3 for it.
        registry.Add("DecodeGif", n => new DelegateKernel(n, ctx => ImageDecoding.Decode(ctx, 3, DataType.DtUint8, JpegCodec.DecodeSettings.Default)));

    /// <summary>True for TF's GIF magic "GIF8".</summary>
    public static bool IsGif(ReadOnlySpan<byte> data) => data.StartsWith("GIF8"u8);

    /// <summary>Decodes GIF <paramref name="bytes"/> into output 0 as DecodeGifV2 does for the running op.</summary>
    public static void Decode(OpKernelContext ctx, byte[] bytes, int channels, DataType dtype, bool expandAnimations)
    {
        if (channels is not (0 or 3)) throw ctx.Error($"channels must be 0 or 3 for GIF, got {channels}");
        string op = ctx.Node.Op;
        if (op == "DecodeBmp") throw ctx.Error("Trying to decode GIF format using DecodeBmp op. Use `decode_gif` or `decode_image` instead.");
        if (op == "DecodeAndCropJpeg") throw ctx.Error("DecodeAndCropJpeg operation can run on JPEG only, but detected GIF.");
        GifCodec.GifFile file;
        try { file = GifCodec.Read(bytes); }
        catch (InvalidDataException e) { throw ctx.Error($"Invalid GIF data (size {bytes.Length}), {e.Message}"); }
        var (width, height) = GifCodec.CanvasSize(file);
        int frames = expandAnimations ? file.Frames.Count : 1;
        // gif_io.cc's allocate_output callback: the output shape depends on the op (and fails before any pixel is
        // composited, so this error wins over a bad colour index).
        TensorShape shape;
        if (op is "DecodePng" or "DecodeJpeg")
        {
            if (file.Frames.Count != 1)
                throw ctx.Error($"Got {file.Frames.Count} frames, but animated gifs can only be decoded by tf.io.decode_gif or tf.io.decode_image");
            shape = new TensorShape(height, width, 3);
        }
        else if (op == "DecodeImage" && !expandAnimations) shape = new TensorShape(height, width, 3);
        else shape = new TensorShape(frames, height, width, 3);
        if ((long)frames * height * width * 3 > Array.MaxLength)
            throw ctx.Error($"Invalid GIF data (size {bytes.Length}), {frames} frames of {width}x{height} pixels are too large to allocate");
        byte[] pixels;
        try { pixels = GifCodec.Composite(file, frames, width, height); }
        catch (InvalidDataException e) { throw ctx.Error($"Invalid GIF data (size {bytes.Length}), {e.Message}"); }
        ImageDecoding.SetOutput(ctx, pixels, shape, dtype);
    }
}
