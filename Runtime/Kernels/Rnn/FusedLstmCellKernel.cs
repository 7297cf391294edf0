using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// <c>_FusedLstmCell</c>: the elementwise tail of an LSTM cell that the plan builds from TF's separate ops (see
/// <c>PlanFusion.FuseLstmCells</c>) — <c>Split</c> of the gates into i, j, f, o, an optional <c>Add</c> per gate,
/// <c>c' = c ⊙ σ(f) + σ(i) ⊙ tanh(j)</c>, <c>h' = tanh(c') ⊙ σ(o)</c>. There is no TF op of this name; TF runs such a graph
/// node by node. Outputs: h' (0), c' (1).
/// </summary>
/// <remarks>
/// <para>The usual case — the split along the last dim, the old state with exactly a gate's shape, scalar addends — runs
/// in blocks of whole gate rows (<see cref="GateRowBlocks"/>): each block's four gate slices are activated into scratch
/// (rows shorter than a vector gathered first), then combined while they are in L1; the blocks are split across the cores. Every other case (a broadcast old state or addend, a split along
/// another dim) materializes each op's result in turn with the ops' own broadcasting, so any graph the separate ops accept
/// gives their result.</para>
/// <para>Both routes give the separate ops' bits: the sums and products are single IEEE operations in the same operand
/// roles (no fused multiply-add), and Sigmoid/Tanh go through the same <see cref="TensorPrimitives"/> calls as the
/// <c>Sigmoid</c>/<c>Tanh</c> kernels on spans of at least one full vector whenever the whole tensor is (their vector
/// code computes each element the same way wherever it sits in the span — checked by
/// <c>FusedLstmCellTests</c> against the unfused plan, bit for bit, on rows of 1 to 1000 units).</para>
/// </remarks>
internal sealed class FusedLstmCellKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("_FusedLstmCell", n => new FusedLstmCellKernel(n));
}

/// <summary>One <c>_FusedLstmCell</c> node (see <see cref="FusedLstmCellKernels"/>).</summary>
internal sealed class FusedLstmCellKernel : OpKernel
{
    private const int I = 0, J = 1, F = 2, O = 3;

    private readonly int[] _splitIndex;
    private readonly int[] _addendInput = [-1, -1, -1, -1];
    private readonly string _nodes;

    [ThreadStatic] private static float[]? t_scratch;

    public FusedLstmCellKernel(Node node) : base(node)
    {
        if (node.GetType("T") != DataType.DtFloat) throw KernelAttrs.BadType(node, node.GetType("T"));
        _splitIndex = [.. node.GetInts("gate_split_index").Select(v => (int)v)];
        if (_splitIndex.Length != 4 || _splitIndex.Order().Select((v, k) => v == k).Any(ok => !ok))
            throw new GraphExecutionException($"_FusedLstmCell node '{node.Name}': gate_split_index must be a permutation of 0..3.", node.Name);
        var addends = node.GetInts("addend_gates", []);
        for (int k = 0; k < addends.Length; k++) _addendInput[(int)addends[k]] = 3 + k;
        _nodes = string.Join(", ", node.GetStrings("fused_nodes", []));
    }

    public override void Compute(OpKernelContext context)
    {
        var gates = context.Input(1);
        var oldC = context.Input(2);
        if (gates.DType != DataType.DtFloat || oldC.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, gates.DType);
        int rank = gates.Shape.Rank;
        if (rank == 0) throw context.Error($"cannot split a scalar into 4 parts (fused from {_nodes}).");
        int axis = IndexValues.Axis(context, IndexValues.Scalar(context, 0, "split_dim"), rank);
        if (gates.Shape[axis] % 4 != 0)
            throw context.Error($"cannot split dim {axis} of shape {gates.Shape} into 4 equal parts (fused from {_nodes}).");
        Span<int> partDims = stackalloc int[rank];
        gates.Shape.Dims.CopyTo(partDims);
        partDims[axis] /= 4;
        bool fast = axis == rank - 1 && oldC.Shape.Dims.SequenceEqual(partDims);
        for (int g = 0; g < 4 && fast; g++)
            if (_addendInput[g] >= 0 && !IsScalarLike(context.Input(_addendInput[g]), rank)) fast = false;
        try
        {
            if (fast) RunRows(context, gates, oldC, partDims);
            else RunGeneral(context, gates, oldC, axis);
        }
        catch (ArgumentException e) { throw context.Error($"{e.Message} (fused from {_nodes})"); }
    }

    /// <summary>One value whose broadcast against a tensor of this rank keeps that tensor's shape.</summary>
    private static bool IsScalarLike(Tensor t, int rank) => t.NumElements == 1 && t.Shape.Rank <= rank;

    private void RunRows(OpKernelContext context, Tensor gates, Tensor oldC, ReadOnlySpan<int> part)
    {
        var h = context.AllocateOutput(0, DataType.DtFloat, part);
        var c = context.AllocateOutput(1, DataType.DtFloat, part);
        int cell = part[^1];
        if (h.NumElements == 0) return;
        long rows = h.NumElements / cell;
        var addend = Vector128<float>.Zero;
        int addendMask = 0;
        for (int g = 0; g < 4; g++)
            if (_addendInput[g] >= 0)
            {
                addendMask |= 1 << g;
                addend = addend.WithElement(g, context.Input(_addendInput[g]).AsSpan<float>()[0]);
            }
        var blocks = GateRowBlocks.For(rows, cell);
        var state = new RowState(gates, oldC, h, c, cell, _splitIndex, addend, addendMask);
        blocks.Run(state, static (st, first, count) => Block(st, first, count));
    }

    private readonly record struct RowState(Tensor Gates, Tensor OldC, Tensor H, Tensor C, int Cell,
        int[] SplitIndex, Vector128<float> Addend, int AddendMask);

    private static void Block(in RowState st, long r0, int rows)
    {
        int cell = st.Cell, n = rows * cell;
        var scratch = t_scratch;
        if (scratch == null || scratch.Length < 4 * n) t_scratch = scratch = new float[Math.Max(4 * n, 4 * GateRowBlocks.BlockFloats)];
        var all = st.Gates.AsSpan<float>();
        var si = scratch.AsSpan(0, n);
        var tj = scratch.AsSpan(n, n);
        var sf = scratch.AsSpan(2 * n, n);
        var so = scratch.AsSpan(3 * n, n);
        for (int g = 0; g < 4; g++)
        {
            var dst = g switch { I => si, J => tj, F => sf, _ => so };
            int column = st.SplitIndex[g] * cell;
            bool add = (st.AddendMask & (1 << g)) != 0;
            if (cell >= GateRowBlocks.MinSpan)
            {
                // Rows of at least a vector: each row straight from the gate matrix into the scratch.
                for (int r = 0; r < rows; r++)
                {
                    var src = all.Slice((int)((r0 + r) * 4 * cell) + column, cell);
                    var row = dst.Slice(r * cell, cell);
                    if (add)
                    {
                        TensorPrimitives.Add(src, st.Addend.GetElement(g), row);
                        src = row;
                    }
                    if (g == J) TensorPrimitives.Tanh(src, row);
                    else TensorPrimitives.Sigmoid(src, row);
                }
                continue;
            }
            // Short rows: gathered first, so the activation runs on the block as one span of at least a vector.
            for (int r = 0; r < rows; r++)
                all.Slice((int)((r0 + r) * 4 * cell) + column, cell).CopyTo(dst.Slice(r * cell, cell));
            if (add) TensorPrimitives.Add(dst, st.Addend.GetElement(g), dst);
            if (g == J) TensorPrimitives.Tanh(dst, dst);
            else TensorPrimitives.Sigmoid(dst, dst);
        }
        var oldC = st.OldC.AsSpan<float>().Slice((int)(r0 * cell), n);
        var c = st.C.AsSpan<float>().Slice((int)(r0 * cell), n);
        var h = st.H.AsSpan<float>().Slice((int)(r0 * cell), n);
        // c' = c ⊙ σ(f) + σ(i) ⊙ tanh(j): two rounded products and a rounded sum, as the Mul, Mul, Add nodes.
        int e = 0;
        for (; e <= n - Vector512<float>.Count; e += Vector512<float>.Count)
        {
            var keep = Vector512.Create(oldC.Slice(e)) * Vector512.Create(sf.Slice(e));
            var write = Vector512.Create(si.Slice(e)) * Vector512.Create(tj.Slice(e));
            (keep + write).CopyTo(c.Slice(e));
        }
        for (; e < n; e++)
        {
            float keep = oldC[e] * sf[e], write = si[e] * tj[e];
            c[e] = keep + write;
        }
        // h' = tanh(c') ⊙ σ(o), tanh(c') into the input gate's scratch (no longer needed).
        TensorPrimitives.Tanh(c, si);
        TensorPrimitives.Multiply(si, so, h);
    }

    /// <summary>Any shapes: each op in turn on whole tensors, with the separate ops' broadcasting and errors.</summary>
    private void RunGeneral(OpKernelContext context, Tensor gates, Tensor oldC, int axis)
    {
        var pieces = CellValue.Pieces(gates, axis, 4);
        var activated = new CellValue[4];
        for (int g = 0; g < 4; g++)
        {
            var value = pieces[_splitIndex[g]];
            if (_addendInput[g] >= 0)
            {
                var a = context.Input(_addendInput[g]);
                if (a.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, a.DType);
                value = CellValue.Zip(value, CellValue.Of(a), static (p, q) => p + q);
            }
            activated[g] = value.Activated(tanh: g == J);
        }
        var keep = CellValue.Zip(CellValue.Of(oldC), activated[F], static (p, q) => p * q);
        var write = CellValue.Zip(activated[I], activated[J], static (p, q) => p * q);
        var newC = CellValue.Zip(keep, write, static (p, q) => p + q);
        var tanhC = new CellValue((float[])newC.Values.Clone(), newC.Shape).Activated(tanh: true);
        CellValue.Zip(tanhC, activated[O], static (p, q) => p * q).WriteTo(context, 0);
        newC.WriteTo(context, 1);
    }
}
