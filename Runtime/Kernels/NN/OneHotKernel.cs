using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// OneHot: indices (uint8/int32/int64), depth (scalar int32), on_value, off_value (scalars of T), attr
/// <c>axis</c> (−1 = a new last dim). An index outside [0, depth) gives a row of off_value, as TF.
/// Works for every fixed-size T by copying element bytes.
/// </summary>
internal sealed class OneHotKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("OneHot", n => new OneHotKernel(n));
}

/// <summary>One OneHot node.</summary>
internal sealed class OneHotKernel(Node node) : OpKernel(node)
{
    private readonly int _axis = (int)node.GetInt("axis", -1);

    public override void Compute(OpKernelContext context)
    {
        var indices = context.Input(0);
        var depthT = context.Input(1);
        var on = context.Input(2);
        var off = context.Input(3);
        if (depthT.NumElements != 1) throw Error($"depth must be a scalar, got shape {depthT.Shape}.");
        long depth = depthT.DType == DataType.DtInt64 ? depthT.Scalar<long>() : depthT.Scalar<int>();
        if (depth < 0) throw Error($"depth must be non-negative, got: {depth}.");
        if (on.NumElements != 1 || off.NumElements != 1) throw Error($"on_value and off_value must be scalars, got {on.Shape} and {off.Shape}.");
        if (on.DType != off.DType) throw Error($"on_value and off_value dtypes differ: {DataTypes.Name(on.DType)} vs. {DataTypes.Name(off.DType)}.");
        int rank = indices.Shape.Rank;
        int axis = _axis == -1 ? rank : _axis;
        if (axis < 0 || axis > rank) throw Error($"Expected axis to be -1 or between [0, {rank}].  But received: {_axis}.");
        var dims = indices.Shape.ToArray().ToList();
        dims.Insert(axis, (int)depth);
        long[] idx = indices.DType switch
        {
            DataType.DtInt32 => indices.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
            DataType.DtInt64 => indices.ToArray<long>(),
            DataType.DtUint8 => indices.AsSpan<byte>().ToArray().Select(v => (long)v).ToArray(),
            _ => throw Error($"indices must be uint8, int32 or int64, got {DataTypes.Name(indices.DType)}."),
        };
        var y = context.AllocateOutput(0, on.DType, new TensorShape(dims.ToArray()));
        // Output viewed as [prefix, depth, suffix], where prefix·suffix = number of indices.
        long prefix = 1, suffix = 1;
        for (int d = 0; d < axis; d++) prefix *= indices.Shape[d];
        for (int d = axis; d < rank; d++) suffix *= indices.Shape[d];
        if (on.DType == DataType.DtString)
        {
            var ys = y.Strings;
            for (long i = 0; i < ys.Length; i++) ys[i] = off.Strings[0];
            for (long p = 0; p < prefix; p++)
                for (long s = 0; s < suffix; s++)
                {
                    long v = idx[p * suffix + s];
                    if (v >= 0 && v < depth) ys[(p * depth + v) * suffix + s] = on.Strings[0];
                }
            return;
        }
        int es = DataTypes.ElementSize(on.DType);
        var ob = on.Bytes;
        var fb = off.Bytes;
        var yb = y.Bytes;
        for (long i = 0; i < y.NumElements; i++) fb.CopyTo(yb.Slice((int)(i * es), es));
        for (long p = 0; p < prefix; p++)
            for (long s = 0; s < suffix; s++)
            {
                long v = idx[p * suffix + s];
                if (v >= 0 && v < depth) ob.CopyTo(yb.Slice((int)(((p * depth + v) * suffix + s) * es), es));
            }
    }
}
