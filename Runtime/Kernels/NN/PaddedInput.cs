using System.Buffers;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// A zero-bordered copy of an NHWC conv input, so that every window of the direct and implicit-GEMM convolutions
/// is interior: no bounds checks and no separate border path in their inner loops. The copy holds exactly the
/// extent the windows touch ((OH−1)·SH + (KH−1)·DH + 1 rows, likewise columns), which is at most
/// (KH·KW)⁻¹ of an im2col matrix's size and usually far less.
/// </summary>
internal static class PaddedInput
{
    /// <summary>
    /// Returns a pooled zero-bordered copy of <paramref name="input"/> and rewrites <paramref name="g"/> to describe it
    /// (padding 0), or null (and <paramref name="g"/> unchanged) when the windows never leave the input. Return the
    /// array to <see cref="ArrayPool{T}.Shared"/>. <paramref name="minH"/>/<paramref name="minW"/> extend the copy
    /// (with zeros) for kernels that read whole tiles past the last window (Winograd's 6×6 patches).
    /// </summary>
    public static unsafe float[]? Rent(ref Window2D g, ReadOnlySpan<float> input, int minH = 0, int minW = 0)
    {
        int needH = Math.Max(minH, (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1);
        int needW = Math.Max(minW, (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1);
        if (g.PadTop == 0 && g.PadLeft == 0 && needH <= g.H && needW <= g.W) return null;
        long size = (long)g.N * needH * needW * g.C;
        var rented = ArrayPool<float>.Shared.Rent(checked((int)size));
        fixed (float* src = input, dst = rented)
        {
            var copy = new RowCopy(g, needH, needW, (nint)src, (nint)dst);
            Workers.For((long)g.N * needH, Math.Max(1, (1 << 15) / Math.Max(1, needW * g.C)), copy, static (j, s, e) => j.Run(s, e));
        }
        g = g with { H = needH, W = needW, PadTop = 0, PadLeft = 0 };
        return rented;
    }

    // Rows [start, end) of the copy: row y of image b holds input row y − PadTop shifted right by PadLeft.
    private readonly record struct RowCopy(Window2D G, int Hp, int Wp, nint Src, nint Dst)
    {
        public unsafe void Run(long start, long end)
        {
            var g = G;
            int c = g.C;
            long rowLen = (long)Wp * c;
            for (long r = start; r < end; r++)
            {
                int b = (int)(r / Hp), y = (int)(r % Hp), ih = y - g.PadTop;
                var dst = new Span<float>((float*)Dst + r * rowLen, (int)rowLen);
                if ((uint)ih >= (uint)g.H) { dst.Clear(); continue; }
                int left = Math.Min(g.PadLeft, Wp), count = Math.Max(0, Math.Min(g.W, Wp - g.PadLeft));
                dst[..(left * c)].Clear();
                new ReadOnlySpan<float>((float*)Src + ((long)b * g.H + ih) * g.W * c, count * c).CopyTo(dst[(left * c)..]);
                dst[((left + count) * c)..].Clear();
            }
        }
    }
}
