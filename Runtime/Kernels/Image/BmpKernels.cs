using System.Buffers.Binary;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DecodeBmp</c> and BMP bytes fed to <c>DecodeImage</c>, after TF's <c>decode_image_op.cc</c> (DecodeImageV2Op::
/// DecodeBmpV2 / DecodeBMP). TF reads only four little-endian header fields — the pixel-data offset (byte 10), width
/// (18), height (22, negative = top-down rows) and bits per pixel (int16 at 28) — and takes channels = bpp / 8 ∈
/// {1, 3, 4}: rows padded to 4 bytes, stored bottom-up unless the height is negative, BGR(A) swapped to RGB(A).
/// Compression, palettes and the info-header size are not looked at (so an 8-bit file yields its raw palette
/// indices, as in TF). The checks and their messages are TF's: channels attr must equal bpp/8 and may not be 1,
/// width &gt; 0, height ≠ 0, offset ≥ 0, fewer than 2^31/8 pixels, and the file must reach the last pixel.
/// DecodeJpeg/DecodePng/DecodeGif refuse BMP bytes ("Trying to decode BMP format using a wrong op…"), as TF.
/// </summary>
internal sealed class BmpKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("DecodeBmp", n =>
    {
        int channels = PngKernels.ReadChannels(n);
        return new DelegateKernel(n, ctx => ImageDecoding.Decode(ctx, channels, DataType.DtUint8, JpegCodec.DecodeSettings.Default));
    });

    /// <summary>True for TF's BMP magic "BM".</summary>
    public static bool IsBmp(ReadOnlySpan<byte> data) => data.Length >= 2 && data[0] == 0x42 && data[1] == 0x4D;

    /// <summary>Decodes BMP <paramref name="bytes"/> into output 0 as <paramref name="dtype"/> (uint8, uint16 = v·256,
    /// float = v·(1/255) as TF's DecodeBmpV2).</summary>
    public static void Decode(OpKernelContext ctx, byte[] bytes, int channels, DataType dtype)
    {
        if (channels == 1) throw ctx.Error($"`channels` must be 0, 3 or 4 for BMP, but got {channels}");
        string op = ctx.Node.Op;
        if (op == "DecodeAndCropJpeg") throw ctx.Error("DecodeAndCropJpeg operation can run on JPEG only, but detected BMP.");
        if (op is not ("DecodeBmp" or "DecodeImage"))
            throw ctx.Error($"Trying to decode BMP format using a wrong op. Use `decode_bmp` or `decode_image` instead. Op used: {op}");
        if (bytes.Length < 32)
            throw ctx.Error($"Incomplete bmp content, requires at least 32 bytes to find the header size, width, height, and bpp, got {bytes.Length} bytes");
        int headerSize = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(10));
        int width = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(18));
        int height = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(22));
        int bpp = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(28));
        if (channels != 0 && channels != bpp / 8) throw ctx.Error($"channels attribute {channels} does not match bits per pixel from file {bpp / 8}");
        channels = bpp / 8;
        if (channels is not (1 or 3 or 4)) throw ctx.Error($"Number of channels must be 1, 3 or 4, was {channels}");
        if (width <= 0) throw ctx.Error("Width must be positive");
        if (height == 0) throw ctx.Error("Height must be nonzero");
        if (headerSize < 0) throw ctx.Error("header size must be nonnegative");
        long absHeight = Math.Abs((long)height);
        if ((long)width * absHeight >= int.MaxValue / 8) throw ctx.Error("Total possible pixel bytes must be less than 2^30");
        long rowSize = ((long)channels * width + 3) / 4 * 4; // rows are padded to 4 bytes
        long expected = headerSize + (absHeight - 1) * rowSize + (long)(width - 1) * channels + channels;
        if (expected > bytes.Length) throw ctx.Error($"Incomplete bmp content, requires at least {expected} bytes, got {bytes.Length} bytes");
        bool topDown = height < 0;
        int h = (int)absHeight;
        var pixels = new byte[(long)h * width * channels];
        for (int i = 0; i < h; i++)
        {
            long row = headerSize + (topDown ? i : h - 1 - i) * rowSize;
            for (int j = 0; j < width; j++)
            {
                long src = row + (long)j * channels;
                long dst = ((long)i * width + j) * channels;
                if (channels == 1) { pixels[dst] = bytes[src]; continue; }
                pixels[dst] = bytes[src + 2]; // BGR(A) -> RGB(A)
                pixels[dst + 1] = bytes[src + 1];
                pixels[dst + 2] = bytes[src];
                if (channels == 4) pixels[dst + 3] = bytes[src + 3];
            }
        }
        ImageDecoding.SetOutput(ctx, pixels, new TensorShape(h, width, channels), dtype);
    }
}
