namespace TypedGraph.Onnx.Conversion;

/// <summary>Transposes and reshapes constant tensors at export time (weights into ONNX's layouts).</summary>
internal static class TensorPermute
{
    /// <summary>out[i_perm[0], …] = in[i_0, …]: the result's dim k is the input's dim perm[k] (numpy.transpose).</summary>
    public static Tensor Permute(Tensor t, int[] perm)
    {
        int rank = t.Shape.Rank;
        if (perm.Length != rank) throw new ArgumentException($"perm has {perm.Length} entries for a rank-{rank} tensor.");
        var inDims = t.Shape.ToArray();
        var outDims = perm.Select(p => inDims[p]).ToArray();
        var result = Tensor.Zeros(t.DType, new TensorShape(outDims));
        int size = DataTypes.ElementSize(t.DType);
        var inStrides = new long[rank];
        long s = 1;
        for (int k = rank - 1; k >= 0; k--) { inStrides[k] = s; s *= inDims[k]; }
        var src = t.Bytes;
        var dst = result.Bytes;
        var idx = new int[rank];
        long n = t.NumElements;
        for (long o = 0; o < n; o++)
        {
            long from = 0;
            for (int k = 0; k < rank; k++) from += idx[k] * inStrides[perm[k]];
            src.Slice((int)(from * size), size).CopyTo(dst.Slice((int)(o * size), size));
            for (int k = rank - 1; k >= 0; k--)
            {
                if (++idx[k] < outDims[k]) break;
                idx[k] = 0;
            }
        }
        return result;
    }
}
