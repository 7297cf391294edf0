using System.Runtime.CompilerServices;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DecodeWebP(contents; channels) → uint8 [frames, H, W, C]</c> and WebP bytes fed to the other decoders, after TF's
/// <c>decode_image_op.cc</c> (<c>DecodeImageV2Op::DecodeWebP</c>) and <c>webp_io.cc</c>, on <see cref="WebpCodec"/>.
/// As TF: <c>channels</c> ∈ {0, 3, 4} and must match the file (4 when WebPGetFeatures reports alpha, else 3), dtype
/// must be uint8, a still image is [1, H, W, C] unless DecodeImage's <c>expand_animations</c> is false ([H, W, C]) —
/// so DecodeJpeg/DecodePng/DecodeBmp/DecodeGif fed WebP bytes also give 4-D, exactly as TF (its DecodeWebP path has no
/// per-op shape rule). Errors are TF's texts. Animated WebP (VP8X animation flag) is refused with an error naming
/// the node: TF composites it with libwebp's WebPAnimDecoder, which is not reproduced here. In a NativeAOT build the
/// header checks still run but pixel decoding is refused (ImageSharp 2.x is not AOT-compatible; see <see cref="Decode"/>).
/// </summary>
internal sealed class WebpKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("DecodeWebP", n =>
    {
        int channels = PngKernels.ReadChannels(n);
        return new DelegateKernel(n, ctx => ImageDecoding.Decode(ctx, channels, DataType.DtUint8, JpegCodec.DecodeSettings.Default));
    });

    /// <summary>Decodes WebP <paramref name="bytes"/> into output 0 as DecodeImageV2Op::DecodeWebP.</summary>
    public static void Decode(OpKernelContext ctx, byte[] bytes, int channels, DataType dtype, bool expandAnimations)
    {
        if (channels is not (0 or 3 or 4)) throw ctx.Error("WebP only supports 3 or 4 channels");
        if (dtype != DataType.DtUint8) throw ctx.Error("WebP only supports uint8 for dtype");
        if (!WebpCodec.TryGetFeatures(bytes, out var features)) throw ctx.Error("Failed to decode WebP header.");
        int fileChannels = features.HasAlpha ? 4 : 3;
        if (channels != 0 && channels != fileChannels) throw ctx.Error("Number of channels requested does not match input");
        if (features.HasAnimation)
        {
            if (channels is not (0 or 4)) throw ctx.Error("WebP Animation must be 4 channel RGBA");
            throw ctx.Error($"Animated WebP ({features.Width}x{features.Height} canvas) is not supported by TypedGraph's decoders (still WebP images are)");
        }
        // ImageSharp 2.x is not NativeAOT-clean (ILC reports IL2104/IL3053 for it). RuntimeFeature.IsDynamicCodeSupported
        // is a constant false under NativeAOT, so ILC drops this branch and never reaches ImageSharp: AOT apps keep
        // publishing with no warnings and refuse WebP pixels here instead.
        if (!RuntimeFeature.IsDynamicCodeSupported)
            throw ctx.Error("WebP pixel decoding is not available in a NativeAOT build (it runs on SixLabors.ImageSharp 2.x, which is not AOT-compatible)");
        byte[] pixels;
        try { pixels = WebpCodec.DecodeStill(bytes, features, fileChannels); }
        catch (InvalidDataException e) { throw ctx.Error($"Failed to decode WebP image. ({bytes.Length} bytes: {e.Message})"); }
        var shape = expandAnimations
            ? new TensorShape(1, features.Height, features.Width, fileChannels)
            : new TensorShape(features.Height, features.Width, fileChannels);
        ctx.SetOutput(0, Tensor.Create(pixels, shape.ToArray()));
    }
}
