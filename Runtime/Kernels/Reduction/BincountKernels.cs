using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// Bincount and DenseBincount, following tensorflow/core/kernels/bincount_op.cc (BincountFunctor,
/// BincountReduceFunctor): output bin <c>v</c> counts (or sums the <c>weights</c> of) the entries equal to
/// <c>v</c>; values &gt;= <c>size</c> are dropped, a negative value is an error ("Input arr must be non-negative!"),
/// an empty weights tensor means weight 1, otherwise weights must match arr's size. DenseBincount also takes int64
/// values, <c>binary_output</c> (1 where a value occurs) and a rank-2 input, counted per row into
/// <c>[rows, size]</c>. (TF's rank-2 CPU functor does not check for negative values; we report them as for rank 1.)
/// </summary>
internal sealed class BincountKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Bincount", node => new DelegateKernel(node, ctx => Compute(ctx, dense: false, binary: false)));
        registry.Add("DenseBincount", node =>
        {
            bool binary = node.GetBool("binary_output", false);
            return new DelegateKernel(node, ctx => Compute(ctx, dense: true, binary));
        });
    }

    private static void Compute(OpKernelContext ctx, bool dense, bool binary)
    {
        var arr = ctx.Input(0);
        var sizeT = ctx.Input(1);
        var weights = ctx.Input(2);
        if (sizeT.Shape.Rank != 0) throw ctx.Error($"Shape must be rank 0 but is rank {sizeT.Shape.Rank}");
        if (!dense && arr.DType != DataType.DtInt32) throw ctx.Error($"arr must be int32, got {DataTypes.Name(arr.DType)}.");
        if (arr.DType is not (DataType.DtInt32 or DataType.DtInt64)) throw ctx.Error($"input must be int32 or int64, got {DataTypes.Name(arr.DType)}.");
        long size = IndexValues.Scalar(ctx, 1, "size");
        if (size < 0) throw ctx.Error($"size ({size}) must be non-negative");
        if (size > int.MaxValue) throw ctx.Error($"size ({size}) is too large.");
        int rank = arr.Shape.Rank;
        if (dense && rank > 2) throw ctx.Error($"Shape must be at most rank 2 but is rank {rank}");
        if (dense && rank == 0) throw ctx.Error("input must be rank 1 or 2, got a scalar.");
        var values = arr.DType == DataType.DtInt64 ? arr.ToArray<long>() : Array.ConvertAll(arr.ToArray<int>(), v => (long)v);
        foreach (long v in values) if (v < 0) throw ctx.Error("Input arr must be non-negative!");
        bool weighted = weights.NumElements > 0;
        if (weighted && weights.NumElements != values.Length)
            throw ctx.Error("Input indices and weights must have the same size.");
        var type = weights.DType;
        // Bincount (and rank-1 DenseBincount) counts all of arr into one row; rank-2 DenseBincount counts per row.
        int rows = dense && rank == 2 ? arr.Shape[0] : 1;
        int cols = rows == 0 ? 0 : values.Length / rows;
        var shape = dense && rank == 2 ? new TensorShape(rows, (int)size) : new TensorShape((int)size);
        var sums = new double[rows * size];
        var longSums = new long[rows * size]; // exact for int64 weights
        bool integer = type is DataType.DtInt32 or DataType.DtInt64 or DataType.DtInt16 or DataType.DtInt8 or DataType.DtUint8 or DataType.DtUint16;
        double[] w = weighted && !integer ? ReadDouble(ctx, weights) : [];
        long[] wl = weighted && integer ? ReadLong(ctx, weights) : [];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int i = r * cols + c;
                long v = values[i];
                if (v >= size) continue;
                long slot = r * size + v;
                if (binary) { sums[slot] = 1; longSums[slot] = 1; continue; }
                if (integer) longSums[slot] += weighted ? wl[i] : 1;
                else sums[slot] += weighted ? w[i] : 1;
            }
        var o = ctx.AllocateOutput(0, type, shape);
        switch (type)
        {
            case DataType.DtFloat: { var d = o.AsSpan<float>(); for (int i = 0; i < d.Length; i++) d[i] = (float)sums[i]; break; }
            case DataType.DtDouble: sums.CopyTo(o.AsSpan<double>()); break;
            case DataType.DtHalf: { var d = o.AsSpan<Half>(); for (int i = 0; i < d.Length; i++) d[i] = (Half)sums[i]; break; }
            case DataType.DtInt32: { var d = o.AsSpan<int>(); for (int i = 0; i < d.Length; i++) d[i] = (int)longSums[i]; break; }
            case DataType.DtInt64: longSums.CopyTo(o.AsSpan<long>()); break;
            case DataType.DtInt16: { var d = o.AsSpan<short>(); for (int i = 0; i < d.Length; i++) d[i] = (short)longSums[i]; break; }
            case DataType.DtInt8: { var d = o.AsSpan<sbyte>(); for (int i = 0; i < d.Length; i++) d[i] = (sbyte)longSums[i]; break; }
            case DataType.DtUint8: { var d = o.AsSpan<byte>(); for (int i = 0; i < d.Length; i++) d[i] = (byte)longSums[i]; break; }
            case DataType.DtUint16: { var d = o.AsSpan<ushort>(); for (int i = 0; i < d.Length; i++) d[i] = (ushort)longSums[i]; break; }
            default: throw ctx.Error($"weights of type {DataTypes.Name(type)} are not supported.");
        }
    }

    private static double[] ReadDouble(OpKernelContext ctx, Tensor t) => t.DType switch
    {
        DataType.DtFloat => Array.ConvertAll(t.ToArray<float>(), v => (double)v),
        DataType.DtDouble => t.ToArray<double>(),
        DataType.DtHalf => Array.ConvertAll(t.ToArray<Half>(), v => (double)v),
        _ => throw ctx.Error($"weights of type {DataTypes.Name(t.DType)} are not supported."),
    };

    private static long[] ReadLong(OpKernelContext ctx, Tensor t) => t.DType switch
    {
        DataType.DtInt32 => Array.ConvertAll(t.ToArray<int>(), v => (long)v),
        DataType.DtInt64 => t.ToArray<long>(),
        DataType.DtInt16 => Array.ConvertAll(t.ToArray<short>(), v => (long)v),
        DataType.DtInt8 => Array.ConvertAll(t.ToArray<sbyte>(), v => (long)v),
        DataType.DtUint8 => Array.ConvertAll(t.ToArray<byte>(), v => (long)v),
        DataType.DtUint16 => Array.ConvertAll(t.ToArray<ushort>(), v => (long)v),
        _ => throw ctx.Error($"weights of type {DataTypes.Name(t.DType)} are not supported."),
    };
}
