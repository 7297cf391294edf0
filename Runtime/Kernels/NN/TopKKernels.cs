using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// TopK (attr k) / TopKV2 (k as input): the k largest values of each last-dim row, descending, with
/// their int32 indices (equal values keep the lower index first, as TF); InTopK / InTopKV2: whether
/// each target class is among the k highest predictions (fewer than k predictions strictly greater,
/// false when any prediction in the row is non-finite or the target is out of range, as TF's InTopKFunctor in
/// in_topk_op.h).
/// </summary>
internal sealed class TopKKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("TopK", n => new TopKKernel(n, v2: false));
        registry.Add("TopKV2", n => new TopKKernel(n, v2: true));
        registry.Add("InTopK", n => new InTopKKernel(n, v2: false));
        registry.Add("InTopKV2", n => new InTopKKernel(n, v2: true));
    }

    internal static long ScalarInt(Tensor t, OpKernel kernel, string what) => t.NumElements != 1
        ? throw new GraphExecutionException($"{kernel.Node.Op} node '{kernel.Node.Name}': {what} must be a scalar, got shape {t.Shape}.", kernel.Node.Name)
        : t.DType == DataType.DtInt64 ? t.Scalar<long>() : t.Scalar<int>();
}

/// <summary>One TopK / TopKV2 node.</summary>
internal sealed class TopKKernel(Node node, bool v2) : OpKernel(node)
{
    private readonly long _k = v2 ? -1 : node.GetInt("k");

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        long k = v2 ? TopKKernels.ScalarInt(context.Input(1), this, "k") : _k;
        if (x.Shape.Rank < 1) throw Error($"input must be at least 1-D, got {x.Shape}.");
        int n = x.Shape[-1];
        if (k < 0) throw Error($"Need k >= 0, got {k}.");
        if (k > n) throw Error($"input must have at least k columns. Had {n}, needed {k}.");
        var dims = x.Shape.ToArray();
        dims[^1] = (int)k;
        var values = context.AllocateOutput(0, x.DType, new TensorShape(dims));
        var indices = context.AllocateOutput(1, DataType.DtInt32, new TensorShape(dims));
        long rows = n == 0 ? 0 : x.NumElements / n;
        switch (x.DType)
        {
            case DataType.DtFloat: Run(x.AsSpan<float>(), values.AsSpan<float>(), indices.AsSpan<int>(), rows, n, (int)k); break;
            case DataType.DtDouble: Run(x.AsSpan<double>(), values.AsSpan<double>(), indices.AsSpan<int>(), rows, n, (int)k); break;
            case DataType.DtInt32: Run(x.AsSpan<int>(), values.AsSpan<int>(), indices.AsSpan<int>(), rows, n, (int)k); break;
            case DataType.DtInt64: Run(x.AsSpan<long>(), values.AsSpan<long>(), indices.AsSpan<int>(), rows, n, (int)k); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }

    private static void Run<T>(ReadOnlySpan<T> x, Span<T> values, Span<int> indices, long rows, int n, int k) where T : IComparable<T>
    {
        var order = new int[n];
        for (long r = 0; r < rows; r++)
        {
            var row = x.Slice((int)(r * n), n).ToArray();
            for (int i = 0; i < n; i++) order[i] = i;
            // Descending by value, ascending index among equals: a stable order TF's results agree with.
            Array.Sort(order, (a, b) => row[b].CompareTo(row[a]) is var c && c != 0 ? c : a.CompareTo(b));
            for (int j = 0; j < k; j++)
            {
                values[(int)(r * k) + j] = row[order[j]];
                indices[(int)(r * k) + j] = order[j];
            }
        }
    }
}

/// <summary>One InTopK / InTopKV2 node.</summary>
internal sealed class InTopKKernel(Node node, bool v2) : OpKernel(node)
{
    private readonly long _k = v2 ? -1 : node.GetInt("k");

    public override void Compute(OpKernelContext context)
    {
        var predictions = context.Input(0);
        var targets = context.Input(1);
        long k = v2 ? TopKKernels.ScalarInt(context.Input(2), this, "k") : _k;
        if (predictions.Shape.Rank != 2) throw Error($"predictions must be 2-dimensional, got {predictions.Shape}.");
        if (targets.Shape.Rank != 1 || targets.Shape[0] != predictions.Shape[0])
            throw Error($"First dimension of predictions {predictions.Shape[0]} must match length of targets {targets.Shape}.");
        if (predictions.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, predictions.DType);
        int batch = predictions.Shape[0], classes = predictions.Shape[1];
        var p = predictions.AsSpan<float>();
        var y = context.AllocateOutput(0, DataType.DtBool, new TensorShape(batch)).AsSpan<bool>();
        for (int b = 0; b < batch; b++)
        {
            long t = targets.DType == DataType.DtInt64 ? targets.AsSpan<long>()[b] : targets.AsSpan<int>()[b];
            if (t < 0 || t >= classes || !float.IsFinite(p[b * classes + (int)t]))
            {
                y[b] = false;
                continue;
            }
            // in_topk_op.h InTopKFunctor: any non-finite prediction in the row means "cannot say" → false.
            float target = p[b * classes + (int)t];
            int greater = 0;
            bool cannotSay = false;
            for (int c = 0; c < classes; c++)
            {
                float v = p[b * classes + c];
                if (!float.IsFinite(v)) { cannotSay = true; break; }
                if (v > target) greater++;
            }
            y[b] = !cannotSay && greater < k;
        }
    }
}
