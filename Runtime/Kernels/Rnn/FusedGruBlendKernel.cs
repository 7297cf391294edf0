using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// <c>_FusedGruBlend</c>: <c>h = z ⊙ h_prev + (one − z) ⊙ tanh(c)</c>, the end of a GRU step that the plan builds from TF's
/// separate ops when the gates are not one elementwise group (TF 1.x's <c>GRUCell</c>; see <c>PlanFusion.FuseGruBlends</c>).
/// There is no TF op of this name. Inputs: c, z, h_prev, one.
/// </summary>
/// <remarks>
/// When c, z and h_prev have one shape and <c>one</c> is a single value the work runs in flat blocks across the cores;
/// otherwise op by op with the separate ops' broadcasting. Both give the separate ops' bits (single IEEE operations, no
/// fused multiply-add, Tanh through the same <see cref="TensorPrimitives"/> call on spans of at least one vector whenever
/// the whole tensor is) — checked by <c>GruCellFusionTests</c>.
/// </remarks>
internal sealed class FusedGruBlendKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("_FusedGruBlend", n => new FusedGruBlendKernel(n));
}

/// <summary>One <c>_FusedGruBlend</c> node (see <see cref="FusedGruBlendKernels"/>).</summary>
internal sealed class FusedGruBlendKernel : OpKernel
{
    private const int BlockFloats = 4096;
    private readonly string _nodes;

    [ThreadStatic] private static float[]? t_scratch;

    public FusedGruBlendKernel(Node node) : base(node)
    {
        if (node.GetType("T") != DataType.DtFloat) throw KernelAttrs.BadType(node, node.GetType("T"));
        _nodes = string.Join(", ", node.GetStrings("fused_nodes", []));
    }

    public override void Compute(OpKernelContext context)
    {
        Tensor c = context.Input(0), z = context.Input(1), hPrev = context.Input(2), one = context.Input(3);
        foreach (var t in new[] { c, z, hPrev, one })
            if (t.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, t.DType);
        try
        {
            if (c.Shape == z.Shape && c.Shape == hPrev.Shape && one.NumElements == 1 && one.Shape.Rank <= c.Shape.Rank) RunFlat(context, c, z, hPrev, one.AsSpan<float>()[0]);
            else RunGeneral(context, c, z, hPrev, one);
        }
        catch (ArgumentException e) { throw context.Error($"{e.Message} (fused from {_nodes})"); }
    }

    private static void RunFlat(OpKernelContext context, Tensor c, Tensor z, Tensor hPrev, float one)
    {
        var h = context.AllocateOutput(0, DataType.DtFloat, c.Shape);
        long n = h.NumElements;
        if (n == 0) return;
        // Blocks of BlockFloats; the last takes the remainder (so every block but a whole short tensor is ≥ MinSpan).
        long blocks = Math.Max(1, n / BlockFloats);
        Workers.For(blocks, 2, (c, z, hPrev, h, one, n, blocks), static (st, b0, b1) =>
        {
            for (long b = b0; b < b1; b++)
            {
                long s = b * BlockFloats, e = b == st.blocks - 1 ? st.n : s + BlockFloats;
                Block(st.c.AsSpan<float>()[(int)s..(int)e], st.z.AsSpan<float>()[(int)s..(int)e], st.hPrev.AsSpan<float>()[(int)s..(int)e],
                    st.h.AsSpan<float>()[(int)s..(int)e], st.one);
            }
        });
    }

    private static void Block(ReadOnlySpan<float> c, ReadOnlySpan<float> z, ReadOnlySpan<float> hPrev, Span<float> h, float one)
    {
        int n = c.Length;
        var scratch = t_scratch;
        if (scratch == null || scratch.Length < 2 * n) t_scratch = scratch = new float[Math.Max(2 * n, 2 * BlockFloats)];
        Span<float> t = scratch.AsSpan(0, n), mix = scratch.AsSpan(n, n);
        TensorPrimitives.Tanh(c, t);
        TensorPrimitives.Subtract(one, z, mix);
        TensorPrimitives.Multiply(mix, t, mix);
        TensorPrimitives.Multiply(z, hPrev, t);
        TensorPrimitives.Add(t, mix, h);
    }

    /// <summary>Any shapes: each op in turn on whole tensors, with the separate ops' broadcasting and errors.</summary>
    private static void RunGeneral(OpKernelContext context, Tensor c, Tensor z, Tensor hPrev, Tensor one)
    {
        var t = CellValue.Of(c).Activated(tanh: true);
        var zs = CellValue.Of(z);
        var keep = CellValue.Zip(zs, CellValue.Of(hPrev), static (p, q) => p * q);
        var mix = CellValue.Zip(CellValue.Zip(CellValue.Of(one), zs, static (p, q) => p - q), t, static (p, q) => p * q);
        CellValue.Zip(keep, mix, static (p, q) => p + q).WriteTo(context, 0);
    }
}
