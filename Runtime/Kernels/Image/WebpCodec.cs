using System.Buffers.Binary;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// WebP for TF's <c>DecodeWebP</c> / <c>DecodeImage</c> (tensorflow/core/lib/webp/webp_io.cc). The header is read by our
/// own port of libwebp's <c>WebPGetFeatures</c> (src/dec/webp_dec.c ParseHeadersInternal: RIFF, VP8X flags, optional
/// chunks with ALPH, the VP8 key-frame / VP8L signature headers), because TF's channel rules hang on it (has_alpha → 4
/// channels, else 3). Pixels come from SixLabors.ImageSharp 2.1.13's WebP decoder — fully managed, Apache-2.0, its
/// lossy (VP8) and lossless (VP8L) decoders ported from libwebp; a VP8/VP8L decoder of our own would be a few thousand
/// lines, and ImageSharp is pinned at 2.1.13 because 3.x carries a paid licence. Its output is compared with
/// libwebp's <c>dwebp</c> in WebpDecodeTests. Before decoding, the libwebp checks a full decode applies
/// (<c>have_all_data</c>: the RIFF and VP8/VP8L chunk sizes must fit the data) are made here, so a truncated file fails
/// as in TF instead of decoding whatever ImageSharp can read.
/// </summary>
internal static class WebpCodec
{
    /// <summary>libwebp's WebPBitstreamFeatures subset TF reads.</summary>
    public readonly record struct Features(int Width, int Height, bool HasAlpha, bool HasAnimation);

    private const uint MaxChunkPayload = ~0u - 8 - 1;

    /// <summary>True for TF's sniff: "RIFF", 4 size bytes, "WEBP", more than 12 bytes.</summary>
    public static bool IsWebp(ReadOnlySpan<byte> data) => data.Length > 12 && data.StartsWith("RIFF"u8) && data[8..].StartsWith("WEBP"u8);

    /// <summary>libwebp's WebPGetFeatures (have_all_data = false); false where it returns an error status.</summary>
    public static bool TryGetFeatures(ReadOnlySpan<byte> data, out Features features) => ParseHeaders(data, haveAllData: false, out features);

    /// <summary>
    /// ParseHeadersInternal of libwebp's webp_dec.c for RIFF input (TF only sends RIFF…WEBP here). With
    /// <paramref name="haveAllData"/> (a full decode) truncated RIFF or VP8/VP8L chunks fail; without it (GetFeatures)
    /// they pass, and a VP8X file whose data ends early still reports the VP8X canvas.
    /// </summary>
    private static bool ParseHeaders(ReadOnlySpan<byte> data, bool haveAllData, out Features features)
    {
        features = default;
        // ParseRIFF
        if (data.Length < 12 || !data.StartsWith("RIFF"u8) || !data[8..].StartsWith("WEBP"u8)) return false;
        uint riffSize = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
        if (riffSize < 12 || riffSize > MaxChunkPayload) return false;
        if (haveAllData && riffSize > (uint)data.Length - 8) return false; // truncated bitstream
        if (riffSize + 8 < (uint)data.Length) data = data[..(int)(riffSize + 8)];
        data = data[12..];

        // ParseVP8X
        bool foundVp8x = false, hasAlpha = false, animation = false, hasAlphaChunk = false;
        int width = 0, height = 0;
        if (data.Length < 8) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha, animation);
        if (data.StartsWith("VP8X"u8))
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(data[4..]) != 10) return false;
            if (data.Length < 18) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha, animation);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
            width = 1 + (data[12] | data[13] << 8 | data[14] << 16);
            height = 1 + (data[15] | data[16] << 8 | data[17] << 16);
            if ((ulong)width * (ulong)height >= 1UL << 32) return false;
            foundVp8x = true;
            hasAlpha = (flags & 0x10) != 0;   // ALPHA_FLAG
            animation = (flags & 0x02) != 0;  // ANIMATION_FLAG
            data = data[18..];
            if (animation)
            {
                features = new Features(width, height, hasAlpha, true);
                return true;
            }
        }
        if (data.Length < 4) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha, animation);

        // ParseOptionalChunks (only after VP8X): skip to VP8/VP8L, noting an ALPH chunk.
        if (foundVp8x)
        {
            ulong total = 12 + 18;
            while (true)
            {
                if (data.Length < 8) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha | hasAlphaChunk, animation);
                if (data.StartsWith("VP8 "u8) || data.StartsWith("VP8L"u8)) break;
                uint size = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
                if (size > MaxChunkPayload) return false;
                ulong disk = (8UL + size + 1) & ~1UL;
                total += disk;
                if (total > riffSize) return false;
                if (data.StartsWith("ALPH"u8)) hasAlphaChunk = true;
                if ((ulong)data.Length < disk) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha | hasAlphaChunk, animation);
                data = data[(int)disk..];
            }
        }

        // ParseVP8Header
        if (data.Length < 8) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha | hasAlphaChunk, animation);
        bool lossless;
        uint compressed;
        if (data.StartsWith("VP8 "u8) || data.StartsWith("VP8L"u8))
        {
            lossless = data[3] == (byte)'L';
            compressed = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            if (riffSize >= 12 && compressed > riffSize - 12) return false; // inconsistent size information
            if (haveAllData && compressed > (uint)data.Length - 8) return false;
            data = data[8..];
        }
        else
        {
            lossless = data.Length >= 5 && data[0] == 0x2F && data[4] >> 5 == 0;
            compressed = (uint)data.Length;
        }

        int imageWidth, imageHeight;
        if (!lossless)
        {
            // VP8GetInfo: a visible key frame of a known profile with the start code, partition 0 inside the chunk.
            if (data.Length < 10) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha | hasAlphaChunk, animation);
            if (data[3] != 0x9D || data[4] != 0x01 || data[5] != 0x2A) return false;
            uint bits = (uint)(data[0] | data[1] << 8 | data[2] << 16);
            imageWidth = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]) & 0x3FFF;
            imageHeight = BinaryPrimitives.ReadUInt16LittleEndian(data[8..]) & 0x3FFF;
            if ((bits & 1) != 0 || ((bits >> 1) & 7) > 3 || ((bits >> 4) & 1) == 0 || (bits >> 5) >= compressed) return false;
            if (imageWidth == 0 || imageHeight == 0) return false;
        }
        else
        {
            // VP8LGetInfo: signature 0x2F, 14-bit width−1 and height−1, the alpha hint bit, version 0.
            if (data.Length < 5) return NotEnoughData(foundVp8x, haveAllData, ref features, width, height, hasAlpha | hasAlphaChunk, animation);
            if (data[0] != 0x2F || data[4] >> 5 != 0) return false;
            uint v = BinaryPrimitives.ReadUInt32LittleEndian(data[1..]);
            imageWidth = (int)(v & 0x3FFF) + 1;
            imageHeight = (int)((v >> 14) & 0x3FFF) + 1;
            hasAlpha = ((v >> 28) & 1) != 0; // VP8LGetInfo overwrites has_alpha
        }
        if (foundVp8x && (width != imageWidth || height != imageHeight)) return false;
        features = new Features(imageWidth, imageHeight, hasAlpha | hasAlphaChunk, false);
        return true;
    }

    // ReturnWidthHeight with VP8_STATUS_NOT_ENOUGH_DATA: GetFeatures still succeeds after a VP8X chunk (the canvas it
    // declared); everything else fails.
    private static bool NotEnoughData(bool foundVp8x, bool haveAllData, ref Features features, int width, int height, bool hasAlpha, bool animation)
    {
        if (!foundVp8x || haveAllData) return false;
        features = new Features(width, height, hasAlpha, animation);
        return true;
    }

    /// <summary>
    /// webp_io.cc DecodeWebPImage: WebPDecodeRGBInto / WebPDecodeRGBAInto of a still image into [height, width,
    /// channels] bytes (channels 3 or 4, matching <see cref="Features.HasAlpha"/> as TF requires).
    /// </summary>
    /// <exception cref="InvalidDataException">The data does not decode (truncated, corrupt, or sized differently from
    /// its header).</exception>
    public static byte[] DecodeStill(byte[] data, Features features, int channels)
    {
        if (!ParseHeaders(data, haveAllData: true, out var full) || full.HasAnimation)
            throw new InvalidDataException("the RIFF/VP8X/VP8/VP8L headers do not describe complete still-image data");
        try
        {
            using var image = SixLabors.ImageSharp.Image.Load<Rgba32>(data, new WebpDecoder());
            if (image.Width != features.Width || image.Height != features.Height)
                throw new InvalidDataException($"decoded {image.Width}x{image.Height}, header says {features.Width}x{features.Height}");
            var rgba = new Rgba32[image.Width * image.Height];
            image.CopyPixelDataTo(rgba);
            var output = new byte[rgba.Length * channels];
            for (int i = 0; i < rgba.Length; i++)
            {
                output[i * channels] = rgba[i].R;
                output[i * channels + 1] = rgba[i].G;
                output[i * channels + 2] = rgba[i].B;
                if (channels == 4) output[i * channels + 3] = rgba[i].A;
            }
            return output;
        }
        catch (Exception e) when (e is ImageFormatException or InvalidImageContentException or UnknownImageFormatException
                                    or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            throw new InvalidDataException($"{e.GetType().Name}: {e.Message}");
        }
    }
}
