using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the embedding/sparse ops, after TF's <c>resource_variable_ops.py</c> (<c>_GatherGrad</c>: an
/// <see cref="IndexedSlices"/> of the flattened indices and the gradient reshaped to [N] + row shape),
/// <c>math_grad.py</c> (<c>_SparseSegment{Sum,Mean,SqrtN}Grad</c> through the SparseSegment*Grad ops) and
/// <c>array_grad.py</c> (<c>_GatherNdGrad</c>: ScatterNd of the gradient into params' shape).
/// </summary>
internal static class SparseOpGradients
{
    public static void Register()
    {
        GradientRegistry.Register("ResourceGather", (c, op, g) =>
        {
            var b = c.Builder;
            if (op.GetInt("batch_dims", 0) != 0) throw new NotSupportedException($"Gradient of '{op.Name}' (ResourceGather) is implemented for batch_dims 0 only.");
            // The variable's static shape (VarHandleOp's shape attr) gives the dense shape; TF reads it with VariableShape.
            var handle = b.Graph.GetNode(op.Inputs[0].NodeName);
            var shapeProto = handle.GetShape("shape");
            if (handle.Op != "VarHandleOp" || shapeProto == null || shapeProto.UnknownRank || shapeProto.Dim.Any(d => d.Size < 0))
                throw new NotSupportedException($"Gradient of '{op.Name}' (ResourceGather) needs a VarHandleOp with a fully known shape as its resource input.");
            var dims = shapeProto.Dim.Select(d => checked((int)d.Size)).ToArray();
            var denseShape = b.Constant(dims, "Shape");
            var indices = c.In(op, 1);
            var flatIdx = b.Reshape(indices, [-1], "Reshape");
            var valuesShape = b.OutputOf(b.AddOperation("ConcatV2", [b.Constant(new[] { -1 }, "concat/values_0"), b.Constant(dims[1..], "strided_slice"), b.Constant(0, "concat/axis")], null, "concat"));
            var values = b.Reshape(g[0]!.Value, valuesShape, "Reshape_1");
            var dense = b.OutputOf(b.AddOperation("UnsortedSegmentSum", [values, flatIdx, b.Constant(dims[0], "num_segments")], null, "UnsortedSegmentSum"));
            return [SparseGradients.Record(b, dense, new IndexedSlices(values, flatIdx, denseShape)), null];
        });
        foreach (var kind in new[] { "Sum", "Mean", "SqrtN" })
        {
            GradientFunction fn = (c, op, g) =>
            {
                var b = c.Builder;
                var data = c.In(op, 0);
                var rows = b.Reshape(b.Slice(b.Shape(data), b.Constant(new[] { 0 }, "Slice/begin"), b.Constant(new[] { 1 }, "Slice/size"), "Slice"), Array.Empty<int>(), "dim0");
                var grad = b.OutputOf(b.AddOperation("SparseSegment" + kind + "Grad", [g[0]!.Value, c.In(op, 1), c.In(op, 2), rows], null, "SparseSegment" + kind + "Grad"));
                return op.Inputs.Count == 4 ? [grad, null, null, null] : [grad, null, null];
            };
            GradientRegistry.Register("SparseSegment" + kind, fn);
            GradientRegistry.Register("SparseSegment" + kind + "WithNumSegments", fn);
        }
        GradientRegistry.Register("GatherNd", (c, op, g) =>
        {
            var b = c.Builder;
            var indices = c.In(op, 1);
            var shape = b.Shape(c.In(op, 0), "Shape");
            if (indices.BaseType == DataType.DtInt64) shape = b.Cast(shape, DataType.DtInt64, "Cast");
            return [b.OutputOf(b.AddOperation("ScatterNd", [indices, g[0]!.Value, shape], null, "ScatterNd")), null];
        });
        GradientRegistry.NotDifferentiable("Bucketize", "SparseSegmentSumGrad", "SparseSegmentMeanGrad", "SparseSegmentSqrtNGrad");
    }
}
