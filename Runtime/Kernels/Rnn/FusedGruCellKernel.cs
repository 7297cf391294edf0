using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// <c>_FusedGruCell</c>: the elementwise tail of Keras's GRU step that the plan builds from TF's separate ops (see
/// <c>PlanFusion.FuseGruCells</c>) — 3-way Splits of the input projection x and the recurrent projection u, then
/// <c>z = σ(x_z + u_z)</c>, <c>r = σ(x_r + u_r)</c>, <c>hh = tanh(x_h + r ⊙ u_h)</c>, <c>h = z ⊙ h_prev + (one − z) ⊙ hh</c>.
/// There is no TF op of this name. Inputs: split_dim and value of x, split_dim and value of u, h_prev, one.
/// </summary>
/// <remarks>
/// As <see cref="FusedLstmCellKernel"/>: blocks of whole rows across the cores when both splits are along the last dim,
/// x and u have one shape, h_prev a gate's shape and <c>one</c> a single value; op by op with the separate ops'
/// broadcasting otherwise. Both routes give the separate ops' bits (single IEEE operations, no fused multiply-add, and
/// Sigmoid/Tanh through the same <see cref="TensorPrimitives"/> calls on spans of at least one vector whenever the whole
/// tensor is) — checked by <c>GruCellFusionTests</c> against the unfused plan.
/// </remarks>
internal sealed class FusedGruCellKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("_FusedGruCell", n => new FusedGruCellKernel(n));
}

/// <summary>One <c>_FusedGruCell</c> node (see <see cref="FusedGruCellKernels"/>).</summary>
internal sealed class FusedGruCellKernel : OpKernel
{
    private const int Z = 0, R = 1, H = 2;

    private readonly int[] _x, _u;
    private readonly string _nodes;

    [ThreadStatic] private static float[]? t_scratch;

    public FusedGruCellKernel(Node node) : base(node)
    {
        if (node.GetType("T") != DataType.DtFloat) throw KernelAttrs.BadType(node, node.GetType("T"));
        _x = [.. node.GetInts("x_split_index").Select(v => (int)v)];
        _u = [.. node.GetInts("u_split_index").Select(v => (int)v)];
        foreach (var index in new[] { _x, _u })
            if (index.Length != 3 || index.Order().Select((v, k) => v == k).Any(ok => !ok))
                throw new GraphExecutionException($"_FusedGruCell node '{node.Name}': x_split_index and u_split_index must be permutations of 0..2.", node.Name);
        _nodes = string.Join(", ", node.GetStrings("fused_nodes", []));
    }

    public override void Compute(OpKernelContext context)
    {
        Tensor x = context.Input(1), u = context.Input(3), hPrev = context.Input(4), one = context.Input(5);
        foreach (var t in new[] { x, u, hPrev, one })
            if (t.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, t.DType);
        int xAxis = SplitAxis(context, 0, x), uAxis = SplitAxis(context, 2, u);
        int rank = x.Shape.Rank;
        Span<int> part = stackalloc int[rank];
        x.Shape.Dims.CopyTo(part);
        part[xAxis] /= 3;
        bool fast = xAxis == rank - 1 && uAxis == rank - 1 && x.Shape == u.Shape && hPrev.Shape.Dims.SequenceEqual(part)
            && one.NumElements == 1 && one.Shape.Rank <= rank;
        try
        {
            if (fast) RunRows(context, x, u, hPrev, one.AsSpan<float>()[0], part);
            else RunGeneral(context, x, xAxis, u, uAxis, hPrev, one);
        }
        catch (ArgumentException e) { throw context.Error($"{e.Message} (fused from {_nodes})"); }
    }

    private int SplitAxis(OpKernelContext context, int input, Tensor value)
    {
        int rank = value.Shape.Rank;
        if (rank == 0) throw context.Error($"cannot split a scalar into 3 parts (fused from {_nodes}).");
        int axis = IndexValues.Axis(context, IndexValues.Scalar(context, input, "split_dim"), rank);
        if (value.Shape[axis] % 3 != 0)
            throw context.Error($"cannot split dim {axis} of shape {value.Shape} into 3 equal parts (fused from {_nodes}).");
        return axis;
    }

    private void RunRows(OpKernelContext context, Tensor x, Tensor u, Tensor hPrev, float one, ReadOnlySpan<int> part)
    {
        var h = context.AllocateOutput(0, DataType.DtFloat, part);
        int cell = part[^1];
        if (h.NumElements == 0) return;
        long rows = h.NumElements / cell;
        var blocks = GateRowBlocks.For(rows, cell);
        var state = new RowState(x, u, hPrev, h, cell, _x, _u, one);
        blocks.Run(state, static (st, first, count) => Block(st, first, count));
    }

    private readonly record struct RowState(Tensor X, Tensor U, Tensor HPrev, Tensor H, int Cell,
        int[] XIndex, int[] UIndex, float One);

    private static void Block(in RowState st, long r0, int rows)
    {
        int cell = st.Cell, n = rows * cell;
        var scratch = t_scratch;
        if (scratch == null || scratch.Length < 4 * n) t_scratch = scratch = new float[Math.Max(4 * n, 4 * GateRowBlocks.BlockFloats)];
        var x = st.X.AsSpan<float>();
        var u = st.U.AsSpan<float>();
        Span<float> z = scratch.AsSpan(0, n), r = scratch.AsSpan(n, n), a = scratch.AsSpan(2 * n, n), b = scratch.AsSpan(3 * n, n);
        void Gather(ReadOnlySpan<float> src, int column, Span<float> dst)
        {
            for (int row = 0; row < rows; row++)
                src.Slice((int)((r0 + row) * 3 * cell) + column * cell, cell).CopyTo(dst.Slice(row * cell, cell));
        }
        // z = σ(x_z + u_z), r = σ(x_r + u_r): each sum one rounded add, as the AddV2 nodes.
        Gather(x, st.XIndex[Z], a);
        Gather(u, st.UIndex[Z], b);
        TensorPrimitives.Add(a, b, z);
        TensorPrimitives.Sigmoid(z, z);
        Gather(x, st.XIndex[R], a);
        Gather(u, st.UIndex[R], b);
        TensorPrimitives.Add(a, b, r);
        TensorPrimitives.Sigmoid(r, r);
        // hh = tanh(x_h + r ⊙ u_h), into r's scratch.
        Gather(x, st.XIndex[H], a);
        Gather(u, st.UIndex[H], b);
        TensorPrimitives.Multiply(r, b, r);
        TensorPrimitives.Add(a, r, r);
        TensorPrimitives.Tanh(r, r);
        // h = z ⊙ h_prev + (one − z) ⊙ hh: two rounded products, a rounded difference and a rounded sum.
        var hPrev = st.HPrev.AsSpan<float>().Slice((int)(r0 * cell), n);
        var h = st.H.AsSpan<float>().Slice((int)(r0 * cell), n);
        TensorPrimitives.Multiply(z, hPrev, a);
        TensorPrimitives.Subtract(st.One, z, b);
        TensorPrimitives.Multiply(b, r, b);
        TensorPrimitives.Add(a, b, h);
    }

    /// <summary>Any shapes: each op in turn on whole tensors, with the separate ops' broadcasting and errors.</summary>
    private void RunGeneral(OpKernelContext context, Tensor x, int xAxis, Tensor u, int uAxis, Tensor hPrev, Tensor one)
    {
        var xs = CellValue.Pieces(x, xAxis, 3);
        var us = CellValue.Pieces(u, uAxis, 3);
        var z = CellValue.Zip(xs[_x[Z]], us[_u[Z]], static (p, q) => p + q).Activated(tanh: false);
        var r = CellValue.Zip(xs[_x[R]], us[_u[R]], static (p, q) => p + q).Activated(tanh: false);
        var hh = CellValue.Zip(xs[_x[H]], CellValue.Zip(r, us[_u[H]], static (p, q) => p * q), static (p, q) => p + q).Activated(tanh: true);
        var keep = CellValue.Zip(z, CellValue.Of(hPrev), static (p, q) => p * q);
        var blend = CellValue.Zip(CellValue.Zip(CellValue.Of(one), z, static (p, q) => p - q), hh, static (p, q) => p * q);
        CellValue.Zip(keep, blend, static (p, q) => p + q).WriteTo(context, 0);
    }
}
