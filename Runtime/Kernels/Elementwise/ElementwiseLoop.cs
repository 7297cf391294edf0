using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>A row of a broadcast binary op: each operand is a row (flag true) or one value at index 0.</summary>
internal delegate void RowFunc<TIn, TOut>(ReadOnlySpan<TIn> a, bool aRow, ReadOnlySpan<TIn> b, bool bRow, Span<TOut> d);

/// <summary>Drives a broadcast binary op row by row (shared by comparisons and logical ops).</summary>
internal static class ElementwiseLoop
{
    /// <summary>Calls <paramref name="row"/> for every output row of <c>broadcast(a, b)</c>.</summary>
    public static void Binary<TIn, TOut>(Tensor a, Tensor b, Tensor output, RowFunc<TIn, TOut> row)
        where TIn : unmanaged where TOut : unmanaged
    {
        long n = output.NumElements;
        if (n == 0) return;
        if (a.NumElements == n && b.NumElements == n || a.NumElements == 1 || b.NumElements == 1)
        {
            bool aRow = a.NumElements == n, bRow = b.NumElements == n;
            // State tuple + static lambda: no closure per call (these ops run once per iteration in loops).
            Workers.For(n, 1 << 16, (a, b, output, aRow, bRow, row), static (st, s, e) =>
            {
                var sa = st.a.AsSpan<TIn>();
                var sb = st.b.AsSpan<TIn>();
                st.row(st.aRow ? sa[(int)s..(int)e] : sa, st.aRow, st.bRow ? sb[(int)s..(int)e] : sb, st.bRow, st.output.AsSpan<TOut>()[(int)s..(int)e]);
            });
            return;
        }
        var plan = BroadcastPlan.Create(output.Shape, a.Shape, b.Shape);
        int len = plan.InnerLength;
        bool ar = plan.InnerContiguous(0), br = plan.InnerContiguous(1);
        Span<long> offs = stackalloc long[2];
        var xa = a.AsSpan<TIn>();
        var xb = b.AsSpan<TIn>();
        var d = output.AsSpan<TOut>();
        for (long r = 0; r < plan.Rows; r++)
        {
            plan.RowOffsets(r, offs);
            row(xa.Slice((int)offs[0], ar ? len : 1), ar, xb.Slice((int)offs[1], br ? len : 1), br, d.Slice((int)(r * len), len));
        }
    }
}
