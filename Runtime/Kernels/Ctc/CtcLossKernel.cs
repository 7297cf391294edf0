using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Ctc;

/// <summary>
/// CTCLoss (tensorflow/core/kernels/ctc_loss_op.cc <c>CTCLossOp</c> + util/ctc/ctc_loss_calculator.h), float and double:
/// loss[b] = −log p(labels_b | inputs_b) summed over all CTC alignments (Graves' forward/backward recursions in log
/// space on softmax(inputs)), gradient = ∂loss/∂logits = softmax − Σ_{u: l'_u = k} α·β / p per step (zero past
/// sequence_length). Labels come as a SparseTensor (labels_indices int64 [n, 2] in row-major order, labels_values
/// int32); the blank is the last class; a label ≥ num_classes − 1 ends a batch entry's sequence (a later non-blank
/// label is an error). TF's CPU kernel only — CTCLossV2 is registered for GPU (cuDNN) alone, so it is not here.
/// </summary>
internal sealed class CtcLossKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("CTCLoss", n => new CtcLossKernel(n));
}

/// <summary>One CTCLoss node.</summary>
internal sealed class CtcLossKernel(Node node) : OpKernel(node)
{
    private readonly bool _preprocessCollapse = node.GetBool("preprocess_collapse_repeated", false);
    private readonly bool _mergeRepeated = node.GetBool("ctc_merge_repeated", true);
    private readonly bool _ignoreLonger = node.GetBool("ignore_longer_outputs_than_inputs", false);

    public override void Compute(OpKernelContext context)
    {
        Tensor inputs = context.Input(0), indices = context.Input(1), values = context.Input(2), seqLen = context.Input(3);
        if (inputs.Shape.Rank != 3) throw Error("inputs is not a 3-Tensor");
        if (seqLen.Shape.Rank != 1) throw Error("sequence_length is not a vector");
        if (indices.Shape.Rank != 2) throw Error("labels_indices is not a matrix");
        if (values.Shape.Rank != 1) throw Error("labels_values is not a vector");
        int time = inputs.Shape[0], batch = inputs.Shape[1], classes = inputs.Shape[2];
        if (seqLen.Shape[0] != batch) throw Error($"len(sequence_length) != batch_size.  len(sequence_length):  {seqLen.Shape[0]} batch_size: {batch}");
        if (indices.Shape[0] != values.Shape[0])
            throw Error($"labels_indices and labels_values must contain the same number of rows, but saw shapes: {indices.Shape} vs. {values.Shape}");
        if (batch == 0) throw Error("batch_size must not be 0");
        if (indices.Shape[1] != 2) throw Error($"labels_indices must have 2 columns (batch, position), got {indices.Shape}.");
        var labels = Labels(indices.AsSpan<long>(), values.AsSpan<int>(), batch);
        var lengths = seqLen.ToArray<int>();
        for (int b = 0; b < batch; b++)
            if (!(lengths[b] <= time)) throw Error($"sequence_length({b}) <= {time}");
        var loss = context.AllocateOutput(0, inputs.DType, seqLen.Shape);
        var grad = context.AllocateOutput(1, inputs.DType, inputs.Shape);
        switch (inputs.DType)
        {
            case DataType.DtFloat: Run<float>(inputs, labels, lengths, loss, grad, time, batch, classes); break;
            case DataType.DtDouble: Run<double>(inputs, labels, lengths, loss, grad, time, batch, classes); break;
            default: throw KernelAttrs.BadType(Node, inputs.DType);
        }
    }

    /// <summary>The label values of each batch entry, after SparseTensor::IndicesValid's checks (in bounds, strictly
    /// increasing row-major order).</summary>
    private List<int>[] Labels(ReadOnlySpan<long> ix, ReadOnlySpan<int> vals, int batch)
    {
        int n = vals.Length;
        long maxLen = 0;
        for (int i = 0; i < n; i++) maxLen = Math.Max(maxLen, ix[2 * i + 1] + 1);
        var labels = Enumerable.Range(0, batch).Select(_ => new List<int>()).ToArray();
        for (int i = 0; i < n; i++)
        {
            long b = ix[2 * i], j = ix[2 * i + 1];
            if (b < 0 || b >= batch || j < 0 || j >= maxLen)
                throw Error($"label SparseTensor is not valid: indices[{i}] = [{b},{j}] is out of bounds: need 0 <= index < [{batch},{maxLen}]");
            if (i > 0)
            {
                long pb = ix[2 * i - 2], pj = ix[2 * i - 1];
                if (b < pb || (b == pb && j < pj))
                    throw Error($"label SparseTensor is not valid: indices[{i}] = [{b},{j}] is out of order. Many sparse ops require sorted indices.");
                if (b == pb && j == pj) throw Error($"label SparseTensor is not valid: indices[{i}] = [{b},{j}] is repeated");
            }
            labels[b].Add(vals[i]);
        }
        return labels;
    }

    /// <summary>Each batch entry's l (labels without the collapsed repeats, cut at the first label ≥ classes − 1) after
    /// PopulateLPrimes' checks.</summary>
    private List<int>[] Targets(List<int>[] labels, int[] lengths, int classes)
    {
        var result = new List<int>[labels.Length];
        for (int b = 0; b < labels.Length; b++)
        {
            var label = labels[b];
            if (label.Count == 0) throw Error($"Labels length is zero in batch {b}");
            var l = new List<int>();
            bool finished = false;
            for (int i = 0; i < label.Count; i++)
            {
                if (i != 0 && _preprocessCollapse && label[i] == label[i - 1]) continue;
                if (label[i] >= classes - 1) finished = true;
                else
                {
                    if (finished)
                        throw Error($"Saw a non-null label (index >= num_classes - 1) following a null label, batch: {b} num_classes: {classes} labels: {string.Join(",", label)} labels seen so far: {string.Join(",", l)}");
                    l.Add(label[i]);
                }
            }
            if (l.Any(v => v < 0)) throw Error($"All labels must be nonnegative integers, batch: {b} labels: {string.Join(",", l)}");
            if (!_ignoreLonger && label.Count > lengths[b])
                throw Error($"Not enough time for target transition sequence (required: {label.Count}, available: {lengths[b]}){b}You can turn this error into a warning by using the flag ignore_longer_outputs_than_inputs");
            result[b] = l;
        }
        return result;
    }

    private void Run<T>(Tensor inputs, List<int>[] labels, int[] lengths, Tensor lossT, Tensor gradT, int time, int batch, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int b = 0; b < batch; b++)
            if (lengths[b] < 0) throw Error($"seq_len({b}) < 0");
        var targets = Targets(labels, lengths, classes);
        var x = inputs.AsSpan<T>();
        var loss = lossT.AsSpan<T>();
        var grad = gradT.AsSpan<T>();
        loss.Clear();
        grad.Clear();
        int blank = classes - 1;
        T logZero = T.NegativeInfinity;
        for (int b = 0; b < batch; b++)
        {
            int steps = lengths[b];
            // Zero loss and gradient for an empty sequence or (when ignoring them) labels longer than the input.
            if (steps == 0 || (_ignoreLonger && labels[b].Count > steps)) continue;
            var lp = new List<int>(2 * targets[b].Count + 1);
            foreach (var v in targets[b]) { lp.Add(blank); lp.Add(v); }
            lp.Add(blank);
            int u2 = lp.Count;
            // y = softmax of each step's logits (max subtracted), in T.
            var y = new T[steps, classes];
            for (int t = 0; t < steps; t++)
            {
                var row = x.Slice((t * batch + b) * classes, classes);
                T max = row[0];
                for (int k = 1; k < classes; k++) if (row[k] > max) max = row[k];
                T sum = T.Zero;
                for (int k = 0; k < classes; k++) sum += y[t, k] = T.Exp(row[k] - max);
                for (int k = 0; k < classes; k++) y[t, k] /= sum;
            }
            var alpha = Forward(lp, y, steps, blank, logZero);
            var beta = Backward(lp, y, steps, blank, logZero);
            T logP = logZero;
            for (int u = 0; u < u2; u++) logP = CtcBeamSearch<T>.LogSumExp(logP, alpha[u, 0] + beta[u, 0]);
            loss[b] = -logP;
            if (logP == logZero)
            {
                // No valid path: TF's CalculateGradient returns the softmax itself.
                for (int t = 0; t < steps; t++)
                    for (int k = 0; k < classes; k++) grad[(t * batch + b) * classes + k] = y[t, k];
                continue;
            }
            var probSum = new T[classes];
            for (int t = 0; t < steps; t++)
            {
                Array.Fill(probSum, logZero);
                for (int u = 0; u < u2; u++) probSum[lp[u]] = CtcBeamSearch<T>.LogSumExp(probSum[lp[u]], alpha[u, t] + beta[u, t]);
                for (int k = 0; k < classes; k++)
                {
                    // TF takes this exponential with expf (float) for double inputs too.
                    T negative = T.CreateTruncating(MathF.Exp(float.CreateTruncating(probSum[k] - logP)));
                    grad[(t * batch + b) * classes + k] = y[t, k] - negative;
                }
            }
        }
    }

    // (GravesTh) Eq 7.5–7.9 in log space from t = 0, as CTCLossCalculator::CalculateForwardVariables.
    private T[,] Forward<T>(List<int> lp, T[,] y, int steps, int blank, T logZero) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int u2 = lp.Count;
        var a = new T[u2, steps];
        for (int u = 0; u < u2; u++) for (int t = 0; t < steps; t++) a[u, t] = logZero;
        a[0, 0] = T.Log(y[0, blank]);
        if (u2 > 1) a[1, 0] = T.Log(y[0, lp[1]]);
        for (int t = 1; t < steps; t++)
            for (int u = Math.Max(0, u2 - 2 * (steps - t)); u < Math.Min(u2, 2 * (t + 1)); u++)
            {
                T s = logZero;
                if (_mergeRepeated || lp[u] == blank) s = a[u, t - 1];
                if (u > 0) s = CtcBeamSearch<T>.LogSumExp(s, a[u - 1, t - 1]);
                if (u > 1 && lp[u] != blank && !(_mergeRepeated && lp[u] == lp[u - 2])) s = CtcBeamSearch<T>.LogSumExp(s, a[u - 2, t - 1]);
                a[u, t] = T.Log(y[t, lp[u]]) + s;
            }
        return a;
    }

    // (GravesTh) Eq 7.13–7.15, as CTCLossCalculator::CalculateBackwardVariables.
    private T[,] Backward<T>(List<int> lp, T[,] y, int steps, int blank, T logZero) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int u2 = lp.Count;
        var bt = new T[u2, steps];
        for (int u = 0; u < u2; u++) for (int t = 0; t < steps; t++) bt[u, t] = logZero;
        for (int u = Math.Max(0, u2 - 2); u < u2; u++) bt[u, steps - 1] = T.Zero;
        for (int t = steps - 2; t >= 0; t--)
            for (int u = Math.Max(0, u2 - 2 * (steps - t)); u < Math.Min(u2, 2 * (t + 1)); u++)
            {
                if (_mergeRepeated || lp[u] == blank)
                    bt[u, t] = CtcBeamSearch<T>.LogSumExp(bt[u, t], bt[u, t + 1] + T.Log(y[t + 1, lp[u]]));
                if (u + 1 < u2)
                    bt[u, t] = CtcBeamSearch<T>.LogSumExp(bt[u, t], bt[u + 1, t + 1] + T.Log(y[t + 1, lp[u + 1]]));
                if (u + 2 < u2 && lp[u] != blank && !(_mergeRepeated && lp[u] == lp[u + 2]))
                    bt[u, t] = CtcBeamSearch<T>.LogSumExp(bt[u, t], bt[u + 2, t + 1] + T.Log(y[t + 1, lp[u + 2]]));
            }
        return bt;
    }
}
