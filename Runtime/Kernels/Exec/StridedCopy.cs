using System.Runtime.InteropServices;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// The one data-movement primitive behind Slice, StridedSlice, Transpose, Pad, Concat, Split, Pack and
/// Unpack: copy a <c>dims</c>-shaped box of elements from <c>src</c> (start offset + per-dim element strides,
/// which may be negative) to <c>dst</c> (same). Runs of contiguous elements on the last dim are block copies.
/// Works for every dtype: fixed-size elements are moved as 1/2/4/8/16-byte units, strings as references.
/// </summary>
internal static class StridedCopy
{
    /// <summary>Copies the box; strides and offsets are in elements.</summary>
    public static void Run(Tensor src, long srcBase, ReadOnlySpan<long> srcStrides, Tensor dst, long dstBase, ReadOnlySpan<long> dstStrides, ReadOnlySpan<int> dims)
    {
        foreach (var d in dims)
            if (d == 0) return;
        if (src.DType == DataType.DtString)
        {
            Core<byte[]>(src.Strings, srcBase, srcStrides, dst.Strings, dstBase, dstStrides, dims);
            return;
        }
        switch (DataTypes.ElementSize(src.DType))
        {
            case 1: Core<byte>(src.Bytes, srcBase, srcStrides, dst.Bytes, dstBase, dstStrides, dims); break;
            case 2: Core<short>(MemoryMarshal.Cast<byte, short>(src.Bytes), srcBase, srcStrides, MemoryMarshal.Cast<byte, short>(dst.Bytes), dstBase, dstStrides, dims); break;
            case 4: Core<int>(MemoryMarshal.Cast<byte, int>(src.Bytes), srcBase, srcStrides, MemoryMarshal.Cast<byte, int>(dst.Bytes), dstBase, dstStrides, dims); break;
            case 8: Core<long>(MemoryMarshal.Cast<byte, long>(src.Bytes), srcBase, srcStrides, MemoryMarshal.Cast<byte, long>(dst.Bytes), dstBase, dstStrides, dims); break;
            case 16: Core<Int128>(MemoryMarshal.Cast<byte, Int128>(src.Bytes), srcBase, srcStrides, MemoryMarshal.Cast<byte, Int128>(dst.Bytes), dstBase, dstStrides, dims); break;
            default: throw new NotSupportedException($"Cannot copy {DataTypes.Name(src.DType)} elements.");
        }
    }

    /// <summary>Row-major element strides of a shape.</summary>
    public static long[] Strides(ReadOnlySpan<int> dims)
    {
        var s = new long[dims.Length];
        long acc = 1;
        for (int i = dims.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= dims[i];
        }
        return s;
    }

    private static void Core<T>(Span<T> src, long srcBase, ReadOnlySpan<long> srcStrides, Span<T> dst, long dstBase, ReadOnlySpan<long> dstStrides, ReadOnlySpan<int> dims)
    {
        int rank = dims.Length;
        if (rank == 0)
        {
            dst[(int)dstBase] = src[(int)srcBase];
            return;
        }
        int last = rank - 1;
        int n = dims[last];
        long ss = srcStrides[last], ds = dstStrides[last];
        Span<int> idx = stackalloc int[rank];
        long so = srcBase, dO = dstBase;
        while (true)
        {
            if (ss == 1 && ds == 1) src.Slice((int)so, n).CopyTo(dst.Slice((int)dO, n));
            else
            {
                long s = so, d = dO;
                for (int i = 0; i < n; i++, s += ss, d += ds) dst[(int)d] = src[(int)s];
            }
            // Odometer over the outer dims.
            int k = last - 1;
            while (k >= 0)
            {
                so += srcStrides[k];
                dO += dstStrides[k];
                if (++idx[k] < dims[k]) break;
                so -= srcStrides[k] * dims[k];
                dO -= dstStrides[k] * dims[k];
                idx[k] = 0;
                k--;
            }
            if (k < 0) return;
        }
    }
}
