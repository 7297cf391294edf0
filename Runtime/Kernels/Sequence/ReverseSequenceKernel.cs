using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sequence;

/// <summary>
/// <c>ReverseSequence</c> (TF's <c>core/kernels/reverse_sequence_op.cc</c>): for each batch entry <c>b</c> the
/// first <c>seq_lengths[b]</c> slices along <c>seq_dim</c> are reversed, the rest copied unchanged — what
/// <c>bidirectional_dynamic_rnn</c> does to run its backward cell over the valid steps only. Any dtype.
/// </summary>
internal sealed class ReverseSequenceKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ReverseSequence", node =>
    {
        long seqDimAttr = node.GetInt("seq_dim");
        long batchDimAttr = node.GetInt("batch_dim", 0);
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            var lengths = IndexValues.Read(ctx, 1, "seq_lengths");
            int rank = input.Shape.Rank;
            if (ctx.Input(1).Shape.Rank != 1) throw ctx.Error($"seq_lengths must be 1-dim, not {ctx.Input(1).Shape.Rank}");
            if (batchDimAttr == seqDimAttr) throw ctx.Error($"batch_dim == seq_dim == {seqDimAttr}");
            // TF checks the upper bounds; a negative dim counts from the end like every other axis attr (TF's
            // CPU kernel would index out of range there, so it is not a behaviour anyone relies on).
            int seqDim = seqDimAttr < rank ? IndexValues.Axis(ctx, seqDimAttr, rank, "seq_dim") : throw ctx.Error($"seq_dim must be < input rank ( {seqDimAttr} vs. {rank})");
            int batchDim = batchDimAttr < rank ? IndexValues.Axis(ctx, batchDimAttr, rank, "batch_dim") : throw ctx.Error($"batch_dim must be < input rank ( {batchDimAttr} vs. {rank})");
            if (seqDim == batchDim) throw ctx.Error($"batch_dim == seq_dim == {seqDim}");
            if (lengths.Length != input.Shape[batchDim])
                throw ctx.Error($"Length of seq_lengths != input.dims({batchDim}), ({lengths.Length} vs. {input.Shape[batchDim]})");
            for (int d = 0; d < lengths.Length; d++)
            {
                if (lengths[d] < 0) throw ctx.Error($"seq_lens({d}) < 0");
                if (lengths[d] > input.Shape[seqDim]) throw ctx.Error($"seq_lens({d}) > input.dims({seqDim})");
            }

            // Blocks: everything after the later of the two dims is contiguous and moves as one piece.
            int last = Math.Max(seqDim, batchDim);
            long block = 1;
            for (int d = last + 1; d < rank; d++) block *= input.Shape[d];
            long seqStride = 1, batchStride = 1; // in blocks
            for (int d = last; d > seqDim; d--) seqStride *= input.Shape[d];
            for (int d = last; d > batchDim; d--) batchStride *= input.Shape[d];
            long blocks = block == 0 ? 0 : input.NumElements / block;
            int seqLen = input.Shape[seqDim], batch = input.Shape[batchDim];

            var output = ctx.AllocateOutput(0, input.DType, input.Shape);
            bool strings = input.DType == DataType.DtString;
            int es = strings ? 1 : DataTypes.ElementSize(input.DType);
            for (long b = 0; b < blocks; b++)
            {
                long s = b / seqStride % seqLen, n = b / batchStride % batch;
                long src = s < lengths[n] ? b + (lengths[n] - 1 - 2 * s) * seqStride : b;
                if (strings) Array.Copy(input.Strings, src * block, output.Strings, b * block, block);
                else input.Bytes.Slice(checked((int)(src * block * es)), checked((int)(block * es))).CopyTo(output.Bytes[checked((int)(b * block * es))..]);
            }
        });
    });
}
