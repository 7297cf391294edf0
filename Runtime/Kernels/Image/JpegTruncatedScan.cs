namespace TypedGraph.Kernels.Image;

/// <summary>
/// What TF does with JPEG data that ends early. TF's memory source (<c>tensorflow/core/lib/jpeg/jpeg_handle.cc</c>
/// MemFillInputBuffer) is called by libjpeg-turbo only when its reader has used up its copy of the input; it answers
/// from the source's own fields, which the Huffman decoder updates only after each complete MCU
/// (<c>jdhuff.c</c> BITREAD_SAVE_STATE). So, inside an MCU, the source still holds the bytes left at the MCU's start:
/// <list type="bullet">
/// <item>without try_recover_truncated it returns FALSE — libjpeg suspends, backs up to the start of the MCU, and
/// <c>jpeg_read_scanlines</c> returns 0 lines (jpeg_mem.cc UncompressLow: "Premature end of JPEG data. Stopped at
/// line N/H", height_read = N; Uncompress keeps the image when N/H ≥ min(1, acceptable_fraction) and zeroes rows ≥ N);
/// if the source is really empty (0 bytes left at the MCU start) it raises JERR_FILE_READ and the decode fails;</item>
/// <item>with try_recover_truncated it returns TRUE without changing anything, so the decoder re-reads the bytes
/// from the MCU's start after the end of the data; only when an MCU starts with 0 bytes left does it insert a fake
/// EOI (then zero bits, and every later MCU stays zero: <c>insufficient_data</c>).</item>
/// </list>
/// To know where libjpeg-turbo 2.1 suspends, this class re-does its sequential Huffman decode with its exact byte
/// consumption (<c>jdhuff.c</c>: 64-bit bit buffer filled to MIN_GET_BITS = 57 in jpeg_fill_bit_buffer;
/// decode_mcu_fast, used while ≥ 512 bytes per block remain, reading 6 bytes whenever ≤ 16 bits are left) and turns
/// complete iMCU rows into output rows as <c>jdmainct.c</c> does (with context rows for fancy vertical upsampling the
/// last row group of each iMCU row waits for the next iMCU row). Restart intervals (DRI) follow <c>jdhuff.c</c>
/// process_restart and <c>jdmarker.c</c> read_restart_marker / jpeg_resync_to_restart, so re-read bytes or a fake EOI
/// where an RSTn should be resynchronise as libjpeg does. Where TF's decode would never return (the only bytes left to
/// re-read are 0xFF padding) we fail with a clear error. Only baseline/extended Huffman files with one
/// interleaved scan are modelled; others fail as TF does without recovery (progressive and multi-scan files are
/// consumed whole in jpeg_start_decompress, which suspends, and TF's next jpeg_read_scanlines raises JERR_BAD_STATE)
/// and with a clear "not supported" error with recovery.
/// </summary>
internal static class JpegTruncatedScan
{
    /// <summary>How the scan ended.</summary>
    public enum Outcome
    {
        /// <summary>Every MCU was decoded (perhaps from re-read or zero bits) and the trailing markers ended.</summary>
        Complete,

        /// <summary>libjpeg suspended (no recovery): only <see cref="Result.CompleteImcuRows"/> iMCU rows exist.</summary>
        Suspended,
    }

    /// <summary>A component of the frame (SOF) and its Huffman tables for the scan.</summary>
    public sealed record Component(int Id, int H, int V, int QuantTable);

    /// <summary>The decoded coefficients: Blocks[component][blockRow][blockCol][64] in natural order (the
    /// component's real blocks only, like <c>jpeg_read_coefficients</c>), zero where nothing was decoded.</summary>
    public sealed record Result(Outcome Outcome, int CompleteImcuRows, int TotalImcuRows, short[][][][] Blocks);

    private sealed class HuffTable
    {
        public readonly int[] Lookup = new int[256];
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValOffset = new int[18];
        public readonly byte[] Values = new byte[256];

        // jdhuff.c jpeg_make_d_derived_tbl: canonical codes, maxcode/valoffset per length, 8-bit lookahead table
        // ((length << 8) | symbol, or 9 << 8 for "longer than 8 bits").
        public HuffTable(byte[] bits, byte[] values)
        {
            Array.Copy(values, Values, values.Length);
            var size = new int[257];
            var code = new int[257];
            int p = 0;
            for (int l = 1; l <= 16; l++)
                for (int i = 0; i < bits[l]; i++)
                {
                    if (p >= 256) throw new InvalidDataException("Bogus Huffman table definition");
                    size[p++] = l;
                }
            int numSymbols = p, c = 0, si = numSymbols == 0 ? 0 : size[0];
            p = 0;
            while (p < numSymbols)
            {
                while (p < numSymbols && size[p] == si) code[p++] = c++;
                if (c >= 1 << si) throw new InvalidDataException("Bogus Huffman table definition");
                c <<= 1;
                si++;
            }
            p = 0;
            for (int l = 1; l <= 16; l++)
            {
                if (bits[l] != 0)
                {
                    ValOffset[l] = p - code[p];
                    p += bits[l];
                    MaxCode[l] = code[p - 1];
                }
                else MaxCode[l] = -1;
            }
            ValOffset[17] = 0;
            MaxCode[17] = 0xFFFFF;
            Array.Fill(Lookup, 9 << 8);
            p = 0;
            for (int l = 1; l <= 8; l++)
                for (int i = 1; i <= bits[l]; i++, p++)
                {
                    int look = code[p] << (8 - l);
                    for (int n = 1 << (8 - l); n > 0; n--) Lookup[look++] = (l << 8) | values[p];
                }
        }
    }

    /// <summary>The frame and first scan as libjpeg sees them after jpeg_read_header.</summary>
    private sealed record Header(int Width, int Height, Component[] Components, bool SequentialHuffman, int RestartInterval,
        int[] ScanComponents, HuffTable[] DcTables, HuffTable[] AcTables, int EntropyStart);

    /// <summary>
    /// Decodes the truncated <paramref name="data"/> as libjpeg-turbo under TF's memory source. Throws
    /// <see cref="InvalidDataException"/> where TF's decode fails (JERR_FILE_READ and the like) and
    /// an <see cref="InvalidDataException"/> starting "not supported:" for layouts this model does not cover.
    /// </summary>
    public static Result Decode(byte[] data, bool tryRecover, out Component[] components, out int width, out int height)
    {
        var header = ReadHeader(data, tryRecover);
        components = header.Components;
        width = header.Width;
        height = header.Height;
        return new ScanDecoder(data, header, tryRecover).Run();
    }

    private static Header ReadHeader(byte[] d, bool tryRecover)
    {
        // Truncated headers: without recovery libjpeg's marker reader suspends or raises JERR_FILE_READ, and either way
        // TF's decode fails (jpeg_read_header's suspension is ignored and the next call raises JERR_BAD_STATE).
        string headerCut = tryRecover
            ? "the data ends inside the JPEG headers; TF's try_recover_truncated re-reads header bytes there, which is not modelled"
            : "Premature end of JPEG file inside the headers (libjpeg: Improper call to JPEG library in state 201)";
        var dcBits = new (byte[] Bits, byte[] Vals)?[4];
        var acBits = new (byte[] Bits, byte[] Vals)?[4];
        Component[]? comps = null;
        int width = 0, height = 0, restart = 0;
        bool sequentialHuffman = false;
        int pos = 2;
        while (true)
        {
            while (pos < d.Length && d[pos] != 0xFF) pos++;
            while (pos < d.Length && d[pos] == 0xFF) pos++;
            if (pos >= d.Length) throw new InvalidDataException(headerCut);
            int marker = d[pos++];
            if (marker is 0xD8 or 0x01 || marker is >= 0xD0 and <= 0xD7) continue;
            if (marker == 0xD9) throw new InvalidDataException("JPEG datastream contains no image");
            if (pos + 2 > d.Length) throw new InvalidDataException(headerCut);
            int len = (d[pos] << 8) | d[pos + 1];
            if (len < 2) throw new InvalidDataException("Bogus marker length");
            if (pos + len > d.Length) throw new InvalidDataException(headerCut);
            int p = pos + 2, end = pos + len;
            switch (marker)
            {
                case >= 0xC0 and <= 0xCF when marker is not (0xC4 or 0xC8 or 0xCC):
                    sequentialHuffman = marker is 0xC0 or 0xC1;
                    height = (d[p + 1] << 8) | d[p + 2];
                    width = (d[p + 3] << 8) | d[p + 4];
                    int n = d[p + 5];
                    comps = new Component[n];
                    for (int i = 0; i < n; i++)
                    {
                        int q = p + 6 + 3 * i;
                        comps[i] = new Component(d[q], d[q + 1] >> 4, d[q + 1] & 15, d[q + 2]);
                    }
                    break;
                case 0xC4:
                    while (p < end)
                    {
                        int tc = d[p] >> 4, th = d[p] & 15;
                        var bits = new byte[17];
                        int count = 0;
                        for (int i = 1; i <= 16; i++) { bits[i] = d[p + i]; count += bits[i]; }
                        var vals = d.AsSpan(p + 17, count).ToArray();
                        if (th > 3) throw new InvalidDataException("Bogus DHT index");
                        if (tc == 0) dcBits[th] = (bits, vals); else acBits[th] = (bits, vals);
                        p += 17 + count;
                    }
                    break;
                case 0xDD:
                    restart = (d[p] << 8) | d[p + 1];
                    break;
                case 0xDA:
                    if (comps == null) throw new InvalidDataException("Improper call to JPEG library: SOS before SOF");
                    int ns = d[p];
                    var scan = new int[ns];
                    var dc = new HuffTable[ns];
                    var ac = new HuffTable[ns];
                    for (int i = 0; i < ns; i++)
                    {
                        int id = d[p + 1 + 2 * i], t = d[p + 2 + 2 * i];
                        scan[i] = Array.FindIndex(comps, c => c.Id == id);
                        if (scan[i] < 0) throw new InvalidDataException($"Invalid component ID {id} in SOS");
                        if (!sequentialHuffman) continue;
                        var dcT = dcBits[t >> 4] ?? throw new InvalidDataException("not supported: a truncated JPEG without its DC Huffman table (libjpeg's default tables) is not modelled");
                        var acT = acBits[t & 15] ?? throw new InvalidDataException("not supported: a truncated JPEG without its AC Huffman table (libjpeg's default tables) is not modelled");
                        dc[i] = new HuffTable(dcT.Bits, dcT.Vals);
                        ac[i] = new HuffTable(acT.Bits, acT.Vals);
                    }
                    return new Header(width, height, comps, sequentialHuffman, restart, scan, dc, ac, end);
            }
            pos = end;
        }
    }

    /// <summary>libjpeg-turbo's Huffman decoder over TF's memory source, MCU by MCU.</summary>
    private sealed class ScanDecoder
    {
        private static readonly byte[] s_eoi = [0xFF, 0xD9];

        private readonly byte[] _data;
        private readonly Header _h;
        private readonly bool _recover;

        // TF's MemSourceMgr (pub.next_input_byte / bytes_in_buffer): a position in the data or in the fake-EOI buffer.
        private bool _srcInEoi;
        private int _srcNext, _srcCount;

        // The entropy decoder's permanent state (entropy->bitstate, saved.last_dc_val, unread_marker, insufficient_data).
        private ulong _permBuffer;
        private int _permBits;
        private readonly int[] _lastDc;
        private int _unreadMarker;
        private bool _insufficient;

        // Restart state: entropy->restarts_to_go (jdhuff.c) and marker->next_restart_num (jdmarker.c), both reset at SOS.
        private int _restartsToGo;
        private int _nextRestartNum;

        public ScanDecoder(byte[] data, Header header, bool recover)
        {
            _data = data;
            _h = header;
            _recover = recover;
            _lastDc = new int[header.ScanComponents.Length];
            _srcNext = header.EntropyStart;
            _srcCount = data.Length - header.EntropyStart;
            _restartsToGo = header.RestartInterval;
        }

        private byte ByteAt(bool inEoi, int i) => inEoi ? s_eoi[i] : _data[i];

        // jpeg_handle.cc MemFillInputBuffer (the first branch — an empty file — cannot happen after the headers).
        private bool FillInputBuffer()
        {
            if (_srcCount > 0) return _recover;
            if (_recover && !(_srcInEoi && _srcNext == 0))
            {
                _srcInEoi = true;
                _srcNext = 0;
                _srcCount = 2;
                return true;
            }
            throw new InvalidDataException("Input file read error (libjpeg JERR_FILE_READ: the data ended and the source had no bytes left)");
        }

        // TF's source answers a fill with bytes left by handing back the same bytes (try_recover_truncated), so when all
        // the bytes libjpeg can re-read are 0xFF, its loops that swallow FF padding (jdhuff.c jpeg_fill_bit_buffer,
        // jdmarker.c next_marker) read them forever: TF's decode never returns. We fail instead.
        private static InvalidDataException NeverEnds() => new(
            "the truncated JPEG ends in 0xFF bytes that libjpeg-turbo re-reads forever under TF's memory source with try_recover_truncated (TF's decode does not terminate)");

        public Result Run()
        {
            var h = _h;
            if (!h.SequentialHuffman || h.ScanComponents.Length != h.Components.Length)
            {
                if (!_recover)
                    throw new InvalidDataException("Premature end of JPEG file in a multi-scan (progressive or non-interleaved) JPEG: jpeg_start_decompress suspends and the next call raises JERR_BAD_STATE");
                throw new InvalidDataException("not supported: try_recover_truncated on a truncated progressive or multi-scan JPEG is not modelled");
            }
            var comps = h.Components;
            int maxH = comps.Max(c => c.H), maxV = comps.Max(c => c.V);
            bool single = comps.Length == 1;
            // jdinput.c initial_setup / per_scan_setup: blocks per component, MCUs per row and rows.
            var blockRows = new int[comps.Length];
            var blockCols = new int[comps.Length];
            var blocks = new short[comps.Length][][][];
            for (int ci = 0; ci < comps.Length; ci++)
            {
                int cw = (int)(((long)h.Width * comps[ci].H + maxH - 1) / maxH), chh = (int)(((long)h.Height * comps[ci].V + maxV - 1) / maxV);
                blockCols[ci] = (cw + 7) / 8;
                blockRows[ci] = (chh + 7) / 8;
                blocks[ci] = new short[blockRows[ci]][][];
                for (int r = 0; r < blockRows[ci]; r++)
                {
                    blocks[ci][r] = new short[blockCols[ci]][];
                    for (int b = 0; b < blockCols[ci]; b++) blocks[ci][r][b] = new short[64];
                }
            }
            int totalImcuRows = (h.Height + 8 * maxV - 1) / (8 * maxV);
            int mcusPerRow, mcuRows;
            var membership = new List<(int Comp, int Dy, int Dx)>();
            if (single)
            {
                mcusPerRow = blockCols[0];
                mcuRows = blockRows[0];
                membership.Add((0, 0, 0));
            }
            else
            {
                mcusPerRow = (h.Width + 8 * maxH - 1) / (8 * maxH);
                mcuRows = totalImcuRows;
                for (int si = 0; si < h.ScanComponents.Length; si++)
                {
                    var c = comps[h.ScanComponents[si]];
                    for (int y = 0; y < c.V; y++)
                        for (int x = 0; x < c.H; x++) membership.Add((si, y, x));
                }
            }
            var mcu = new short[membership.Count][];
            for (int i = 0; i < mcu.Length; i++) mcu[i] = new short[64];
            for (int row = 0; row < mcuRows; row++)
            {
                for (int col = 0; col < mcusPerRow; col++)
                {
                    foreach (var b in mcu) Array.Clear(b);
                    if (!DecodeMcu(mcu, membership))
                    {
                        // Suspended: complete iMCU rows are the complete MCU rows (a single-component scan has
                        // v_samp_factor block rows per iMCU row).
                        int complete = single ? row / comps[0].V : row;
                        return new Result(Outcome.Suspended, complete, totalImcuRows, blocks);
                    }
                    for (int i = 0; i < membership.Count; i++)
                    {
                        var (si, dy, dx) = membership[i];
                        int ci = h.ScanComponents[si];
                        int br = single ? row : row * comps[ci].V + dy, bc = single ? col : col * comps[ci].H + dx;
                        // Dummy blocks of edge MCUs (beyond the component's blocks) are decoded and dropped.
                        if (br < blockRows[ci] && bc < blockCols[ci]) Array.Copy(mcu[i], blocks[ci][br][bc], 64);
                    }
                }
            }
            FinishMarkers();
            return new Result(Outcome.Complete, totalImcuRows, totalImcuRows, blocks);
        }

        // jdmarker.c read_markers after the scan (jpeg_finish_decompress reads to EOI): next_marker skips bytes up to
        // FF xx; parameterless markers (RSTn, TEM) are passed over, APPn/COM/DNL skipped by their length, and a second
        // SOI, any SOF or an unknown code raise an error (JERR_SOI_DUPLICATE, JERR_SOF_DUPLICATE/UNSUPPORTED,
        // JERR_UNKNOWN_MARKER). A suspension ends the decode: TF ignores jpeg_finish_decompress's FALSE.
        private void FinishMarkers()
        {
            while (true)
            {
                if (_unreadMarker == 0 && !NextMarker()) return;
                int m = _unreadMarker;
                switch (m)
                {
                    case 0xD9:
                        return;
                    case >= 0xD0 and <= 0xD7 or 0x01:
                        break;
                    case (>= 0xE0 and <= 0xEF) or 0xFE or 0xDC:
                        if (!SkipSegment(m is 0xE0 or 0xEE ? 14 : 0)) return;
                        break;
                    case 0xC4 or 0xCC or 0xDA or 0xDB or 0xDD:
                        throw new InvalidDataException($"not supported: a truncated JPEG whose decoded data is followed by table or scan marker 0x{m:X2}");
                    default:
                        throw new InvalidDataException($"Corrupt JPEG data: marker 0x{m:X2} after the scan (libjpeg: duplicate SOI/SOF or unknown marker)");
                }
                _unreadMarker = 0;
            }
        }

        // A reader over the source with jdmarker.c's INPUT_BYTE (local copies, reloaded from the source after a fill)
        // and INPUT_SYNC.
        private bool _rInEoi;
        private int _rNext, _rCount;

        private void Load() { _rInEoi = _srcInEoi; _rNext = _srcNext; _rCount = _srcCount; }

        private void Sync() { _srcInEoi = _rInEoi; _srcNext = _rNext; _srcCount = _rCount; }

        private bool Input(out int c)
        {
            if (_rCount == 0)
            {
                if (!FillInputBuffer()) { c = 0; return false; }
                Load();
            }
            _rCount--;
            c = ByteAt(_rInEoi, _rNext++);
            return true;
        }

        // jdmarker.c skip_variable (APPn, COM, DNL) and get_interesting_appn (APP0/APP14 first read up to 14 bytes):
        // the 2-byte length, then jpeg_handle.cc MemSkipInputData for the rest (past the end: the fill's fake EOI or
        // error). False = suspended.
        private bool SkipSegment(int examined)
        {
            Load();
            if (!Input(out int hi) || !Input(out int lo)) return false;
            int length = ((hi << 8) | lo) - 2;
            int read = examined == 0 ? 0 : Math.Clamp(length, 0, examined);
            for (int i = 0; i < read; i++) if (!Input(out _)) return false;
            length -= read;
            Sync();
            if (length <= 0) return true;
            if (length > _srcCount)
            {
                _srcCount = 0;
                FillInputBuffer();
            }
            else
            {
                _srcCount -= length;
                _srcNext += length;
            }
            return true;
        }

        // jdmarker.c next_marker: skip to FF, skip FF padding, FF 00 is not a marker; the source is synced after each
        // discarded byte and at the marker. False = suspended.
        private bool NextMarker()
        {
            Load();
            while (true)
            {
                if (!Input(out int c)) return false;
                while (c != 0xFF)
                {
                    Sync();
                    if (!Input(out c)) return false;
                }
                int run = 0;
                do
                {
                    if (!Input(out c)) return false;
                    if (++run > _data.Length + 4) throw NeverEnds();
                } while (c == 0xFF);
                if (c != 0)
                {
                    _unreadMarker = c;
                    Sync();
                    return true;
                }
                Sync();
            }
        }

        // jdhuff.c decode_mcu: with a restart interval, process_restart before the interval's first MCU and only the
        // slow path; otherwise the fast path while ≥ BUFSIZE (512) bytes per block remain in the source and no marker
        // is pending (it hands an MCU that meets a marker to the slow path). An MCU after the data ran out
        // (insufficient_data) stays zero; the interval's count goes down either way.
        private bool DecodeMcu(short[][] mcu, List<(int Comp, int Dy, int Dx)> membership)
        {
            int interval = _h.RestartInterval;
            if (interval != 0 && _restartsToGo == 0 && !ProcessRestart()) return false;
            if (!_insufficient)
            {
                bool fast = interval == 0 && !_srcInEoi && _srcCount >= 512 * mcu.Length && _unreadMarker == 0;
                if (!(fast && DecodeFast(mcu, membership)) && !DecodeSlow(mcu, membership)) return false;
            }
            if (interval != 0) _restartsToGo--;
            return true;
        }

        // jdhuff.c process_restart: drop the bit buffer, pass the RSTn marker (jdmarker.c read_restart_marker), zero
        // the DC predictions, restart the count, and clear insufficient_data unless a marker is still pending (then
        // the next interval is treated as empty). False = suspended (the dropped bits stay dropped, as in libjpeg).
        private bool ProcessRestart()
        {
            _permBits = 0;
            if (_unreadMarker == 0 && !NextMarker()) return false;
            if (_unreadMarker == 0xD0 + _nextRestartNum) _unreadMarker = 0;
            else if (!ResyncToRestart(_nextRestartNum)) return false;
            _nextRestartNum = (_nextRestartNum + 1) & 7;
            Array.Clear(_lastDc);
            _restartsToGo = _h.RestartInterval;
            if (_unreadMarker == 0) _insufficient = false;
            return true;
        }

        // jdmarker.c jpeg_resync_to_restart (TF's source uses libjpeg's): a marker below SOF0 or a restart one or two
        // behind the expected one is skipped (next_marker, then decide again); a non-restart marker or one of the next
        // two restarts is left pending (an empty interval); the expected restart or one too far away is discarded.
        private bool ResyncToRestart(int desired)
        {
            while (true)
            {
                int m = _unreadMarker;
                bool skip;
                if (m < 0xC0) skip = true;
                else if (m is < 0xD0 or > 0xD7) return true;
                else if (m == 0xD0 + ((desired + 1) & 7) || m == 0xD0 + ((desired + 2) & 7)) return true;
                else skip = m == 0xD0 + ((desired - 1) & 7) || m == 0xD0 + ((desired - 2) & 7);
                if (!skip)
                {
                    _unreadMarker = 0;
                    return true;
                }
                if (!NextMarker()) return false;
            }
        }

        private static int Extend(int r, int s) => r < 1 << (s - 1) ? r + (-1 << s) + 1 : r;

        // jutils.c jpeg_natural_order with its 16 extra entries for corrupt run lengths.
        private static int Natural(int k) => k < 64 ? s_natural[k] : 63;

        private static readonly int[] s_natural =
        [
            0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
            35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        ];

        private bool DecodeFast(short[][] mcu, List<(int Comp, int Dy, int Dx)> membership)
        {
            ulong buf = _permBuffer;
            int bits = _permBits;
            int p = _srcNext; // the fast path reads straight from the data buffer
            var dcState = (int[])_lastDc.Clone();
            void Fill()
            {
                if (bits > 16) return;
                for (int i = 0; i < 6; i++)
                {
                    int c0 = _data[p++], c1 = p < _data.Length ? _data[p] : 0;
                    buf = (buf << 8) | (uint)c0;
                    bits += 8;
                    if (c0 == 0xFF)
                    {
                        p++;
                        if (c1 != 0)
                        {
                            _unreadMarker = c1;
                            p -= 2;
                            buf &= ~0xFFUL;
                        }
                    }
                }
            }
            int GetBits(int n) => (int)(buf >> (bits -= n)) & ((1 << n) - 1);
            int Decode(HuffTable t)
            {
                Fill();
                int s = t.Lookup[(int)(buf >> (bits - 8)) & 0xFF];
                int nb = s >> 8;
                bits -= nb;
                s &= 0xFF;
                if (nb > 8)
                {
                    s = (int)(buf >> bits) & ((1 << nb) - 1);
                    while (s > t.MaxCode[nb]) { s = (s << 1) | GetBits(1); nb++; }
                    s = nb > 16 ? 0 : t.Values[(s + t.ValOffset[nb]) & 0xFF];
                }
                return s;
            }
            for (int blk = 0; blk < mcu.Length; blk++)
            {
                int si = membership[blk].Comp;
                var block = mcu[blk];
                int s = Decode(_h.DcTables[si]);
                if (s != 0) { Fill(); s = Extend(GetBits(s), s); }
                s = unchecked(s + dcState[si]);
                dcState[si] = s;
                block[0] = (short)s;
                var ac = _h.AcTables[si];
                for (int k = 1; k < 64; k++)
                {
                    s = Decode(ac);
                    int r = s >> 4;
                    s &= 15;
                    if (s != 0)
                    {
                        k += r;
                        Fill();
                        block[Natural(k)] = (short)Extend(GetBits(s), s);
                    }
                    else
                    {
                        if (r != 15) break;
                        k += 15;
                    }
                }
            }
            if (_unreadMarker != 0)
            {
                _unreadMarker = 0;
                return false;
            }
            _srcCount -= p - _srcNext;
            _srcNext = p;
            _permBuffer = buf;
            _permBits = bits;
            Array.Copy(dcState, _lastDc, dcState.Length);
            return true;
        }

        private sealed class Suspend : Exception;

        private bool DecodeSlow(short[][] mcu, List<(int Comp, int Dy, int Dx)> membership)
        {
            ulong buf = _permBuffer;
            int bits = _permBits;
            bool inEoi = _srcInEoi;
            int next = _srcNext, count = _srcCount;
            var dcState = (int[])_lastDc.Clone();
            // jdhuff.c jpeg_fill_bit_buffer: reads to 57 bits unless a marker is pending; on a marker (or one already
            // seen) it stuffs zero bits when nbits are wanted and not there. Suspension unwinds the whole MCU.
            void FillBits(int nbits)
            {
                if (_unreadMarker == 0)
                {
                    while (bits < 57)
                    {
                        if (count == 0)
                        {
                            if (!FillInputBuffer()) throw new Suspend();
                            inEoi = _srcInEoi; next = _srcNext; count = _srcCount;
                        }
                        count--;
                        int c = ByteAt(inEoi, next++);
                        if (c == 0xFF)
                        {
                            int run = 0;
                            do
                            {
                                if (++run > _data.Length + 4) throw NeverEnds();
                                if (count == 0)
                                {
                                    if (!FillInputBuffer()) throw new Suspend();
                                    inEoi = _srcInEoi; next = _srcNext; count = _srcCount;
                                }
                                count--;
                                c = ByteAt(inEoi, next++);
                            } while (c == 0xFF);
                            if (c == 0) c = 0xFF;
                            else
                            {
                                _unreadMarker = c;
                                goto noMoreBytes;
                            }
                        }
                        buf = (buf << 8) | (uint)c;
                        bits += 8;
                    }
                    return;
                }
            noMoreBytes:
                if (nbits > bits)
                {
                    _insufficient = true;
                    buf <<= 57 - bits;
                    bits = 57;
                }
            }
            int GetBits(int n) => (int)(buf >> (bits -= n)) & ((1 << n) - 1);
            void Check(int n) { if (bits < n) FillBits(n); }
            // jdhuff.h HUFF_DECODE + jdhuff.c jpeg_huff_decode.
            int Decode(HuffTable t)
            {
                int nb;
                if (bits < 8)
                {
                    FillBits(0);
                    if (bits < 8) { nb = 1; goto slow; }
                }
                int look = (int)(buf >> (bits - 8)) & 0xFF;
                nb = t.Lookup[look] >> 8;
                if (nb <= 8)
                {
                    bits -= nb;
                    return t.Lookup[look] & 0xFF;
                }
            slow:
                int l = nb;
                Check(l);
                int code = GetBits(l);
                while (code > t.MaxCode[l])
                {
                    code <<= 1;
                    Check(1);
                    code |= GetBits(1);
                    l++;
                }
                return l > 16 ? 0 : t.Values[(code + t.ValOffset[l]) & 0xFF];
            }
            bool insufficientBefore = _insufficient;
            int markerBefore = _unreadMarker;
            try
            {
                for (int blk = 0; blk < mcu.Length; blk++)
                {
                    int si = membership[blk].Comp;
                    var block = mcu[blk];
                    int s = Decode(_h.DcTables[si]);
                    if (s != 0) { Check(s); s = Extend(GetBits(s), s); }
                    s = unchecked(s + dcState[si]);
                    dcState[si] = s;
                    block[0] = (short)s;
                    var ac = _h.AcTables[si];
                    for (int k = 1; k < 64; k++)
                    {
                        s = Decode(ac);
                        int r = s >> 4;
                        s &= 15;
                        if (s != 0)
                        {
                            k += r;
                            Check(s);
                            block[Natural(k)] = (short)Extend(GetBits(s), s);
                        }
                        else
                        {
                            if (r != 15) break;
                            k += 15;
                        }
                    }
                }
            }
            catch (Suspend)
            {
                // Nothing permanent changed (a marker cannot be met in an MCU that then suspends).
                _insufficient = insufficientBefore;
                _unreadMarker = markerBefore;
                return false;
            }
            _srcInEoi = inEoi; _srcNext = next; _srcCount = count;
            _permBuffer = buf;
            _permBits = bits;
            Array.Copy(dcState, _lastDc, dcState.Length);
            return true;
        }
    }

    /// <summary>
    /// The scanlines jpeg_read_scanlines has delivered once <paramref name="completeImcuRows"/> iMCU rows are decoded
    /// (jdmainct.c): the simple main controller outputs each iMCU row whole (max_v_samp_factor · min_DCT_scaled_size
    /// rows); with context rows (process_data_context_main) the last row group (max_v_samp_factor rows) of each iMCU
    /// row is postponed until the next iMCU row is decoded.
    /// </summary>
    public static int ScanlinesAvailable(int completeImcuRows, int totalImcuRows, int maxV, int minScaled, bool contextRows, int outputHeight)
    {
        if (completeImcuRows >= totalImcuRows) return outputHeight;
        int rows = completeImcuRows * maxV * minScaled;
        if (contextRows && completeImcuRows > 0) rows -= maxV;
        return Math.Min(rows, outputHeight);
    }
}
