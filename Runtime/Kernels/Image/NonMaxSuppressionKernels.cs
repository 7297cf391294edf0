using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>NonMaxSuppression</c> (iou_threshold attr) and <c>NonMaxSuppressionV2</c>–<c>V5</c>, after TF's
/// <c>non_max_suppression_op.cc</c> <c>DoNonMaxSuppressionOp</c>: candidates with score &gt; score_threshold (V3+; V1/V2
/// take every box) are visited by descending score (ties: lower box index first); each is compared with the boxes
/// selected since it was last examined, newest first: its score is multiplied by the soft-NMS weight
/// exp(−0.5·iou²/σ) (1 when σ = 0; 0 above the IoU threshold), an IoU ≥ threshold suppresses it outright, and a score
/// that fell is pushed back to be re-examined if it stays above score_threshold. IoU uses min/max of each box's
/// corners and is 0 for an empty box. V4 pads to max_output_size with 0 when pad_to_max_output_size and returns
/// valid_outputs; V5 also returns the selected (soft-suppressed) scores.
/// </summary>
internal sealed class NonMaxSuppressionKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("NonMaxSuppression", n =>
        {
            float iou = n.GetFloat("iou_threshold", 0.5f);
            return new DelegateKernel(n, ctx => Run(ctx, iou, float.MinValue, 0f, pad: false, version: 1));
        });
        registry.Add("NonMaxSuppressionV2", n => new DelegateKernel(n, ctx => Run(ctx, Scalar(ctx, 3, "iou_threshold"), float.MinValue, 0f, false, 2)));
        registry.Add("NonMaxSuppressionV3", n => new DelegateKernel(n, ctx => Run(ctx, Scalar(ctx, 3, "iou_threshold"), Scalar(ctx, 4, "score_threshold"), 0f, false, 3)));
        registry.Add("NonMaxSuppressionV4", n =>
        {
            bool pad = n.GetBool("pad_to_max_output_size", false);
            return new DelegateKernel(n, ctx => Run(ctx, Scalar(ctx, 3, "iou_threshold"), Scalar(ctx, 4, "score_threshold"), 0f, pad, 4));
        });
        registry.Add("NonMaxSuppressionV5", n =>
        {
            bool pad = n.GetBool("pad_to_max_output_size", false);
            return new DelegateKernel(n, ctx => Run(ctx, Scalar(ctx, 3, "iou_threshold"), Scalar(ctx, 4, "score_threshold"), Scalar(ctx, 5, "soft_nms_sigma"), pad, 5));
        });
    }

    private static float Scalar(OpKernelContext ctx, int input, string what)
    {
        var t = ctx.Input(input);
        if (t.Shape.Rank != 0) throw ctx.Error($"{what} must be 0-D, got shape {t.Shape}");
        return (float)ScalarValues.GetDouble(t, 0);
    }

    private static void Run(OpKernelContext ctx, float iouThreshold, float scoreThreshold, float sigma, bool pad, int version)
    {
        var boxesT = ctx.Input(0);
        var scoresT = ctx.Input(1);
        var maxT = ctx.Input(2);
        if (maxT.Shape.Rank != 0) throw ctx.Error($"max_output_size must be 0-D, got shape {maxT.Shape}");
        if (iouThreshold < 0 || iouThreshold > 1) throw ctx.Error("iou_threshold must be in [0, 1]");
        if (sigma < 0) throw ctx.Error("soft_nms_sigma must be non-negative");
        if (boxesT.Shape.Rank != 2) throw ctx.Error($"boxes must be 2-D{boxesT.Shape}");
        if (boxesT.Shape[1] != 4) throw ctx.Error($"boxes must have 4 columns{boxesT.Shape}");
        int n = boxesT.Shape[0];
        if (scoresT.Shape.Rank != 1 || scoresT.Shape[0] != n) throw ctx.Error($"scores has incompatible shape {scoresT.Shape} for {n} boxes");
        int maxOut = (int)IndexValues.Scalar(ctx, 2, "max_output_size");
        if (maxOut < 0) throw ctx.Error("max_output_size must be non-negative");
        var boxes = ResizeKernels.ToFloat(boxesT);
        var scores = ResizeKernels.ToFloat(scoresT);
        float scale = sigma > 0 ? -0.5f / sigma : 0f;

        // Max-heap by score, ties broken towards the lower index (TF's Candidate comparator).
        var queue = new PriorityQueue<(int Box, float Score, int Begin), (float, int)>(
            Comparer<(float Score, int Box)>.Create((a, b) => a.Score != b.Score ? b.Score.CompareTo(a.Score) : a.Box.CompareTo(b.Box)));
        for (int i = 0; i < n; i++)
            if (scores[i] > scoreThreshold) queue.Enqueue((i, scores[i], 0), (scores[i], i));
        var selected = new List<int>();
        var selectedScores = new List<float>();
        while (selected.Count < maxOut && queue.Count > 0)
        {
            var (box, score, begin) = queue.Dequeue();
            float original = score;
            bool hard = false;
            for (int j = selected.Count - 1; j >= begin; j--)
            {
                float iou = Iou(boxes, box, selected[j]);
                score *= iou <= iouThreshold ? MathF.Exp(scale * iou * iou) : 0f;
                if (iou >= iouThreshold) { hard = true; break; }
                if (score <= scoreThreshold) break;
            }
            begin = selected.Count;
            if (hard) continue;
            if (score == original)
            {
                selected.Add(box);
                selectedScores.Add(score);
            }
            else if (score > scoreThreshold) queue.Enqueue((box, score, begin), (score, box));
        }
        int valid = selected.Count;
        if (pad)
            while (selected.Count < maxOut) { selected.Add(0); selectedScores.Add(0f); }
        var idx = ctx.AllocateOutput(0, DataType.DtInt32, new TensorShape(selected.Count)).AsSpan<int>();
        for (int i = 0; i < selected.Count; i++) idx[i] = selected[i];
        if (version == 4) ctx.AllocateOutput(1, DataType.DtInt32, TensorShape.Scalar).AsSpan<int>()[0] = valid;
        if (version == 5)
        {
            var s = ctx.AllocateOutput(1, scoresT.DType, new TensorShape(selected.Count));
            for (int i = 0; i < selectedScores.Count; i++) ScalarValues.SetDouble(s, i, selectedScores[i]);
            ctx.AllocateOutput(2, DataType.DtInt32, TensorShape.Scalar).AsSpan<int>()[0] = valid;
        }
    }

    private static float Iou(float[] b, int i, int j)
    {
        float yminI = MathF.Min(b[i * 4], b[i * 4 + 2]), xminI = MathF.Min(b[i * 4 + 1], b[i * 4 + 3]);
        float ymaxI = MathF.Max(b[i * 4], b[i * 4 + 2]), xmaxI = MathF.Max(b[i * 4 + 1], b[i * 4 + 3]);
        float yminJ = MathF.Min(b[j * 4], b[j * 4 + 2]), xminJ = MathF.Min(b[j * 4 + 1], b[j * 4 + 3]);
        float ymaxJ = MathF.Max(b[j * 4], b[j * 4 + 2]), xmaxJ = MathF.Max(b[j * 4 + 1], b[j * 4 + 3]);
        float areaI = (ymaxI - yminI) * (xmaxI - xminI), areaJ = (ymaxJ - yminJ) * (xmaxJ - xminJ);
        if (areaI <= 0 || areaJ <= 0) return 0f;
        float inter = MathF.Max(MathF.Min(ymaxI, ymaxJ) - MathF.Max(yminI, yminJ), 0) * MathF.Max(MathF.Min(xmaxI, xmaxJ) - MathF.Max(xminI, xminJ), 0);
        return inter / (areaI + areaJ - inter);
    }
}
