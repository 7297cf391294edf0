using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// UnsortedSegmentSum: <c>out[ids[i], …] += data[i, …]</c> for <c>num_segments</c> rows — the dense gradient of
/// Gather. Ids outside [0, num_segments) are skipped, as TF's CPU kernel drops negative ids and rejects large
/// ones (here: an error naming the id). Registered only when no other kernel set provides it.
/// </summary>
internal sealed class SegmentKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        if (!registry.IsSupported("UnsortedSegmentSum")) registry.Add("UnsortedSegmentSum", n => new UnsortedSegmentSumKernel(n));
    }

    private sealed class UnsortedSegmentSumKernel(Node node) : OpKernel(node)
    {
        public override void Compute(OpKernelContext context)
        {
            var data = context.Input(0);
            var ids = context.Input(1);
            var nt = context.Input(2);
            long n = nt.DType == DataType.DtInt64 ? nt.Scalar<long>() : nt.Scalar<int>();
            var idv = ids.DType == DataType.DtInt64 ? ids.ToArray<long>() : ids.ToArray<int>().Select(v => (long)v).ToArray();
            if (data.Shape.Rank < ids.Shape.Rank || !data.Shape.Dims[..ids.Shape.Rank].SequenceEqual(ids.Shape.Dims))
                throw Error($"segment_ids shape {ids.Shape} must be a prefix of data shape {data.Shape}.");
            var outDims = new List<int> { checked((int)n) };
            outDims.AddRange(data.Shape.Dims[ids.Shape.Rank..].ToArray());
            var y = context.AllocateOutput(0, data.DType, new TensorShape(outDims.ToArray()));
            long inner = idv.Length == 0 ? 0 : data.NumElements / idv.Length;
            switch (data.DType)
            {
                case DataType.DtFloat: Sum(data.AsSpan<float>(), y.AsSpan<float>(), idv, n, inner); break;
                case DataType.DtDouble: Sum(data.AsSpan<double>(), y.AsSpan<double>(), idv, n, inner); break;
                case DataType.DtInt32: Sum(data.AsSpan<int>(), y.AsSpan<int>(), idv, n, inner); break;
                default: throw KernelAttrs.BadType(Node, data.DType);
            }
        }

        private void Sum<T>(ReadOnlySpan<T> data, Span<T> y, long[] ids, long n, long inner) where T : unmanaged, System.Numerics.INumber<T>
        {
            y.Clear();
            for (int i = 0; i < ids.Length; i++)
            {
                if (ids[i] < 0) continue;
                if (ids[i] >= n) throw Error($"segment id {ids[i]} at position {i} is out of range [0, {n}).");
                var src = data.Slice((int)(i * inner), (int)inner);
                var dst = y.Slice((int)(ids[i] * inner), (int)inner);
                for (int k = 0; k < src.Length; k++) dst[k] += src[k];
            }
        }
    }
}
