using System.Numerics;
using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Reduction;

/// <summary>
/// ArgMax / ArgMin along the axis given by input 1 (scalar, may be negative); output dtype from
/// <c>output_type</c> (int64 by default, or int32). Ties resolve to the smallest index, as TF's.
/// </summary>
internal sealed class ArgMinMaxKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ArgMax", n => new ArgKernel(n, max: true));
        registry.Add("ArgMin", n => new ArgKernel(n, max: false));
    }
}

/// <summary>One ArgMax / ArgMin node.</summary>
internal sealed class ArgKernel : OpKernel
{
    private readonly bool _max;
    private readonly DataType _outType;

    public ArgKernel(Node node, bool max) : base(node)
    {
        _max = max;
        _outType = node.GetType("output_type", DataType.DtInt64);
        if (_outType != DataType.DtInt32 && _outType != DataType.DtInt64)
            throw Error($"output_type must be int32 or int64, got {DataTypes.Name(_outType)}.");
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var axisT = context.Input(1);
        if (axisT.NumElements != 1) throw Error($"dimension must be a scalar, got shape {axisT.Shape}.");
        long axis = axisT.DType == DataType.DtInt64 ? axisT.Scalar<long>() : axisT.Scalar<int>();
        int rank = x.Shape.Rank;
        if (axis < -rank || axis >= rank) throw Error($"Expected dimension in the range [{-rank}, {rank}), but got {axis}.");
        int ax = (int)(axis < 0 ? axis + rank : axis);
        int len = x.Shape[ax];
        var outDims = x.Shape.ToArray().Where((_, i) => i != ax).ToArray();
        var y = context.AllocateOutput(0, _outType, new TensorShape(outDims));
        if (y.NumElements == 0) return;
        if (len == 0) throw Error($"Reduction axis {ax} is empty in shape {x.Shape}.");
        long inner = 1;
        for (int d = ax + 1; d < rank; d++) inner *= x.Shape[d];
        long outer = y.NumElements / inner;
        var result = new long[y.NumElements];
        switch (x.DType)
        {
            case DataType.DtFloat: Run<float>(x.AsSpan<float>(), result, outer, len, inner, _max); break;
            case DataType.DtDouble: Run<double>(x.AsSpan<double>(), result, outer, len, inner, _max); break;
            case DataType.DtInt32: Run<int>(x.AsSpan<int>(), result, outer, len, inner, _max); break;
            case DataType.DtInt64: Run<long>(x.AsSpan<long>(), result, outer, len, inner, _max); break;
            case DataType.DtUint8: Run<byte>(x.AsSpan<byte>(), result, outer, len, inner, _max); break;
            case DataType.DtInt16: Run<short>(x.AsSpan<short>(), result, outer, len, inner, _max); break;
            case DataType.DtInt8: Run<sbyte>(x.AsSpan<sbyte>(), result, outer, len, inner, _max); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
        if (_outType == DataType.DtInt64) result.CopyTo(y.AsSpan<long>());
        else
        {
            var o = y.AsSpan<int>();
            for (int i = 0; i < result.Length; i++) o[i] = (int)result[i];
        }
    }

    internal static void Run<T>(ReadOnlySpan<T> x, long[] result, long outer, int len, long inner, bool max) where T : unmanaged, INumber<T>
    {
        for (long o = 0; o < outer; o++)
        {
            if (inner == 1 && !(typeof(T) == typeof(float) || typeof(T) == typeof(double)))
            {
                // Integers have no NaN, so the vectorized first-index search matches TF exactly.
                var row = x.Slice((int)(o * len), len);
                result[o] = max ? TensorPrimitives.IndexOfMax(row) : TensorPrimitives.IndexOfMin(row);
                continue;
            }
            for (long i = 0; i < inner; i++)
            {
                long baseIdx = o * len * inner + i;
                T best = x[(int)baseIdx];
                int bi = 0;
                for (int j = 1; j < len; j++)
                {
                    T v = x[(int)(baseIdx + j * inner)];
                    if (max ? v > best : v < best)
                    {
                        best = v;
                        bi = j;
                    }
                }
                result[o * inner + i] = bi;
            }
        }
    }
}
