using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Softmax and LogSoftmax over the last dim (rank ≥ 1), float and double, computed stably by
/// subtracting each row's max first, as TF's <c>SoftmaxEigenImpl</c>.
/// </summary>
internal sealed class SoftmaxKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Softmax", n => new SoftmaxKernel(n, log: false));
        registry.Add("LogSoftmax", n => new SoftmaxKernel(n, log: true));
    }

    /// <summary>dst = softmax(src) (or log-softmax) of one row; returns log Σ exp(src) (the row's log-normalizer).</summary>
    internal static T Row<T>(ReadOnlySpan<T> src, Span<T> dst, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max(src);
        TensorPrimitives.Subtract(src, max, dst);
        if (log)
        {
            // log softmax = (x - max) - log Σ exp(x - max); dst holds x - max, so exp it into a scratch-free pass.
            T sum = T.Zero;
            foreach (var v in dst) sum += T.Exp(v);
            T logSum = T.Log(sum);
            TensorPrimitives.Subtract(dst, logSum, dst);
            return max + logSum;
        }
        TensorPrimitives.Exp(dst, dst);
        T total = Simd.OrderedReductions.Sum<T>(dst);
        // Times the reciprocal of the sum, as TF's SoftmaxEigenImpl (core/kernels/softmax_op_functor.h: softmax * sum.inverse()).
        TensorPrimitives.Multiply(dst, T.One / total, dst);
        return max + T.Log(total);
    }
}

/// <summary>One Softmax / LogSoftmax node.</summary>
internal sealed class SoftmaxKernel(Node node, bool log) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.Shape.Rank < 1) throw Error($"logits must have >= 1 dimension, got {x.Shape}.");
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        int c = x.Shape[-1];
        if (x.NumElements == 0) return;
        switch (x.DType)
        {
            case DataType.DtFloat: Run<float>(x, y, c); break;
            case DataType.DtDouble: Run<double>(x, y, c); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }

    // Rows shorter than this (class scores, e.g. 10 logits) are done a block at a time: five vector calls per
    // 10-value row cost more in call overhead than the arithmetic.
    private const int ShortRow = 64;

    /// <summary>Softmax of many short rows: per-row max subtracted, one vectorized exp over the whole block, then
    /// each row times the reciprocal of its sum (same operations as <see cref="SoftmaxKernels.Row{T}"/>, summed in row order).</summary>
    private static void ShortRows<T>(ReadOnlySpan<T> xs, Span<T> ys, int c) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int o = 0; o < xs.Length; o += c)
        {
            var row = xs.Slice(o, c);
            // The row max, NaN if any value is NaN (as TensorPrimitives.Max, so a NaN row stays all NaN).
            T max = row[0];
            for (int i = 1; i < c && !T.IsNaN(max); i++)
                if (T.IsNaN(row[i]) || row[i] > max) max = row[i];
            var dst = ys.Slice(o, c);
            for (int i = 0; i < c; i++) dst[i] = row[i] - max;
        }
        // float: VectorExp gives each value the same bits however many rows are in the block, so a fused kernel's row
        // parts (MatMulChainKernel) equal this op run on all rows at once.
        if (typeof(T) == typeof(float)) Simd.VectorExp.Exp(MemoryMarshal.Cast<T, float>(ys), MemoryMarshal.Cast<T, float>(ys));
        else TensorPrimitives.Exp(ys, ys);
        for (int o = 0; o < ys.Length; o += c)
        {
            var dst = ys.Slice(o, c);
            T total = T.Zero;
            for (int i = 0; i < c; i++) total += dst[i];
            T inverse = T.One / total; // as SoftmaxKernels.Row
            for (int i = 0; i < c; i++) dst[i] *= inverse;
        }
    }

    /// <summary>Softmax (or log-softmax) of whole rows of <paramref name="c"/> values, <paramref name="xs"/> into
    /// <paramref name="ys"/>, on the calling thread. Every row's result depends only on that row, so any split of the
    /// rows into blocks gives the same bits (the fused <c>MatMulChainKernel</c>'s row parts rely on it).</summary>
    internal static void Rows<T>(ReadOnlySpan<T> xs, Span<T> ys, int c, bool isLog) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!isLog && c < ShortRow)
        {
            ShortRows(xs, ys, c);
            return;
        }
        for (int o = 0; o < xs.Length; o += c)
            SoftmaxKernels.Row(xs.Slice(o, c), ys.Slice(o, c), isLog);
    }

    private void Run<T>(Tensor x, Tensor y, int c) where T : unmanaged, IFloatingPointIeee754<T> => RunParallel<T>(x, y, c, log);

    /// <summary>Softmax (or log-softmax) of every row of <paramref name="x"/> into <paramref name="y"/>, rows split across the cores when there are many.</summary>
    internal static void RunParallel<T>(Tensor x, Tensor y, int c, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Static lambda with the data as state: no closure allocated per run.
        Workers.For(x.NumElements / c, Math.Max(1, (1 << 14) / c), (x, y, c, isLog: log), static (st, s, e) =>
        {
            var (x, y, c, isLog) = st;
            Rows(x.AsSpan<T>().Slice((int)(s * c), (int)((e - s) * c)), y.AsSpan<T>().Slice((int)(s * c), (int)((e - s) * c)), c, isLog);
        });
    }
}
