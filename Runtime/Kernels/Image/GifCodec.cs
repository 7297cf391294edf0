namespace TypedGraph.Kernels.Image;

/// <summary>
/// GIF reading exactly as TF reads it: TF's <c>tensorflow/core/lib/gif/gif_io.cc</c> (<c>gif::Decode</c>) calls giflib's
/// <c>DGifOpen</c> + <c>DGifSlurp</c> (giflib 5.2, <c>dgif_lib.c</c>) and then composites the frames itself. This file
/// re-implements the giflib part on a byte array — record parsing, the LZW decoder of <c>DGifDecompressLine</c> /
/// <c>DGifDecompressInput</c> / <c>DGifBufferedInput</c> (its defect checks included), the interlaced row order of
/// <c>DGifSlurp</c> (offsets 0,4,2,1, steps 8,8,4,2), extension blocks attached to a frame only after its pixels were
/// read, the Graphics Control Block lookup of <c>DGifSavedExtensionToGCB</c> — and <see cref="Composite"/> does
/// gif_io.cc's compositing. giflib's error texts (<c>GifErrorString</c>) are kept, so TF's messages come out the same.
/// <para>
/// TF's compositing (gif_io.cc, read with the search tool): the canvas is the largest frame width × the largest frame
/// height (not the logical screen size); every frame after the first starts as a copy of the previous output frame, the
/// first as zeros; a frame's pixels are clipped to the canvas; a pixel equal to the frame's GCB transparent index keeps
/// the canvas value; a colour index ≥ the colour map's size is an error; the local colour map is used, else the global
/// one, else "missing color map for frame k". TF never reads the GCB disposal method, so disposal is ignored (a frame
/// after a "restore to background" frame still starts from that frame's pixels), and so is the background colour.
/// </para>
/// <para>
/// Truncated or corrupt data: when <c>DGifSlurp</c> fails, TF still decodes if at least one frame exists and the last
/// frame's pixel buffer was allocated (the failure came during or after that frame's pixel data), logging the error.
/// The pixels giflib never wrote are uninitialized heap memory in TF; here they are colour index 0 (the value of a
/// freshly zeroed buffer) — the only place our output is not defined by TF's.
/// </para>
/// </summary>
internal static class GifCodec
{
    private const int LzMaxCode = 4095, LzBits = 12, NoSuchCode = 4098;

    /// <summary>One image record as DGifSlurp leaves it in <c>SavedImages</c>.</summary>
    internal sealed class Frame
    {
        public int Left, Top, Width, Height;
        public bool Interlace;
        /// <summary>The local colour map as RGB triplets, or null.</summary>
        public byte[]? ColorMap;
        /// <summary>Colour indices, row-major Width × Height; null when giflib never allocated them.</summary>
        public byte[]? Raster;
        /// <summary>The GCB transparent index attached to this frame, or −1 (giflib's NO_TRANSPARENT_COLOR).</summary>
        public int TransparentIndex = -1;
    }

    /// <summary>What TF has after DGifSlurp: the global colour map, the frames, and the slurp error when it failed but
    /// TF carries on (it only logs it).</summary>
    internal sealed class GifFile
    {
        public byte[]? GlobalColorMap;
        public List<Frame> Frames { get; } = [];
        public string? LoggedError;
    }

    /// <summary>A giflib failure carrying <c>GifErrorString</c>'s text (TF prints "Unknown error" for a code without one).</summary>
    private sealed class GiflibError(string? message) : Exception(message ?? "Unknown error");

    // giflib's gif_err.c GifErrorString texts for the decoder codes.
    private const string ReadFailed = "Failed to read from given file", NotGif = "Data is not in GIF format",
        NoScreenDesc = "No screen descriptor detected", NoImageDesc = "No Image Descriptor detected",
        WrongRecord = "Wrong record type detected", ImageDefect = "Image is defective, decoding aborted",
        EofTooSoon = "Image EOF detected before image complete";

    /// <summary>
    /// DGifOpen + DGifSlurp. Throws <see cref="InvalidDataException"/> with TF's <c>error_string</c> ("failed to open gif
    /// file: …", "failed to slurp gif file: …") when TF gives up: the open failed, or the slurp failed with no frame or
    /// with the last frame's pixels not allocated.
    /// </summary>
    public static GifFile Read(byte[] data)
    {
        var reader = new Reader(data);
        var file = new GifFile();
        try { Open(reader, file); }
        catch (GiflibError e) { throw new InvalidDataException("failed to open gif file: " + e.Message); }
        try { Slurp(reader, file); }
        catch (GiflibError e)
        {
            string message = "failed to slurp gif file: " + e.Message;
            if (file.Frames.Count == 0 || file.Frames[^1].Raster == null) throw new InvalidDataException(message);
            file.LoggedError = message;
        }
        return file;
    }

    /// <summary>
    /// gif_io.cc's compositing of the first <paramref name="frameCount"/> frames into [frameCount, height, width, 3]
    /// RGB bytes on the canvas <paramref name="width"/> × <paramref name="height"/> (<see cref="CanvasSize"/>).
    /// </summary>
    /// <exception cref="InvalidDataException">TF's "missing color map for frame k" / "found color index i outside of
    /// color map range n".</exception>
    public static byte[] Composite(GifFile file, int frameCount, int width, int height)
    {
        long frameBytes = (long)width * height * 3;
        var output = new byte[frameBytes * frameCount];
        for (int k = 0; k < frameCount; k++)
        {
            var frame = file.Frames[k];
            long dst = frameBytes * k;
            if (k > 0) Array.Copy(output, dst - frameBytes, output, dst, frameBytes);
            var map = frame.ColorMap ?? file.GlobalColorMap ?? throw new InvalidDataException($"missing color map for frame {k}");
            int colors = map.Length / 3;
            int top = Math.Max(frame.Top, 0), left = Math.Max(frame.Left, 0);
            int bottom = Math.Min(frame.Top + frame.Height, height), right = Math.Min(frame.Left + frame.Width, width);
            var raster = frame.Raster!;
            for (int i = top; i < bottom; i++)
            {
                for (int j = left; j < right; j++)
                {
                    int index = raster[(i - frame.Top) * frame.Width + (j - frame.Left)];
                    long at = dst + ((long)i * width + j) * 3;
                    // The transparent test comes before the range test, as in gif_io.cc; frame 0 leaves zeros.
                    if (index == frame.TransparentIndex) continue;
                    if (index >= colors) throw new InvalidDataException($"found color index {index} outside of color map range {colors}");
                    output[at] = map[index * 3];
                    output[at + 1] = map[index * 3 + 1];
                    output[at + 2] = map[index * 3 + 2];
                }
            }
        }
        return output;
    }

    /// <summary>TF's canvas: the largest frame width and the largest frame height over all frames.</summary>
    public static (int Width, int Height) CanvasSize(GifFile file)
    {
        int width = 0, height = 0;
        foreach (var f in file.Frames) { width = Math.Max(width, f.Width); height = Math.Max(height, f.Height); }
        return (width, height);
    }

    // TF's input callback hands giflib min(size, bytes left); giflib treats any short read as D_GIF_ERR_READ_FAILED.
    private sealed class Reader(byte[] data)
    {
        private int _pos;

        public bool TryRead(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, data.Length - _pos);
            data.AsSpan(_pos, n).CopyTo(buffer);
            _pos += n;
            return n == buffer.Length;
        }

        public int Word()
        {
            Span<byte> b = stackalloc byte[2];
            if (!TryRead(b)) throw new GiflibError(ReadFailed);
            return b[0] | b[1] << 8;
        }

        public int Byte(string? error = ReadFailed)
        {
            Span<byte> b = stackalloc byte[1];
            if (!TryRead(b)) throw new GiflibError(error);
            return b[0];
        }

        public byte[] ColorMap(int bitsPerPixel)
        {
            var map = new byte[3 << bitsPerPixel];
            if (!TryRead(map)) throw new GiflibError(ReadFailed);
            return map;
        }
    }

    // DGifOpen: the 6-byte stamp ("GIF" checked), then DGifGetScreenDesc, whose every failure DGifOpen reports as
    // D_GIF_ERR_NO_SCRN_DSCR.
    private static void Open(Reader reader, GifFile file)
    {
        Span<byte> stamp = stackalloc byte[6];
        if (!reader.TryRead(stamp)) throw new GiflibError(ReadFailed);
        if (!stamp[..3].SequenceEqual("GIF"u8)) throw new GiflibError(NotGif);
        try
        {
            reader.Word(); // SWidth: TF's canvas comes from the frames, not from the logical screen
            reader.Word(); // SHeight
            Span<byte> b = stackalloc byte[3];
            if (!reader.TryRead(b)) throw new GiflibError(ReadFailed);
            if ((b[0] & 0x80) != 0) file.GlobalColorMap = reader.ColorMap((b[0] & 7) + 1);
        }
        catch (GiflibError) { throw new GiflibError(NoScreenDesc); }
    }

    private sealed record Extension(int Function, byte[] Bytes);

    // DGifSlurp's record loop.
    private static void Slurp(Reader reader, GifFile file)
    {
        var pending = new List<Extension>();
        while (true)
        {
            int record = reader.Byte();
            if (record == 0x3B) break; // TERMINATOR_INTRODUCER
            if (record == 0x21) // EXTENSION_INTRODUCER: DGifGetExtension, then DGifGetExtensionNext until an empty block
            {
                int function = reader.Byte();
                var block = SubBlock(reader);
                if (block != null) pending.Add(new Extension(function, block));
                while (true)
                {
                    block = SubBlock(reader);
                    if (block == null) break;
                    pending.Add(new Extension(0x00, block)); // CONTINUE_EXT_FUNC_CODE
                }
                continue;
            }
            if (record != 0x2C) throw new GiflibError(WrongRecord);
            var frame = ReadImageDescriptor(reader, file, out int codeSize);
            // DGifSlurp: a frame without pixels fails (no giflib error code is set: TF prints "Unknown error").
            if (frame.Width <= 0 || frame.Height <= 0) throw new GiflibError(null);
            // reallocarray of Width × Height bytes; past what a .NET array holds we fail as giflib does when it cannot allocate.
            if ((long)frame.Width * frame.Height > Array.MaxLength) throw new GiflibError("Failed to allocate required memory");
            frame.Raster = new byte[frame.Width * frame.Height];
            DecodePixels(reader, frame, codeSize);
            // Extension blocks read since the last frame belong to this one only now that its pixels are complete.
            frame.TransparentIndex = TransparentIndex(pending);
            pending.Clear();
        }
        if (file.Frames.Count == 0) throw new GiflibError(NoImageDesc);
    }

    // DGifGetExtensionNext: a length byte and that many bytes; null for the zero-length terminator.
    private static byte[]? SubBlock(Reader reader)
    {
        int length = reader.Byte();
        if (length == 0) return null;
        var bytes = new byte[length];
        if (!reader.TryRead(bytes)) throw new GiflibError(ReadFailed);
        return bytes;
    }

    // DGifSavedExtensionToGCB + DGifExtensionToGCB: the first Graphics Control extension (0xF9) decides; one whose
    // block is not 4 bytes long leaves "no transparent colour".
    private static int TransparentIndex(List<Extension> blocks)
    {
        foreach (var e in blocks)
        {
            if (e.Function != 0xF9) continue;
            if (e.Bytes.Length != 4) return -1;
            return (e.Bytes[0] & 0x01) != 0 ? e.Bytes[3] : -1;
        }
        return -1;
    }

    // DGifGetImageDesc: the frame is counted (added) before DGifSetupDecompress reads the LZW code size.
    private static Frame ReadImageDescriptor(Reader reader, GifFile file, out int codeSize)
    {
        var frame = new Frame { Left = reader.Word(), Top = reader.Word(), Width = reader.Word(), Height = reader.Word() };
        int flags = reader.Byte();
        frame.Interlace = (flags & 0x40) != 0;
        if ((flags & 0x80) != 0) frame.ColorMap = reader.ColorMap((flags & 7) + 1);
        file.Frames.Add(frame);
        codeSize = reader.Byte(error: null); // DGifSetupDecompress sets no error code when this read fails
        if (codeSize > 8) throw new GiflibError(ReadFailed); // "somewhat bogus error code", as giflib says
        return frame;
    }

    /// <summary>The LZW state of giflib's GifFilePrivateType, decoding one frame's pixels in stream order.</summary>
    private sealed class LzwDecoder(Reader reader, int codeSize)
    {
        private readonly int[] _prefix = Enumerable.Repeat(NoSuchCode, LzMaxCode + 1).ToArray();
        private readonly byte[] _suffix = new byte[LzMaxCode + 1], _stack = new byte[LzMaxCode + 1];
        private readonly byte[] _block = new byte[256];
        private int _blockLeft, _blockNext, _stackPtr, _lastCode = NoSuchCode;
        private readonly int _clearCode = 1 << codeSize, _eofCode = (1 << codeSize) + 1;
        private int _runningCode = (1 << codeSize) + 2, _runningBits = codeSize + 1, _maxCode1 = 1 << (codeSize + 1);
        private ulong _shiftDWord;
        private int _shiftState;

        // DGifDecompressLine: fills line[0..] until full; throws with the pixels decoded so far left in place.
        public void Decompress(Span<byte> line)
        {
            int i = 0;
            while (_stackPtr != 0 && i < line.Length) line[i++] = _stack[--_stackPtr];
            while (i < line.Length)
            {
                int code = NextCode();
                if (code == _eofCode) throw new GiflibError(EofTooSoon);
                if (code == _clearCode)
                {
                    Array.Fill(_prefix, NoSuchCode);
                    _runningCode = _eofCode + 1;
                    _runningBits = codeSize + 1;
                    _maxCode1 = 1 << _runningBits;
                    _lastCode = NoSuchCode;
                    continue;
                }
                if (code < _clearCode) line[i++] = (byte)code;
                else
                {
                    int prefix;
                    if (_prefix[code] == NoSuchCode)
                    {
                        // Only the code being defined right now may be unknown (KwKwK): its first character is the
                        // previous string's first character.
                        prefix = _lastCode;
                        _suffix[_runningCode - 2] = _stack[_stackPtr++] = (byte)PrefixChar(code == _runningCode - 2 ? _lastCode : code);
                    }
                    else prefix = code;
                    while (_stackPtr < LzMaxCode && prefix > _clearCode && prefix <= LzMaxCode)
                    {
                        _stack[_stackPtr++] = _suffix[prefix];
                        prefix = _prefix[prefix];
                    }
                    if (_stackPtr >= LzMaxCode || prefix > LzMaxCode) throw new GiflibError(ImageDefect);
                    _stack[_stackPtr++] = (byte)prefix;
                    while (_stackPtr != 0 && i < line.Length) line[i++] = _stack[--_stackPtr];
                }
                if (_lastCode != NoSuchCode && _prefix[_runningCode - 2] == NoSuchCode)
                {
                    _prefix[_runningCode - 2] = _lastCode;
                    _suffix[_runningCode - 2] = (byte)PrefixChar(code == _runningCode - 2 ? _lastCode : code);
                }
                _lastCode = code;
            }
        }

        // DGifGetPrefixChar: follow prefixes down to a pixel value, at most LZ_MAX_CODE steps.
        private int PrefixChar(int code)
        {
            int steps = 0;
            while (code > _clearCode && steps++ <= LzMaxCode)
            {
                if (code > LzMaxCode) return NoSuchCode;
                code = _prefix[code];
            }
            return code;
        }

        // DGifDecompressInput: LSB-first codes of RunningBits bits; the width grows after the code that reaches
        // MaxCode1 and stays at 12 bits once there (no deferred clear needed).
        private int NextCode()
        {
            if (_runningBits > LzBits) throw new GiflibError(ImageDefect);
            while (_shiftState < _runningBits)
            {
                _shiftDWord |= (ulong)NextByte() << _shiftState;
                _shiftState += 8;
            }
            int code = (int)(_shiftDWord & ((1u << _runningBits) - 1));
            _shiftDWord >>= _runningBits;
            _shiftState -= _runningBits;
            if (_runningCode < LzMaxCode + 2 && ++_runningCode > _maxCode1 && _runningBits < LzBits)
            {
                _maxCode1 <<= 1;
                _runningBits++;
            }
            return code;
        }

        // DGifBufferedInput: one data sub-block at a time; an empty sub-block inside the LZW data is a defect.
        private byte NextByte()
        {
            if (_blockLeft == 0)
            {
                int length = reader.Byte();
                if (length == 0) throw new GiflibError(ImageDefect);
                if (!reader.TryRead(_block.AsSpan(0, length))) throw new GiflibError(ReadFailed);
                _blockLeft = length;
                _blockNext = 0;
            }
            _blockLeft--;
            return _block[_blockNext++];
        }

        // After the last pixel DGifGetLine skips the remaining data sub-blocks up to the empty one (DGifGetCodeNext).
        public void SkipToEnd()
        {
            while (true)
            {
                int length = reader.Byte();
                if (length == 0) return;
                if (!reader.TryRead(_block.AsSpan(0, length))) throw new GiflibError(ReadFailed);
            }
        }
    }

    // DGifSlurp's pixel reading: one DGifGetLine call for a progressive frame, one per row in the four interlace
    // passes otherwise; either way one continuous LZW stream, written row by row where the pass puts it.
    private static void DecodePixels(Reader reader, Frame frame, int codeSize)
    {
        var lzw = new LzwDecoder(reader, codeSize);
        var raster = frame.Raster!;
        int w = frame.Width, h = frame.Height;
        if (!frame.Interlace) lzw.Decompress(raster);
        else
        {
            ReadOnlySpan<int> offsets = [0, 4, 2, 1], steps = [8, 8, 4, 2];
            for (int pass = 0; pass < 4; pass++)
                for (int row = offsets[pass]; row < h; row += steps[pass])
                    lzw.Decompress(raster.AsSpan(row * w, w));
        }
        lzw.SkipToEnd();
    }
}
