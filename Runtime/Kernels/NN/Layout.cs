using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>NCHW ↔ NHWC copies, for kernels whose fast path is NHWC-only.</summary>
internal static class Layout
{
    /// <summary>Copies an [n, c, hw] NCHW tensor to [n, hw, c] NHWC.</summary>
    public static void NchwToNhwc<T>(ReadOnlySpan<T> src, Span<T> dst, int n, int c, int hw)
    {
        for (int b = 0; b < n; b++)
        {
            var s = src.Slice(b * c * hw, c * hw);
            var d = dst.Slice(b * c * hw, c * hw);
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < hw; i++) d[i * c + ch] = s[ch * hw + i];
        }
    }

    /// <summary>Copies an [n, hw, c] NHWC tensor to [n, c, hw] NCHW.</summary>
    public static void NhwcToNchw<T>(ReadOnlySpan<T> src, Span<T> dst, int n, int c, int hw)
    {
        for (int b = 0; b < n; b++)
        {
            var s = src.Slice(b * c * hw, c * hw);
            var d = dst.Slice(b * c * hw, c * hw);
            for (int i = 0; i < hw; i++)
                for (int ch = 0; ch < c; ch++) d[ch * hw + i] = s[i * c + ch];
        }
    }

    /// <summary>The NHWC shape of a 4-D tensor given in <paramref name="nchw"/> layout or already NHWC.</summary>
    public static (int N, int H, int W, int C) Dims(TensorShape s, bool nchw)
        => nchw ? (s[0], s[2], s[3], s[1]) : (s[0], s[1], s[2], s[3]);

    /// <summary>A shape in the node's layout from NHWC dims.</summary>
    public static TensorShape Shape(int n, int h, int w, int c, bool nchw) => nchw ? new TensorShape(n, c, h, w) : new TensorShape(n, h, w, c);
}

/// <summary>Resolved spatial geometry of a 2-D windowed op (conv or pool), NHWC.</summary>
internal readonly record struct Window2D(
    int N, int H, int W, int C, int KH, int KW, int SH, int SW, int DH, int DW,
    int OH, int OW, int PadTop, int PadLeft)
{
    /// <summary>Resolves output size and padding as TF does (see <see cref="Padding"/>).</summary>
    public static Window2D Create(int n, int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw,
        PaddingKind kind, (int Top, int Bottom, int Left, int Right) explicitPads)
    {
        int top = explicitPads.Top, bottom = explicitPads.Bottom, left = explicitPads.Left, right = explicitPads.Right;
        int oh = Padding.OutputSize(h, kh, dh, sh, kind, ref top, ref bottom);
        int ow = Padding.OutputSize(w, kw, dw, sw, kind, ref left, ref right);
        return new Window2D(n, h, w, c, kh, kw, sh, sw, dh, dw, oh, ow, top, left);
    }
}
