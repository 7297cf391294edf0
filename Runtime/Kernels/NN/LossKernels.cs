using System.Numerics;
using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// SoftmaxCrossEntropyWithLogits (labels are probabilities; 2-D features/labels that broadcast),
/// SparseSoftmaxCrossEntropyWithLogits (int32/int64 class ids; an id outside [0, classes) is an error
/// as on TF's CPU) and L2Loss (Σx²/2). Both cross-entropies output (loss[batch], backprop[batch, classes])
/// with backprop = softmax(logits) − labels.
/// </summary>
internal sealed class LossKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("SoftmaxCrossEntropyWithLogits", n => new SoftmaxXentKernel(n));
        registry.Add("SparseSoftmaxCrossEntropyWithLogits", n => new SparseSoftmaxXentKernel(n));
        registry.Add("L2Loss", n => new L2LossKernel(n));
    }
}

/// <summary>SoftmaxCrossEntropyWithLogits.</summary>
internal sealed class SoftmaxXentKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var logits = context.Input(0);
        var labels = context.Input(1);
        if (logits.DType != labels.DType) throw Error($"logits and labels dtypes differ: {DataTypes.Name(logits.DType)} vs. {DataTypes.Name(labels.DType)}.");
        if (!Broadcast.TryShape(logits.Shape, labels.Shape, out var shape) || shape.Rank != 2)
            throw Error($"logits and labels must be broadcastable to 2-D: logits_size={logits.Shape} labels_size={labels.Shape}.");
        int batch = shape[0], classes = shape[1];
        var loss = context.AllocateOutput(0, logits.DType, new TensorShape(batch));
        var back = context.AllocateOutput(1, logits.DType, shape);
        switch (logits.DType)
        {
            case DataType.DtFloat: Run<float>(logits, labels, loss, back, batch, classes); break;
            case DataType.DtDouble: Run<double>(logits, labels, loss, back, batch, classes); break;
            default: throw KernelAttrs.BadType(Node, logits.DType);
        }
    }

    private static void Run<T>(Tensor logits, Tensor labels, Tensor loss, Tensor back, int batch, int classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = logits.AsSpan<T>();
        var l = labels.AsSpan<T>();
        var lo = loss.AsSpan<T>();
        var bp = back.AsSpan<T>();
        // A [1, C] or [B, 1] operand is broadcast: pick its row (or single column value) per batch entry.
        bool xRows = logits.Shape[0] != 1, lRows = labels.Shape[0] != 1;
        bool xCols = logits.Shape[1] == classes, lCols = labels.Shape[1] == classes;
        var xbuf = new T[classes];
        var lbuf = new T[classes];
        for (int b = 0; b < batch; b++)
        {
            var xi = Row(x, xRows ? b : 0, xCols, classes, xbuf);
            var li = Row(l, lRows ? b : 0, lCols, classes, lbuf);
            var row = bp.Slice(b * classes, classes);
            var (max, logSum) = ShiftedSoftmax.Row(xi, row);
            T sum = T.Zero;
            for (int j = 0; j < classes; j++) sum += li[j] * (logSum - (xi[j] - max));
            lo[b] = sum;
            TensorPrimitives.Subtract(row, li, row);
        }
    }

    private static ReadOnlySpan<T> Row<T>(ReadOnlySpan<T> data, int row, bool full, int classes, T[] buf)
    {
        if (full) return data.Slice(row * classes, classes);
        Array.Fill(buf, data[row]);
        return buf;
    }
}

/// <summary>SparseSoftmaxCrossEntropyWithLogits.</summary>
internal sealed class SparseSoftmaxXentKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var logits = context.Input(0);
        var labels = context.Input(1);
        if (logits.Shape.Rank != 2) throw Error($"logits must be 2-D, but got shape {logits.Shape}.");
        if (labels.Shape.Rank != 1) throw Error($"labels must be 1-D, but got shape {labels.Shape}.");
        if (labels.Shape[0] != logits.Shape[0])
            throw Error($"logits and labels must have the same first dimension, got logits shape {logits.Shape} and labels shape {labels.Shape}.");
        int batch = logits.Shape[0], classes = logits.Shape[1];
        var ids = labels.DType switch
        {
            DataType.DtInt32 => labels.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
            DataType.DtInt64 => labels.ToArray<long>(),
            _ => throw Error($"labels must be int32 or int64, got {DataTypes.Name(labels.DType)}."),
        };
        for (int b = 0; b < batch; b++)
            if (ids[b] < 0 || ids[b] >= classes)
                throw Error($"Received a label value of {ids[b]} which is outside the valid range of [0, {classes}).  Label values: {string.Join(' ', ids.Take(32))}");
        var loss = context.AllocateOutput(0, logits.DType, new TensorShape(batch));
        var back = context.AllocateOutput(1, logits.DType, logits.Shape);
        switch (logits.DType)
        {
            case DataType.DtFloat: Run<float>(logits, ids, loss, back, batch, classes); break;
            case DataType.DtDouble: Run<double>(logits, ids, loss, back, batch, classes); break;
            default: throw KernelAttrs.BadType(Node, logits.DType);
        }
    }

    private static void Run<T>(Tensor logits, long[] ids, Tensor loss, Tensor back, int batch, int classes) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = logits.AsSpan<T>();
        var lo = loss.AsSpan<T>();
        var bp = back.AsSpan<T>();
        for (int b = 0; b < batch; b++)
        {
            var xi = x.Slice(b * classes, classes);
            var row = bp.Slice(b * classes, classes);
            var (max, logSum) = ShiftedSoftmax.Row(xi, row);
            int id = (int)ids[b];
            lo[b] = logSum - (xi[id] - max);
            row[id] -= T.One;
        }
    }
}

/// <summary>
/// The softmax of one row computed in shifted space, as TF's xent functors do (xent_op.h <c>XentEigenImpl</c>,
/// sparse_xent_op.h <c>SparseXentLossGenerator</c>): loss terms are <c>log Σ exp(x − max) − (x − max)</c>, never
/// <c>(max + log Σ…) − x</c>, which at logits around 1e4 loses every float digit below 1e-3.
/// </summary>
internal static class ShiftedSoftmax
{
    /// <summary>Writes softmax(<paramref name="x"/>) to <paramref name="prob"/>; returns max(x) and log Σ exp(x − max).</summary>
    public static (T Max, T LogSum) Row<T>(ReadOnlySpan<T> x, Span<T> prob) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, prob);
        TensorPrimitives.Exp(prob, prob);
        T total = Simd.OrderedReductions.Sum<T>(prob);
        TensorPrimitives.Divide(prob, total, prob);
        return (max, T.Log(total));
    }
}

/// <summary>L2Loss: output = Σ x² / 2 as a scalar.</summary>
internal sealed class L2LossKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var y = context.AllocateOutput(0, x.DType, TensorShape.Scalar);
        switch (x.DType)
        {
            case DataType.DtFloat: y.AsSpan<float>()[0] = Simd.OrderedReductions.SumOfSquares<float>(x.AsSpan<float>()) / 2; break;
            case DataType.DtDouble: y.AsSpan<double>()[0] = Simd.OrderedReductions.SumOfSquares<double>(x.AsSpan<double>()) / 2; break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }
}
