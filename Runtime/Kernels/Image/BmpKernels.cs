using System.Buffers.Binary;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>DecodeBmp</c> and BMP bytes fed to <c>DecodeImage</c>, after current TF's <c>decode_image_op.cc</c>
/// (DecodeImageV2Op::DecodeBmpV2 / DecodeBMP). TF reads only four little-endian header fields — the pixel-data offset
/// (byte 10), width (18), height (22, negative = top-down rows) and bits per pixel (int16 at 28) — and the file's
/// channels are bpp / 8 ∈ {1, 3, 4}: rows padded to 4 bytes, stored bottom-up unless the height is negative, BGR(A)
/// swapped to RGB(A). The <c>channels</c> attr (0 = the file's) converts as DecodeBMP does: grey → 3/4 repeats the
/// sample, 3 → 4 adds alpha 255, 4 → 3 drops alpha. The file must be exactly offset + row_size·|height| bytes ("Input
/// size should match (header_size + row_size * abs_height) but they differ by N"). Older TF (decode_bmp_op.cc, TF 1.x
/// and 2.x before the DecodeImageV2Op rewrite — version not pinned down here) instead required channels == bpp/8 and
/// accepted longer files; graphs keep the same attrs. Compression, palettes and the info-header size are not looked
/// at (an 8-bit file yields its raw palette indices, as in TF). DecodeJpeg/DecodePng/DecodeGif refuse BMP bytes
/// ("Trying to decode BMP format using a wrong op…"), as TF.
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
        int fileChannels = bpp / 8;
        if (fileChannels is not (1 or 3 or 4)) throw ctx.Error($"Number of channels inherent in the image must be 1, 3 or 4, was {fileChannels}");
        int outChannels = channels != 0 ? channels : fileChannels;
        if (width <= 0) throw ctx.Error("Width must be positive");
        if (height == 0) throw ctx.Error("Height must be nonzero");
        if (headerSize < 0) throw ctx.Error("header size must be nonnegative");
        long absHeight = Math.Abs((long)height);
        if ((long)width * absHeight >= int.MaxValue / 8) throw ctx.Error("Total possible pixel bytes must be less than 2^30");
        long rowSize = ((long)fileChannels * width + 3) / 4 * 4; // rows are padded to 4 bytes
        long sizeDiff = bytes.Length - headerSize - rowSize * absHeight;
        if (sizeDiff != 0) throw ctx.Error($"Input size should match (header_size + row_size * abs_height) but they differ by {sizeDiff}");
        long expected = headerSize + (absHeight - 1) * rowSize + (long)(width - 1) * fileChannels + fileChannels;
        if (expected > bytes.Length) throw ctx.Error($"Incomplete bmp content, requires at least {expected} bytes, got {bytes.Length} bytes");
        bool topDown = height < 0;
        int h = (int)absHeight;
        var pixels = new byte[(long)h * width * outChannels];
        for (int i = 0; i < h; i++)
        {
            long row = headerSize + (topDown ? i : h - 1 - i) * rowSize;
            for (int j = 0; j < width; j++)
            {
                long src = row + (long)j * fileChannels;
                long dst = ((long)i * width + j) * outChannels;
                if (fileChannels == 1)
                {
                    pixels[dst] = bytes[src];
                    if (outChannels >= 3) pixels[dst + 1] = pixels[dst + 2] = bytes[src];
                }
                else
                {
                    pixels[dst] = bytes[src + 2]; // BGR(A) -> RGB(A)
                    pixels[dst + 1] = bytes[src + 1];
                    pixels[dst + 2] = bytes[src];
                }
                if (outChannels == 4) pixels[dst + 3] = fileChannels == 4 ? bytes[src + 3] : byte.MaxValue;
            }
        }
        ImageDecoding.SetOutput(ctx, pixels, new TensorShape(h, width, outChannels), dtype);
    }
}
