using System.Numerics;
using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// BiasAdd (data_format NHWC: bias over the last dim; NCHW: over dim 1) and the legacy BiasAddV1
/// (always the last dim). float, double, int32 and int64.
/// </summary>
internal sealed class BiasAddKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("BiasAdd", n => new BiasAddKernel(n, KernelAttrs.IsNchw(n)));
        registry.Add("BiasAddV1", n => new BiasAddKernel(n, false));
    }
}

/// <summary>One BiasAdd node.</summary>
internal sealed class BiasAddKernel(Node node, bool nchw) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var bias = context.Input(1);
        if (x.DType != bias.DType) throw Error($"value and bias dtypes differ: {DataTypes.Name(x.DType)} vs. {DataTypes.Name(bias.DType)}.");
        if (bias.Shape.Rank != 1) throw Error($"Biases must be 1D: {bias.Shape}.");
        if (x.Shape.Rank < 2) throw Error($"Input tensor must be at least 2D: {x.Shape}.");
        int channelDim = nchw ? 1 : x.Shape.Rank - 1;
        int c = x.Shape[channelDim];
        if (bias.Shape[0] != c)
            throw Error($"Must provide as many biases as the channel dimension of the input tensor: {bias.Shape} vs. {x.Shape} in {(nchw ? "NCHW" : "NHWC")}.");
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        // NHWC: rows of c values each get the bias row. NCHW: each [n, c] plane of `inner` values gets bias[c].
        long inner = 1;
        for (int d = channelDim + 1; d < x.Shape.Rank; d++) inner *= x.Shape[d];
        switch (x.DType)
        {
            case DataType.DtFloat: Run<float>(x, bias, y, c, inner); break;
            case DataType.DtDouble: Run<double>(x, bias, y, c, inner); break;
            case DataType.DtInt32: Run<int>(x, bias, y, c, inner); break;
            case DataType.DtInt64: Run<long>(x, bias, y, c, inner); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }

    private static void Run<T>(Tensor x, Tensor bias, Tensor y, int c, long inner) where T : unmanaged, INumber<T>
    {
        long n = x.NumElements;
        if (n == 0) return;
        if (inner == 1)
        {
            long rows = n / c;
            // Static lambdas with the data as state: no closure allocated per run.
            Workers.For(rows, Math.Max(1, (1 << 15) / Math.Max(1, c)), (x, bias, y, c), static (st, s, e) =>
            {
                var (x, bias, y, c) = st;
                var xs = x.AsSpan<T>();
                var ys = y.AsSpan<T>();
                var b = bias.AsSpan<T>();
                for (long r = s; r < e; r++)
                    TensorPrimitives.Add(xs.Slice((int)(r * c), c), b, ys.Slice((int)(r * c), c));
            });
            return;
        }
        long planes = n / inner;
        Workers.For(planes, Math.Max(1, (1 << 15) / inner), (x, bias, y, c, inner), static (st, s, e) =>
        {
            var (x, bias, y, c, inner) = st;
            var xs = x.AsSpan<T>();
            var ys = y.AsSpan<T>();
            var b = bias.AsSpan<T>();
            for (long p = s; p < e; p++)
                TensorPrimitives.Add(xs.Slice((int)(p * inner), (int)inner), b[(int)(p % c)], ys.Slice((int)(p * inner), (int)inner));
        });
    }
}
