using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Array-op gradients TF registers that were missing here, as tensorflow/python/ops/array_grad.py:
/// <list type="bullet">
/// <item><c>_ConjugateTransposeGrad</c>: ConjugateTranspose(g, invert_permutation(perm));</item>
/// <item><c>_StridedSliceGradGrad</c>: the StridedSlice of the gradient with the op's begin/end/strides and masks
/// (second order through StridedSlice's backprop op);</item>
/// <item><c>_TensorScatterMinOrMaxGrad</c> (TensorScatterMax/Min): the output's gradient shared equally between the
/// tensor element and the updates that equal the result (indicators summed, each gets g / count);</item>
/// <item><c>_ResourceGatherNdGrad</c>: ScatterNd of the gradient into the variable's shape — an IndexedSlices (row
/// updates for sparse optimizers) when the indices are [N, 1]. TF reads the shape with VariableShape; here it comes
/// from the VarHandleOp's shape attr, as ResourceGather's gradient does.</item>
/// </list>
/// </summary>
internal static class ArrayBreadthGradients
{
    public static void Register()
    {
        GradientRegistry.Register("ConjugateTranspose", (c, op, g) =>
        {
            var b = c.Builder;
            var perm = StaticShapes.ConstValues(b, op.Inputs[1]);
            Output inv;
            if (perm != null)
            {
                var inverse = new int[perm.Length];
                for (int i = 0; i < perm.Length; i++) inverse[perm[i]] = i;
                inv = b.Constant(inverse, "InvertPermutation");
            }
            else inv = b.Unary("InvertPermutation", c.In(op, 1), "InvertPermutation");
            return [b.OutputOf(b.AddOperation("ConjugateTranspose", [g[0]!.Value, inv], null, "transpose")), null];
        });
        GradientRegistry.Register("StridedSliceGrad", (c, op, g) =>
        {
            var b = c.Builder;
            var attrs = GradientContext.CopyAttrs(op, "begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask");
            var sliced = b.OutputOf(b.AddOperation("StridedSlice", [g[0]!.Value, c.In(op, 1), c.In(op, 2), c.In(op, 3)], attrs, "StridedSlice"));
            return [null, null, null, null, sliced];
        });
        GradientRegistry.Register("TensorScatterMax", ScatterMinOrMax);
        GradientRegistry.Register("TensorScatterMin", ScatterMinOrMax);
        GradientRegistry.Register("ResourceGatherNd", ResourceGatherNdGrad);
    }

    private static Output Op(GraphBuilder b, string type, Output[] inputs, string name) => b.OutputOf(b.AddOperation(type, inputs, null, name));

    private static Output?[] ScatterMinOrMax(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        var indices = c.In(op, 1);
        var y = c.In(op, 2);
        var output = c.Out(op);
        var grad = g[0]!.Value;
        var xIndicators = b.Cast(b.Equal(x, output, "Equal"), grad.BaseType, "Cast");
        var yOutput = Op(b, "GatherNd", [output, indices], "GatherNd");
        var yIndicators = b.Cast(b.Equal(y, yOutput, "Equal_1"), grad.BaseType, "Cast_1");
        var shape = b.Shape(x, "Shape");
        if (indices.BaseType == DataType.DtInt64) shape = b.Cast(shape, DataType.DtInt64, "Cast_2");
        var ysIndicators = Op(b, "ScatterNd", [indices, yIndicators, shape], "ScatterNd");
        var indicators = b.Add(xIndicators, ysIndicators, "add"); // every element ≥ 1
        var xGrad = b.Divide(b.Multiply(grad, xIndicators, "mul"), indicators, "truediv");
        var yGrad = b.Multiply(Op(b, "GatherNd", [b.Divide(grad, indicators, "truediv_1"), indices], "GatherNd_1"), yIndicators, "mul_1");
        return [xGrad, null, yGrad];
    }

    private static Output?[] ResourceGatherNdGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var handle = b.Graph.GetNode(op.Inputs[0].NodeName);
        var shapeProto = handle.GetShape("shape");
        if (handle.Op != "VarHandleOp" || shapeProto == null || shapeProto.UnknownRank || shapeProto.Dim.Any(d => d.Size < 0))
            throw new NotSupportedException($"Gradient of '{op.Name}' (ResourceGatherNd) needs a VarHandleOp with a fully known shape as its resource input, got '{handle.Name}' ({handle.Op}).");
        var indices = c.In(op, 1);
        var dims = shapeProto.Dim.Select(d => d.Size).ToArray();
        var refShape = indices.BaseType == DataType.DtInt64
            ? b.Constant(Tensor.Create(dims, dims.Length), "VariableShape")
            : b.Constant(dims.Select(d => checked((int)d)).ToArray(), "VariableShape");
        var grad = g[0]!.Value;
        var dense = Op(b, "ScatterNd", [indices, grad, refShape], "ScatterNd");
        if (StaticShapes.Of(b, indices) is [_, 1])
        {
            var denseShape = indices.BaseType == DataType.DtInt32 ? refShape : b.Constant(dims.Select(d => checked((int)d)).ToArray(), "dense_shape");
            return [SparseGradients.Record(b, dense, new IndexedSlices(grad, b.Squeeze(indices, [-1], "Squeeze"), denseShape)), null];
        }
        return [dense, null];
    }
}
