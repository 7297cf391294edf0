using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the TensorList gather/scatter ops, as tensorflow/python/ops/list_ops.py:
/// <list type="bullet">
/// <item><c>_TensorListGatherGrad</c>: a list as long as the input (TensorListReserve with the input's element shape
/// and length) with the gathered rows' gradients scattered in (TensorListScatterIntoExistingList, which overwrites:
/// an index gathered twice gets the gradient of its last occurrence only, as in TF);</item>
/// <item><c>_TensorListScatterGrad</c> (TensorListScatter, TensorListScatterV2): TensorListGather of the list's
/// gradient at the indices, element shape <c>shape(tensor)[1:]</c>;</item>
/// <item><c>_TensorListScatterIntoExistingListGrad</c>: the tensor's gradient gathered as above, and the list's
/// gradient with the overwritten slots zeroed (scattering zeros_like(tensor) into it).</item>
/// </list>
/// </summary>
internal static class ListGatherScatterGradients
{
    public static void Register()
    {
        GradientRegistry.Register("TensorListGather", (c, op, g) =>
        {
            var b = c.Builder;
            var list = c.In(op, 0);
            var d = g[0]!.Value;
            var shape = b.OutputOf(b.AddOperation("TensorListElementShape", [list], new Dictionary<string, AttrValue> { ["shape_type"] = Attrs.Type(DataType.DtInt32) }, "TensorListElementShape"));
            var length = b.OutputOf(b.AddOperation("TensorListLength", [list], null, "TensorListLength"));
            var reserveAttrs = ElementType(d.BaseType);
            reserveAttrs["shape_type"] = Attrs.Type(DataType.DtInt32);
            var reserve = b.OutputOf(b.AddOperation("TensorListReserve", [shape, length], reserveAttrs, "TensorListReserve"));
            var scattered = b.OutputOf(b.AddOperation("TensorListScatterIntoExistingList", [reserve, d, c.In(op, 1)], ElementType(d.BaseType), "TensorListScatterIntoExistingList"));
            return [scattered, null, null];
        });
        GradientRegistry.Register("TensorListScatter", (c, op, g) => [Gather(c, g[0]!.Value, c.In(op, 0), c.In(op, 1)), null, null]);
        GradientRegistry.Register("TensorListScatterV2", (c, op, g) => [Gather(c, g[0]!.Value, c.In(op, 0), c.In(op, 1)), null, null, null]);
        GradientRegistry.Register("TensorListScatterIntoExistingList", (c, op, g) =>
        {
            var b = c.Builder;
            var dlist = g[0]!.Value;
            var tensor = c.In(op, 1);
            var indices = c.In(op, 2);
            var dtensor = Gather(c, dlist, tensor, indices);
            var cleared = b.OutputOf(b.AddOperation("TensorListScatterIntoExistingList", [dlist, b.ZerosLike(tensor, "zeros_like"), indices],
                ElementType(tensor.BaseType), "TensorListScatterIntoExistingList"));
            return [cleared, dtensor, null];
        });
    }

    private static Dictionary<string, AttrValue> ElementType(DataType t) => new() { ["element_dtype"] = Attrs.Type(t) };

    // tensor_list_gather(dlist, indices, element_shape=shape(tensor)[1:], element_dtype=tensor.dtype).
    private static Output Gather(GradientContext c, Output dlist, Output tensor, Output indices)
    {
        var b = c.Builder;
        var shape = b.Shape(tensor, "Shape");
        var elementShape = b.Slice(shape, b.Constant(new[] { 1 }, "Slice/begin"), b.Constant(new[] { -1 }, "Slice/size"), "Slice");
        return b.OutputOf(b.AddOperation("TensorListGather", [dlist, indices, elementShape], ElementType(tensor.BaseType), "TensorListGather"));
    }
}
