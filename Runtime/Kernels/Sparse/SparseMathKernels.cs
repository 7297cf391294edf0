using System.Numerics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// Arithmetic on <c>SparseTensor</c>s: <c>SparseAdd</c> (TF's <c>sparse_add_op.cc</c>: a merge of two row-major
/// sorted operands; equal indices are summed and kept only when <c>thresh &lt;= |sum|</c>, lone entries are always
/// kept) and <c>SparseTensorDenseMatMul</c> (TF's <c>sparse_tensor_dense_matmul_op.cc</c>: <c>op(A) · op(B)</c> with
/// A sparse [M, K] and the adjoint flags; out-of-range indices fail naming the entry).
/// </summary>
internal sealed class SparseMathKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("SparseAdd", n => new SparseAddKernel(n));
        registry.Add("SparseTensorDenseMatMul", n => new DenseMatMulKernel(n, n.GetBool("adjoint_a", false), n.GetBool("adjoint_b", false)));
    }

    private sealed class SparseAddKernel(Node node) : NumericKernel(node)
    {
        protected override int TypeInput => 1;

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var a = SparseTriple.Read(ctx, 0, "a");
            var b = SparseTriple.Read(ctx, 3, "b");
            var thresh = ctx.Input(6);
            if (thresh.Shape.Rank != 0) throw ctx.Error($"The magnitude threshold must be a scalar: got shape {thresh.Shape}");
            if (!a.Shape.SequenceEqual(b.Shape))
                throw ctx.Error($"Operands' shapes do not match: A.shape = [{string.Join(",", a.Shape)}] and B.shape = [{string.Join(",", b.Shape)}]");
            if (b.Values.DType != a.Values.DType) throw ctx.Error($"a_values are {DataTypes.Name(a.Values.DType)} but b_values are {DataTypes.Name(b.Values.DType)}.");
            // thresh has the real type of T (Treal); for real T it is T itself.
            double th = Exec.ScalarValues.GetDouble(thresh, 0);
            var av = a.Values.AsSpan<T>();
            var bv = b.Values.AsSpan<T>();
            var fromA = new List<(bool A, int Index)>();
            var sums = new List<T>();
            int i = 0, j = 0;
            while (i < a.Count && j < b.Count)
            {
                int c = a.Compare(i, b, j);
                if (c < 0) { fromA.Add((true, i)); sums.Add(av[i]); i++; }
                else if (c > 0) { fromA.Add((false, j)); sums.Add(bv[j]); j++; }
                else
                {
                    T s = av[i] + bv[j];
                    if (th <= Math.Abs(double.CreateTruncating(s))) { fromA.Add((true, i)); sums.Add(s); }
                    i++;
                    j++;
                }
            }
            for (; i < a.Count; i++) { fromA.Add((true, i)); sums.Add(av[i]); }
            for (; j < b.Count; j++) { fromA.Add((false, j)); sums.Add(bv[j]); }
            int rank = a.Rank;
            var coords = new long[(long)fromA.Count * rank];
            for (int k = 0; k < fromA.Count; k++)
            {
                var src = fromA[k].A ? a : b;
                for (int d = 0; d < rank; d++) coords[(long)k * rank + d] = src.At(fromA[k].Index, d);
            }
            SparseTriple.WriteIndices(ctx, 0, coords, fromA.Count, rank);
            var values = ctx.AllocateOutput(1, a.Values.DType, new TensorShape(sums.Count));
            sums.ToArray().CopyTo(values.AsSpan<T>());
            SparseTriple.WriteVector(ctx, 2, a.Shape);
        }
    }

    private sealed class DenseMatMulKernel(Node node, bool adjointA, bool adjointB) : NumericKernel(node)
    {
        protected override int TypeInput => 1;

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var indicesT = ctx.Input(0);
            var values = ctx.Input(1);
            var b = ctx.Input(3);
            if (indicesT.Shape.Rank != 2 || indicesT.Shape[1] != 2) throw ctx.Error($"Tensor 'a_indices' is not a matrix of [nnz, 2], got {indicesT.Shape}");
            if (values.Shape.Rank != 1 || values.Shape[0] != indicesT.Shape[0])
                throw ctx.Error($"Number of rows of a_indices does not match number of entries in a_values: {indicesT.Shape[0]} vs. {values.Shape}");
            var aShape = SparseTriple.Longs(ctx, ctx.Input(2), "a_shape");
            if (aShape.Length != 2) throw ctx.Error($"Tensor 'a_shape' is not a vector of 2 elements, got {aShape.Length}");
            if (b.Shape.Rank != 2) throw ctx.Error($"Tensor 'b' is not a matrix, got {b.Shape}");
            if (b.DType != values.DType) throw ctx.Error($"b is {DataTypes.Name(b.DType)} but a_values are {DataTypes.Name(values.DType)}.");
            var idx = SparseTriple.Longs(ctx, indicesT, "a_indices");
            long outRows = adjointA ? aShape[1] : aShape[0];
            long lhsInner = adjointA ? aShape[0] : aShape[1];
            int bRows = b.Shape[0], bCols = b.Shape[1];
            int outCols = adjointB ? bRows : bCols;
            int rhsInner = adjointB ? bCols : bRows;
            if (lhsInner != rhsInner)
                throw ctx.Error($"Cannot multiply A and B because inner dimension does not match: {lhsInner} vs. {rhsInner}.  Did you forget a transpose?  Dimensions of A: [{aShape[0]}, {aShape[1]}).  Dimensions of B: {b.Shape}");
            var y = ctx.AllocateOutput(0, b.DType, new TensorShape(checked((int)outRows), outCols));
            var o = y.AsSpan<T>();
            o.Clear();
            var av = values.AsSpan<T>();
            var bv = b.AsSpan<T>();
            for (int i = 0; i < av.Length; i++)
            {
                long r = idx[2L * i], c = idx[2L * i + 1];
                long m = adjointA ? c : r, k = adjointA ? r : c;
                if (m < 0 || m >= outRows) throw ctx.Error($"a_indices[{i}] = [{r},{c}]: row {m} is out of range [0, {outRows})");
                if (k < 0 || k >= lhsInner) throw ctx.Error($"a_indices[{i}] = [{r},{c}]: column {k} is out of range [0, {lhsInner})");
                T s = av[i];
                var row = o.Slice(checked((int)(m * outCols)), outCols);
                if (adjointB)
                    for (int n = 0; n < outCols; n++) row[n] += s * bv[n * bCols + (int)k];
                else
                {
                    var brow = bv.Slice((int)k * bCols, bCols);
                    for (int n = 0; n < outCols; n++) row[n] += s * brow[n];
                }
            }
        }
    }
}
