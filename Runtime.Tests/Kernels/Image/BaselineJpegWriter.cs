namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// A small, independent baseline JPEG writer for tests: any sampling factors (LibJpeg.NET's encoder, being libjpeg-9
/// based, refuses non-square ones such as 4:2:2), 1–4 components stored exactly as given (no colour conversion, so a
/// test can write YCbCr, CMYK or YCCK planes directly), an optional JFIF APP0 and Adobe APP14 marker, a textbook
/// double-precision forward DCT, and flat Huffman tables (every DC category a 4-bit code, every AC symbol an 8-bit
/// code — valid, just not compact).
/// </summary>
internal static class BaselineJpegWriter
{
    /// <summary>Writes a baseline JPEG of <paramref name="planes"/> (full-resolution [h·w] samples per component,
    /// box-averaged down to each component's sampling). <paramref name="quantStep"/> scales the quantizer (1 = every
    /// step 1, i.e. near-lossless). <paramref name="adobeTransform"/> null = no APP14.</summary>
    public static byte[] Write(int w, int h, byte[][] planes, (int H, int V)[] sampling, int quantStep = 3, bool jfif = true, int? adobeTransform = null)
    {
        int n = planes.Length, maxH = sampling.Max(s => s.H), maxV = sampling.Max(s => s.V);
        int mcusX = (w + 8 * maxH - 1) / (8 * maxH), mcusY = (h + 8 * maxV - 1) / (8 * maxV);
        // Quantizers: luma-like for component 0, coarser for the rest; step 1 everywhere when quantStep is 1.
        var quant = new int[2][];
        for (int t = 0; t < 2; t++)
        {
            quant[t] = new int[64];
            for (int v = 0; v < 8; v++)
                for (int u = 0; u < 8; u++) quant[t][v * 8 + u] = quantStep == 1 ? 1 : quantStep + (u + v) * (t == 0 ? 2 : 3);
        }
        var zigzag = ZigZag();
        var o = new MemoryStream();
        void Marker(int m, byte[] body)
        {
            o.WriteByte(0xFF); o.WriteByte((byte)m);
            o.WriteByte((byte)((body.Length + 2) >> 8)); o.WriteByte((byte)(body.Length + 2));
            o.Write(body);
        }
        o.WriteByte(0xFF); o.WriteByte(0xD8);
        if (jfif) Marker(0xE0, [(byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
        if (adobeTransform is { } tr) Marker(0xEE, [(byte)'A', (byte)'d', (byte)'o', (byte)'b', (byte)'e', 0, 100, 0, 0, 0, 0, (byte)tr]);
        var dqt = new List<byte>();
        for (int t = 0; t < 2; t++) { dqt.Add((byte)t); for (int k = 0; k < 64; k++) dqt.Add((byte)quant[t][zigzag[k]]); }
        Marker(0xDB, [.. dqt]);
        var sof = new List<byte> { 8, (byte)(h >> 8), (byte)h, (byte)(w >> 8), (byte)w, (byte)n };
        for (int c = 0; c < n; c++) sof.AddRange([(byte)(c + 1), (byte)((sampling[c].H << 4) | sampling[c].V), (byte)(c == 0 ? 0 : 1)]);
        Marker(0xC0, [.. sof]);
        // Flat tables: DC categories 0..11 at length 4; the 162 AC symbols (EOB, ZRL, run/size 0..15 × 1..10) at length 8.
        var acSymbols = new List<byte> { 0x00, 0xF0 };
        for (int run = 0; run < 16; run++) for (int size = 1; size <= 10; size++) acSymbols.Add((byte)((run << 4) | size));
        var dht = new List<byte>();
        for (int t = 0; t < 2; t++)
        {
            dht.Add((byte)t);
            for (int len = 1; len <= 16; len++) dht.Add((byte)(len == 4 ? 12 : 0));
            for (int s = 0; s < 12; s++) dht.Add((byte)s);
            dht.Add((byte)(0x10 | t));
            for (int len = 1; len <= 16; len++) dht.Add((byte)(len == 8 ? acSymbols.Count : 0));
            dht.AddRange(acSymbols);
        }
        Marker(0xC4, [.. dht]);
        var sos = new List<byte> { (byte)n };
        for (int c = 0; c < n; c++) sos.AddRange([(byte)(c + 1), (byte)(c == 0 ? 0x00 : 0x11)]);
        sos.AddRange([0, 63, 0]);
        Marker(0xDA, [.. sos]);

        var acCode = new int[256];
        for (int i = 0; i < acSymbols.Count; i++) acCode[acSymbols[i]] = i;
        var bits = new BitWriter(o);
        // Each component's samples at its own resolution (box average of the full-resolution plane).
        var comp = new byte[n][];
        var cw = new int[n];
        var ch = new int[n];
        for (int c = 0; c < n; c++)
        {
            int fx = maxH / sampling[c].H, fy = maxV / sampling[c].V;
            cw[c] = (w * sampling[c].H + maxH - 1) / maxH; ch[c] = (h * sampling[c].V + maxV - 1) / maxV;
            comp[c] = new byte[cw[c] * ch[c]];
            for (int y = 0; y < ch[c]; y++)
                for (int x = 0; x < cw[c]; x++)
                {
                    int sum = 0;
                    for (int dy = 0; dy < fy; dy++) for (int dx = 0; dx < fx; dx++) sum += planes[c][Math.Min(h - 1, y * fy + dy) * w + Math.Min(w - 1, x * fx + dx)];
                    comp[c][y * cw[c] + x] = (byte)((sum + fx * fy / 2) / (fx * fy));
                }
        }
        var pred = new int[n];
        var block = new double[64];
        for (int my = 0; my < mcusY; my++)
            for (int mx = 0; mx < mcusX; mx++)
                for (int c = 0; c < n; c++)
                    for (int v = 0; v < sampling[c].V; v++)
                        for (int hh = 0; hh < sampling[c].H; hh++)
                        {
                            int bx = (mx * sampling[c].H + hh) * 8, by = (my * sampling[c].V + v) * 8;
                            for (int y = 0; y < 8; y++)
                                for (int x = 0; x < 8; x++)
                                    block[y * 8 + x] = comp[c][Math.Min(ch[c] - 1, by + y) * cw[c] + Math.Min(cw[c] - 1, bx + x)] - 128.0;
                            var q = Fdct(block, quant[c == 0 ? 0 : 1]);
                            int diff = q[0] - pred[c];
                            pred[c] = q[0];
                            int cat = Category(diff);
                            bits.Put(cat, 4);
                            if (cat > 0) bits.Put(diff < 0 ? diff + (1 << cat) - 1 : diff, cat);
                            int run = 0;
                            for (int k = 1; k < 64; k++)
                            {
                                int a = q[zigzag[k]];
                                if (a == 0) { run++; continue; }
                                while (run > 15) { bits.Put(acCode[0xF0], 8); run -= 16; }
                                int size = Category(a);
                                bits.Put(acCode[(run << 4) | size], 8);
                                bits.Put(a < 0 ? a + (1 << size) - 1 : a, size);
                                run = 0;
                            }
                            if (run > 0) bits.Put(acCode[0x00], 8);
                        }
        bits.Flush();
        o.WriteByte(0xFF); o.WriteByte(0xD9);
        return o.ToArray();
    }

    private static int Category(int v)
    {
        v = Math.Abs(v);
        int c = 0;
        while (v > 0) { c++; v >>= 1; }
        return c;
    }

    /// <summary>zigzag[k] = natural (row·8 + column) index of the k-th coefficient in JPEG's zigzag order.</summary>
    private static int[] ZigZag()
    {
        var z = new int[64];
        int k = 0;
        for (int s = 0; s < 15; s++)
            for (int i = 0; i < 8; i++)
            {
                int row = s % 2 == 0 ? s - i : i, col = s - row;
                if (row < 0 || row > 7 || col < 0 || col > 7) continue;
                z[k++] = row * 8 + col;
            }
        return z;
    }

    private static int[] Fdct(double[] f, int[] quant)
    {
        var r = new int[64];
        for (int v = 0; v < 8; v++)
            for (int u = 0; u < 8; u++)
            {
                double sum = 0;
                for (int y = 0; y < 8; y++)
                    for (int x = 0; x < 8; x++)
                        sum += f[y * 8 + x] * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
                double cu = u == 0 ? Math.Sqrt(0.5) : 1, cv = v == 0 ? Math.Sqrt(0.5) : 1;
                r[v * 8 + u] = (int)Math.Round(0.25 * cu * cv * sum / quant[v * 8 + u], MidpointRounding.AwayFromZero);
            }
        return r;
    }

    private sealed class BitWriter(Stream o)
    {
        private int _acc, _count;

        public void Put(int value, int length)
        {
            for (int i = length - 1; i >= 0; i--)
            {
                _acc = (_acc << 1) | ((value >> i) & 1);
                if (++_count == 8) Emit();
            }
        }

        private void Emit()
        {
            o.WriteByte((byte)_acc);
            if (_acc == 0xFF) o.WriteByte(0); // byte stuffing
            _acc = 0; _count = 0;
        }

        public void Flush()
        {
            while (_count != 0) Put(1, 1); // pad with 1-bits
        }
    }
}
