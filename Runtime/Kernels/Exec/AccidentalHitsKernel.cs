using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>ComputeAccidentalHits</c> (candidate_sampler_ops.cc, used by <c>tf.nn.sampled_softmax_loss</c> with
/// <c>remove_accidental_hits</c>): for each true class (row-major over <c>[batch, num_true]</c>) that also appears
/// among the sampled candidates, one hit — the row index (int32), the candidate's position (int64; the last position
/// when a candidate repeats, as TF's map keeps the last insert) and the weight <c>-FLT_MAX</c>.
/// </summary>
internal sealed class AccidentalHitsKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ComputeAccidentalHits", node =>
    {
        long numTrue = node.GetInt("num_true");
        return new DelegateKernel(node, ctx =>
        {
            var trueCandidates = ctx.Input(0);
            if (trueCandidates.Shape.Rank != 2 || trueCandidates.Shape[1] != numTrue)
                throw ctx.Error("true_candidates must be a batch_size * num_true matrix");
            if (ctx.Input(1).Shape.Rank != 1)
                throw ctx.Error("sampled_candidates must be a vector, which is typically an output from CandidateSampler");
            var trueIds = IndexValues.Read(ctx, 0, "true_candidates");
            var sampled = IndexValues.Read(ctx, 1, "sampled_candidates");
            var position = new Dictionary<long, int>();
            for (int i = 0; i < sampled.Length; i++) position[sampled[i]] = i;
            var rows = new List<int>();
            var ids = new List<long>();
            for (int i = 0; i < trueIds.Length; i++)
                if (position.TryGetValue(trueIds[i], out int at))
                {
                    rows.Add((int)(i / numTrue));
                    ids.Add(at);
                }
            rows.ToArray().CopyTo(ctx.AllocateOutput(0, DataType.DtInt32, new TensorShape(rows.Count)).AsSpan<int>());
            ids.ToArray().CopyTo(ctx.AllocateOutput(1, DataType.DtInt64, new TensorShape(ids.Count)).AsSpan<long>());
            ctx.AllocateOutput(2, DataType.DtFloat, new TensorShape(rows.Count)).AsSpan<float>().Fill(-float.MaxValue);
        });
    });
}
