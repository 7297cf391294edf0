namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// A GIF89a writer for the GIF tests, independent of the runtime's decoder: a dictionary-based LZW encoder (clear code
/// first, code width grown when the next free code no longer fits, a clear when the 4096-entry table is full, EOI
/// last), 255-byte data sub-blocks, optional Graphics Control Extension (disposal, transparent index), local colour
/// tables and interlaced row order (passes 0/8, 4/8, 2/4, 1/2). For truncation tests it records, per frame, how many
/// pixels the data sub-blocks up to each byte carry in full.
/// </summary>
internal sealed class TestGifWriter
{
    internal sealed record FrameSpec(int Left, int Top, int Width, int Height, byte[] Indices, byte[]? LocalPalette = null,
        int Transparent = -1, int Disposal = 0, bool Interlace = false, int MinCodeSize = 0, bool WithGce = true);

    private readonly MemoryStream _out = new();

    /// <summary>Per frame: the byte offset of the frame's first LZW data sub-block, and for each complete sub-block
    /// (its end offset, the number of pixels whose codes end inside the sub-blocks up to it).</summary>
    public List<(long DataStart, List<(long BlockEnd, int Pixels)> Blocks)> FrameData { get; } = [];

    public TestGifWriter(int screenWidth, int screenHeight, byte[]? globalPalette)
    {
        _out.Write("GIF89a"u8);
        Word(screenWidth);
        Word(screenHeight);
        int flags = 0x70; // colour resolution 8
        if (globalPalette != null) flags |= 0x80 | (TableBits(globalPalette) - 1);
        _out.WriteByte((byte)flags);
        _out.WriteByte(0); // background index (TF ignores it)
        _out.WriteByte(0);
        if (globalPalette != null) Palette(globalPalette);
    }

    private static int TableBits(byte[] palette)
    {
        int entries = palette.Length / 3, bits = 1;
        while ((1 << bits) < entries) bits++;
        if ((1 << bits) * 3 != palette.Length) throw new ArgumentException("palette must have 2^n entries");
        return bits;
    }

    private void Word(int v) { _out.WriteByte((byte)v); _out.WriteByte((byte)(v >> 8)); }

    private void Palette(byte[] p) => _out.Write(p);

    /// <summary>Writes raw bytes (an unknown extension, a bad record…).</summary>
    public TestGifWriter Raw(params byte[] bytes) { _out.Write(bytes); return this; }

    public TestGifWriter Frame(FrameSpec f)
    {
        if (f.WithGce)
        {
            _out.Write([0x21, 0xF9, 4]);
            _out.WriteByte((byte)((f.Disposal << 2) | (f.Transparent >= 0 ? 1 : 0)));
            Word(10);
            _out.WriteByte((byte)Math.Max(f.Transparent, 0));
            _out.WriteByte(0);
        }
        _out.WriteByte(0x2C);
        Word(f.Left); Word(f.Top); Word(f.Width); Word(f.Height);
        int flags = f.Interlace ? 0x40 : 0;
        if (f.LocalPalette != null) flags |= 0x80 | (TableBits(f.LocalPalette) - 1);
        _out.WriteByte((byte)flags);
        if (f.LocalPalette != null) Palette(f.LocalPalette);
        int minCode = f.MinCodeSize > 0 ? f.MinCodeSize : Math.Max(2, f.LocalPalette != null ? TableBits(f.LocalPalette) : 8);
        _out.WriteByte((byte)minCode);
        // Pixels in stream order: rows in interlace pass order when interlaced.
        var rows = new List<int>();
        if (f.Interlace)
        {
            foreach (var (start, step) in new[] { (0, 8), (4, 8), (2, 4), (1, 2) })
                for (int r = start; r < f.Height; r += step) rows.Add(r);
        }
        else rows.AddRange(Enumerable.Range(0, f.Height));
        var stream = rows.SelectMany(r => f.Indices.Skip(r * f.Width).Take(f.Width)).ToArray();
        var (data, codeEnds) = Lzw(stream, minCode);
        long dataStart = _out.Position;
        var blocks = new List<(long, int)>();
        for (int at = 0; at < data.Length; at += 255)
        {
            int n = Math.Min(255, data.Length - at);
            _out.WriteByte((byte)n);
            _out.Write(data, at, n);
            long bitsUpTo = (long)(at + n) * 8;
            blocks.Add((_out.Position, codeEnds.Where(c => c.EndBit <= bitsUpTo).Select(c => c.Pixels).DefaultIfEmpty(0).Max()));
        }
        _out.WriteByte(0);
        FrameData.Add((dataStart, blocks));
        return this;
    }

    public byte[] Finish(bool trailer = true)
    {
        if (trailer) _out.WriteByte(0x3B);
        return _out.ToArray();
    }

    /// <summary>GIF LZW: returns the packed bytes and, per emitted code, the bit where it ends and the pixels emitted
    /// through it.</summary>
    private static (byte[] Data, List<(long EndBit, int Pixels)> CodeEnds) Lzw(byte[] pixels, int minCode)
    {
        int clear = 1 << minCode, eoi = clear + 1;
        var bytes = new List<byte>();
        var ends = new List<(long, int)>();
        int acc = 0, accBits = 0;
        long bitPos = 0;
        int width = minCode + 1;
        void Emit(int code, int pixelsSoFar)
        {
            acc |= code << accBits;
            accBits += width;
            bitPos += width;
            while (accBits >= 8) { bytes.Add((byte)acc); acc >>= 8; accBits -= 8; }
            ends.Add((bitPos, pixelsSoFar));
        }
        var table = new Dictionary<(int, byte), int>();
        int next = eoi + 1;
        Emit(clear, 0);
        if (pixels.Length > 0)
        {
            int prefix = pixels[0];
            for (int i = 1; i < pixels.Length; i++)
            {
                byte k = pixels[i];
                if (table.TryGetValue((prefix, k), out int code)) { prefix = code; continue; }
                Emit(prefix, i);
                if (next < 4096)
                {
                    table[(prefix, k)] = next++;
                    // The decoder defines each entry one code later; the width grows once the next free code
                    // exceeds what the current width can name.
                    if (next > (1 << width) && width < 12) width++;
                }
                else
                {
                    Emit(clear, i);
                    table.Clear();
                    next = eoi + 1;
                    width = minCode + 1;
                }
                prefix = k;
            }
            Emit(prefix, pixels.Length);
            // The decoder counts that last code too, so EOI may need one bit more.
            if (next < 4096 && next + 1 > (1 << width) && width < 12) width++;
        }
        Emit(eoi, pixels.Length);
        if (accBits > 0) bytes.Add((byte)acc);
        return (bytes.ToArray(), ends);
    }
}
