using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// Select (TF1 <c>tf.where</c>: condition of t's shape, a vector over t's first dim, or a scalar) and
/// SelectV2 (all three inputs broadcast). Works for every dtype by moving elements, not interpreting them.
/// </summary>
internal sealed class SelectKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Select", n => new SelectKernel(n, v2: false));
        registry.Add("SelectV2", n => new SelectKernel(n, v2: true));
    }
}

/// <summary>One Select / SelectV2 node.</summary>
internal sealed class SelectKernel(Node node, bool v2) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var c = context.Input(0);
        var t = context.Input(1);
        var e = context.Input(2);
        if (c.DType != DataType.DtBool) throw Error($"condition must be bool, got {DataTypes.Name(c.DType)}.");
        if (t.DType != e.DType) throw Error($"then/else dtypes differ: {DataTypes.Name(t.DType)} vs. {DataTypes.Name(e.DType)}.");
        TensorShape shape;
        TensorShape condAs = c.Shape;
        if (v2)
        {
            if (!Broadcast.TryShape(t.Shape, e.Shape, out var te) || !Broadcast.TryShape(c.Shape, te, out shape))
                throw Error($"condition {c.Shape}, then {t.Shape} and else {e.Shape} do not broadcast together.");
        }
        else
        {
            if (t.Shape != e.Shape) throw Error($"'then' and 'else' must have the same shape: {t.Shape} vs. {e.Shape}.");
            shape = t.Shape;
            if (c.Shape.Rank == 1 && t.Shape.Rank > 1)
            {
                // A vector picks whole rows: view it as [n, 1, 1, …] so it broadcasts over the rest.
                if (c.Shape[0] != t.Shape[0]) throw Error($"condition vector of size {c.Shape[0]} must match the first dim of 'then' {t.Shape}.");
                var dims = new int[t.Shape.Rank];
                Array.Fill(dims, 1);
                dims[0] = c.Shape[0];
                condAs = new TensorShape(dims);
            }
            else if (c.Shape.Rank != 0 && c.Shape != t.Shape)
                throw Error($"condition {c.Shape} must be a scalar, a vector over the first dim, or the shape of 'then' {t.Shape}.");
        }
        var output = context.AllocateOutput(0, t.DType, shape);
        if (output.NumElements == 0) return;
        var plan = BroadcastPlan.Create(shape, condAs, t.Shape, e.Shape);
        if (t.DType == DataType.DtString)
        {
            var dst = output.Strings;
            Walk(plan, c.AsSpan<bool>(), (o, pick, ti, ei) => dst[o] = pick ? t.Strings[ti] : e.Strings[ei]);
            return;
        }
        switch (DataTypes.ElementSize(t.DType))
        {
            case 1: Typed<byte>(plan, c, t, e, output); break;
            case 2: Typed<short>(plan, c, t, e, output); break;
            case 4: Typed<int>(plan, c, t, e, output); break;
            case 8: Typed<long>(plan, c, t, e, output); break;
            case 16: Typed<Int128>(plan, c, t, e, output); break;
            default: throw KernelAttrs.BadType(Node, t.DType);
        }
    }

    private static void Typed<T>(BroadcastPlan plan, Tensor c, Tensor t, Tensor e, Tensor output) where T : unmanaged
    {
        var ts = t.AsSpan<byte>();
        var es = e.AsSpan<byte>();
        var os = output.AsSpan<byte>();
        var tv = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(ts);
        var ev = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(es);
        var ov = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(os);
        var cs = c.AsSpan<bool>();
        int len = plan.InnerLength;
        bool cr = plan.InnerContiguous(0), tr = plan.InnerContiguous(1), er = plan.InnerContiguous(2);
        Span<long> offs = stackalloc long[3];
        for (long r = 0; r < plan.Rows; r++)
        {
            plan.RowOffsets(r, offs);
            int o = (int)(r * len), co = (int)offs[0], to = (int)offs[1], eo = (int)offs[2];
            var orow = ov.Slice(o, len);
            if (!cr)
            {
                // One condition for the whole row (TF1's row-picking vector — dynamic_rnn's sequence_length copy-through
                // selects state rows this way every step — or a scalar): the row is a copy of one side.
                bool pick = cs[co];
                int from = pick ? to : eo;
                if (pick ? tr : er) (pick ? tv : ev).Slice(from, len).CopyTo(orow);
                else orow.Fill((pick ? tv : ev)[from]);
            }
            else if (tr && er)
            {
                var crow = cs.Slice(co, len);
                var trow = tv.Slice(to, len);
                var erow = ev.Slice(eo, len);
                for (int i = 0; i < orow.Length; i++) orow[i] = crow[i] ? trow[i] : erow[i];
            }
            else
            {
                for (int i = 0; i < len; i++)
                    orow[i] = cs[co + i] ? tv[to + (tr ? i : 0)] : ev[eo + (er ? i : 0)];
            }
        }
    }

    private delegate void Pick(int output, bool cond, int thenIndex, int elseIndex);

    private static void Walk(BroadcastPlan plan, ReadOnlySpan<bool> cs, Pick pick)
    {
        int len = plan.InnerLength;
        bool cr = plan.InnerContiguous(0), tr = plan.InnerContiguous(1), er = plan.InnerContiguous(2);
        Span<long> offs = stackalloc long[3];
        for (long r = 0; r < plan.Rows; r++)
        {
            plan.RowOffsets(r, offs);
            for (int i = 0; i < len; i++)
                pick((int)(r * len) + i, cs[(int)offs[0] + (cr ? i : 0)], (int)offs[1] + (tr ? i : 0), (int)offs[2] + (er ? i : 0));
        }
    }
}
