using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DecodePng(contents; channels, dtype)</c> → [H, W, C] uint8/uint16 and <c>EncodePng(image; compression)</c>,
/// after TF's <c>decode_image_op.cc</c> (DecodePngV2) and <c>encode_png_op.cc</c>, on our own <see cref="PngCodec"/>.
/// Decoded pixels are exact (PNG is lossless; the channel/bit-depth conversions are libpng's, see PngCodec); encoded
/// bytes differ from libpng's (other deflate and filter choices) but decode to the same pixels. DecodePng also reads
/// JPEG input, as TF's decoders sniff the format (see <see cref="JpegKernels"/>).
/// </summary>
internal sealed class PngKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("DecodePng", n =>
        {
            int channels = ReadChannels(n);
            var dtype = n.GetType("dtype", DataType.DtUint8);
            if (dtype is not (DataType.DtUint8 or DataType.DtUint16))
                throw Common.KernelAttrs.Err(n, $"`dtype` for `DecodePng` must be unit8, unit16 but got: {DataTypes.Name(dtype)}");
            return new DelegateKernel(n, ctx => ImageDecoding.Decode(ctx, channels, dtype, JpegCodec.DecodeSettings.Default));
        });
        registry.Add("EncodePng", n =>
        {
            int compression = (int)n.GetInt("compression", -1);
            if (compression < -1 || compression > 9) throw Common.KernelAttrs.Err(n, $"compression should be in [-1,9], got {compression}");
            return new DelegateKernel(n, ctx => Encode(ctx, compression));
        });
    }

    /// <summary>The <c>channels</c> attr of TF's image decoders: 0 (as stored), 1, 3 or 4.</summary>
    internal static int ReadChannels(Node n)
    {
        int channels = (int)n.GetInt("channels", 0);
        if (channels is not (0 or 1 or 3 or 4)) throw Common.KernelAttrs.Err(n, $"`channels` must be 0, 1, 3 or 4 but got {channels}");
        return channels;
    }

    private static void Encode(OpKernelContext ctx, int compression)
    {
        var image = ctx.Input(0);
        if (image.Shape.Rank != 3) throw ctx.Error($"image must be 3-dimensional{image.Shape}");
        if (image.DType is not (DataType.DtUint8 or DataType.DtUint16)) throw ctx.Error($"image must be uint8 or uint16, got {DataTypes.Name(image.DType)}");
        int h = image.Shape[0], w = image.Shape[1], channels = image.Shape[2];
        if (channels < 1 || channels > 4) throw ctx.Error($"image must have 1, 2, 3, or 4 channels, got {channels}");
        if (h == 0 || w == 0) throw ctx.Error("PNG encoding failed: the image has no pixels");
        if ((long)w * channels * (image.DType == DataType.DtUint16 ? 2 : 1) >= int.MaxValue || (long)h * w >= 1L << 29)
            throw ctx.Error($"image too large to encode: {image.Shape}");
        var samples = image.DType == DataType.DtUint16 ? image.AsSpan<ushort>().ToArray() : image.AsSpan<byte>().ToArray().Select(b => (ushort)b).ToArray();
        var png = PngCodec.Encode(samples, h, w, channels, image.DType == DataType.DtUint16, compression);
        ctx.SetOutput(0, new Tensor(TensorShape.Scalar, [png]));
    }
}
