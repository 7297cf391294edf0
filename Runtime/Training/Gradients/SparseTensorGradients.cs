using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of SparseTensor ops after TF's <c>sparse_grad.py</c>: <c>SparseTensorDenseMatMul</c> (the dense operand's
/// gradient is another SparseTensorDenseMatMul with <c>adjoint_a</c> flipped, transposed back — conjugated — when
/// <c>adjoint_b</c>; each stored value's gradient the dot product of the incoming gradient's row and the dense operand's
/// row its index pairs them with, as batched 1×n · n×1 products with TF's adjoints, so complex values get the conjugates
/// TF's current version gives them), <c>SparseAdd</c> (through the <c>SparseAddGrad</c> op), <c>SparseToDense</c> and
/// <c>SparseReorder</c> (the
/// values' gradient gathered back through the inverse of the reordering, which is found by reordering the entry numbers
/// 0..n−1).
/// </summary>
internal static class SparseTensorGradients
{
    public static void Register()
    {
        GradientRegistry.Register("SparseTensorDenseMatMul", (c, op, g) =>
        {
            var b = c.Builder;
            var indices = c.In(op, 0);
            var values = c.In(op, 1);
            var dense = c.In(op, 3);
            if (values.BaseType != dense.BaseType)
                throw new NotSupportedException($"Gradient of '{op.Name}' (SparseTensorDenseMatMul): operands of different types, {values.BaseType} and {dense.BaseType}.");
            bool adjA = op.GetBool("adjoint_a", false), adjB = op.GetBool("adjoint_b", false);
            var grad = g[0]!.Value;

            var denseGrad = b.OutputOf(b.AddOperation("SparseTensorDenseMatMul", [indices, values, c.In(op, 2), grad],
                new Dictionary<string, AttrValue> { ["adjoint_a"] = Attrs.Bool(!adjA), ["adjoint_b"] = Attrs.Bool(false) }, "SparseTensorDenseMatMul"));
            // array_ops.matrix_transpose(conjugate=True): a ConjugateTranspose for complex, a Transpose otherwise.
            if (adjB) denseGrad = ComplexGradients.Conj(c, b.Transpose(denseGrad, [1, 0], "transpose"));

            var rows = b.Gather(indices, b.Constant(0, "rows/index"), axis: 1, name: "rows");
            var cols = b.Gather(indices, b.Constant(1, "cols/index"), axis: 1, name: "cols");
            var partsA = b.Gather(grad, adjA ? cols : rows, name: "GatherV2");
            var partsB = b.Gather(adjB ? b.Transpose(dense, [1, 0], "transpose_1") : dense, adjA ? rows : cols, name: "GatherV2_1");
            // [nnz, 1, n]·[nnz, n, 1] in each of TF's four forms (adjoints conjugate complex values).
            var product = (adjA, adjB) switch
            {
                (false, false) => b.BatchMatMul(b.ExpandDims(partsA, -2), b.ExpandDims(partsB, -2), adjY: true),
                (true, false) => b.BatchMatMul(b.ExpandDims(partsA, -1), b.ExpandDims(partsB, -1), adjX: true),
                (false, true) => b.BatchMatMul(b.ExpandDims(partsA, -2), b.ExpandDims(partsB, -1)),
                (true, true) => b.BatchMatMul(b.ExpandDims(partsA, -1), b.ExpandDims(partsB, -2), adjX: true, adjY: true),
            };
            return [null, b.Squeeze(product, [-2, -1]), null, denseGrad];
        });

        // _SparseAddGrad: the sum values' gradient split back onto a's and b's entries by SparseAddGrad, which walks the
        // three index lists (the sum's from the op's own output).
        GradientRegistry.Register("SparseAdd", (c, op, g) =>
        {
            var b = c.Builder;
            var valuesGrad = g.Length > 1 && g[1] is { } vg ? vg : b.ZerosLike(c.Out(op, 1));
            var split = b.AddOperation("SparseAddGrad", [valuesGrad, c.In(op, 0), c.In(op, 3), c.Out(op, 0)], null, "SparseAddGrad");
            return [null, b.OutputOf(split, 0), null, null, b.OutputOf(split, 1), null, null];
        });
        GradientRegistry.NotDifferentiable("SparseAddGrad");

        // _SparseToDenseGrad: the values' gradient read back at their indices (GatherNd), the default value's the rest of
        // the gradient's sum; zeros for the integer indices and shape, as TF returns.
        GradientRegistry.Register("SparseToDense", (c, op, g) =>
        {
            var b = c.Builder;
            var grad = g[0]!.Value;
            var indices = c.In(op, 0);
            var valuesGrad = b.OutputOf(b.AddOperation("GatherNd", [grad, indices], null, "GatherNd"));
            var defaultGrad = b.Subtract(b.ReduceSum(grad, name: "Sum"), b.ReduceSum(valuesGrad, name: "Sum_1"), "sub");
            return [b.ZerosLike(indices), b.ZerosLike(c.In(op, 1), "zeros_like_1"), valuesGrad, defaultGrad];
        });

        GradientRegistry.Register("SparseReorder", (c, op, g) =>
        {
            var b = c.Builder;
            var indices = c.In(op, 0);
            var count = b.Reshape(b.Slice(b.Shape(indices, "Shape"), b.Constant(new[] { 0 }, "Slice/begin"), b.Constant(new[] { 1 }, "Slice/size")), Array.Empty<int>(), "num_entries");
            var entries = b.OutputOf(b.AddOperation("Range", [b.Constant(0, "range/start"), count, b.Constant(1, "range/delta")], null, "range"));
            var reordered = b.AddOperation("SparseReorder", [indices, entries, c.In(op, 2)], null, "SparseReorder");
            var inverse = b.OutputOf(b.AddOperation("InvertPermutation", [b.OutputOf(reordered, 1)], null, "InvertPermutation"));
            var valuesGrad = g.Length > 1 && g[1] is { } vg ? vg : b.ZerosLike(c.Out(op, 1));
            return [null, b.Gather(valuesGrad, inverse, name: "GatherV2"), null];
        });
    }
}
