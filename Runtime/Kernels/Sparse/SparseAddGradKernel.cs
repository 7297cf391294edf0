using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// <c>SparseAddGrad(backprop_val_grad, a_indices, b_indices, sum_indices) → (a_val_grad, b_val_grad)</c>, TF's
/// <c>sparse_add_grad_op.cc</c>: the gradient of <c>SparseAdd</c>'s sum values routed to the a and b entries whose
/// index each sum entry has (both, where a and b shared it); entries the sum dropped (|a + b| below thresh) get 0. The
/// three index lists are walked together in row-major order exactly as TF's merge does it. Values are copied as they
/// are, so every dtype SparseAdd takes works.
/// </summary>
internal sealed class SparseAddGradKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("SparseAddGrad", node => new DelegateKernel(node, ctx =>
    {
        var grad = ctx.Input(0);
        Tensor a = ctx.Input(1), b = ctx.Input(2), sum = ctx.Input(3);
        if (a.Shape.Rank != 2 || b.Shape.Rank != 2 || sum.Shape.Rank != 2)
            throw ctx.Error($"Input indices should be matrices but received shapes: {a.Shape} and {b.Shape} and {sum.Shape}");
        if (grad.Shape.Rank != 1) throw ctx.Error($"Input backprop_val_grad should be a vector but received shape: {grad.Shape}");
        if (a.Shape[1] != b.Shape[1] || b.Shape[1] != sum.Shape[1])
            throw ctx.Error($"The densified operands should have the same ndims; for A, B, sum got: {a.Shape[1]}{b.Shape[1]}{sum.Shape[1]}");
        if (grad.NumElements != sum.Shape[0])
            throw ctx.Error($"# elements of backprop_val_grad and # rows of sum_indices should match (#nnz of sum): got {grad.NumElements} and {sum.Shape[0]}");
        foreach (var t in new[] { a, b, sum })
            if (t.DType != DataType.DtInt64) throw ctx.Error($"indices must be int64, got {DataTypes.Name(t.DType)}.");
        int dims = a.Shape[1], aNnz = a.Shape[0], bNnz = b.Shape[0], sumNnz = sum.Shape[0];
        var ai = a.AsSpan<long>();
        var bi = b.AsSpan<long>();
        var si = sum.AsSpan<long>();
        // Zeros first (entries the sum dropped keep them), then copies of whole elements.
        var aGrad = Tensor.Zeros(grad.DType, new TensorShape(aNnz));
        var bGrad = Tensor.Zeros(grad.DType, new TensorShape(bNnz));
        int size = grad.DType == DataType.DtString ? throw ctx.Error("SparseAddGrad does not take strings.") : DataTypes.ElementSize(grad.DType);
        var g = grad.Bytes;

        // sparse::DimComparator::cmp: −1, 0, 1 as row x of `x` sorts before, equal to, after row y of `y`.
        static int Compare(ReadOnlySpan<long> x, int row, ReadOnlySpan<long> y, int other, int dims)
        {
            for (int d = 0; d < dims; d++)
            {
                long p = x[row * dims + d], q = y[other * dims + d];
                if (p < q) return -1;
                if (p > q) return 1;
            }
            return 0;
        }

        // One COMPARE step of TF's merge: an equal index takes sum entry k's gradient and moves on; a smaller one (dropped
        // from the sum) moves on and says so; a larger one waits.
        static bool Step(ReadOnlySpan<long> x, ref int idx, ReadOnlySpan<long> s, int k, int dims, Span<byte> dst, ReadOnlySpan<byte> g, int size)
        {
            switch (Compare(x, idx, s, k, dims))
            {
                case 0:
                    g.Slice(k * size, size).CopyTo(dst.Slice(idx * size, size));
                    idx++;
                    return true;
                case -1:
                    idx++;
                    return false;
                default:
                    return true;
            }
        }

        int i = 0, j = 0, k = 0;
        var ad = aGrad.Bytes;
        var bd = bGrad.Bytes;
        while (i < aNnz && j < bNnz && k < sumNnz)
        {
            bool aGeq = Step(ai, ref i, si, k, dims, ad, g, size);
            bool bGeq = Step(bi, ref j, si, k, dims, bd, g, size);
            if (aGeq && bGeq) k++;
        }
        while (i < aNnz && k < sumNnz)
            if (Step(ai, ref i, si, k, dims, ad, g, size)) k++;
        while (j < bNnz && k < sumNnz)
            if (Step(bi, ref j, si, k, dims, bd, g, size)) k++;
        ctx.SetOutput(0, aGrad);
        ctx.SetOutput(1, bGrad);
    }));
}
