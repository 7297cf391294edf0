using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Gradients of the TensorList ops (TF2's TensorArray, carried through While loops as variant tensors),
/// after TF's <c>list_ops.py</c> (<c>_TensorListStackGrad</c>, <c>_TensorListFromTensorGrad</c>,
/// <c>_TensorListGetItemGrad</c>, <c>_TensorListSetItemGrad</c>, <c>_PushBackGrad</c>, <c>_PopBackGrad</c>,
/// <c>_TensorListResizeGrad</c>): the gradient of a list is a list of the elements' gradients.</summary>
internal static class ListGradients
{
    public static void Register()
    {
        GradientRegistry.Register("TensorListStack", StackGrad);
        GradientRegistry.Register("TensorListFromTensor", FromTensorGrad);
        GradientRegistry.Register("TensorListGetItem", GetItemGrad);
        GradientRegistry.Register("TensorListSetItem", SetItemGrad);
        GradientRegistry.Register("TensorListPushBack", PushBackGrad);
        GradientRegistry.Register("TensorListPopBack", PopBackGrad);
        GradientRegistry.Register("TensorListResize", (c, op, g) => [Resize(c.Builder, g[0]!.Value, c.In(op, 0)), null]);
        GradientRegistry.NotDifferentiable("TensorListReserve", "EmptyTensorList", "TensorListLength", "TensorListElementShape");
    }

    private static Dictionary<string, AttrValue> ElementType(DataType t) => new() { ["element_dtype"] = Attrs.Type(t) };

    private static DataType ElementDtypeOf(Node op) => op.GetType("element_dtype");

    // shape(t)[1:], the element shape of a tensor stacked along dimension 0.
    private static Output ElementShape(GraphBuilder b, Output t)
    {
        var shape = b.Shape(t);
        return b.OutputOf(b.AddOperation("StridedSlice", [shape, b.Constant(new[] { 1 }, "begin"), b.Constant(new[] { 0 }, "end"), b.Constant(new[] { 1 }, "strides")],
            new Dictionary<string, AttrValue> { ["end_mask"] = Attrs.Int(1) }, "element_shape"));
    }

    // _TensorListStackGrad: tensor_list_from_tensor(dtensor, element_shape=dtensor.shape[1:]).
    private static Output?[] StackGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var d = g[0]!.Value;
        var list = b.AddOperation("TensorListFromTensor", [d, ElementShape(b, d)], ElementType(d.BaseType));
        return [b.OutputOf(list), null];
    }

    // _TensorListFromTensorGrad: tensor_list_stack(dlist, element_shape=shape(t)[1:], num_elements=static dim 0 or -1).
    private static Output?[] FromTensorGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var t = c.In(op, 0);
        var dims = StaticShapes.Of(b, t);
        var attrs = ElementType(t.BaseType);
        attrs["num_elements"] = Attrs.Int(dims is { Length: > 0 } && dims[0] >= 0 ? dims[0] : -1);
        var stack = b.AddOperation("TensorListStack", [g[0]!.Value, ElementShape(b, t)], attrs);
        return [b.OutputOf(stack), null];
    }

    // _TensorListGetItemGrad: a list as long as the input, zeros everywhere but the item's gradient at the index.
    private static Output?[] GetItemGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var input = c.In(op, 0);
        var d = g[0]!.Value;
        var length = b.OutputOf(b.AddOperation("TensorListLength", [input]));
        var shape = b.OutputOf(b.AddOperation("TensorListElementShape", [input], new Dictionary<string, AttrValue> { ["shape_type"] = Attrs.Type(DataType.DtInt32) }));
        var reserveAttrs = ElementType(d.BaseType);
        reserveAttrs["shape_type"] = Attrs.Type(DataType.DtInt32);
        var reserve = b.OutputOf(b.AddOperation("TensorListReserve", [shape, length], reserveAttrs));
        var set = b.AddOperation("TensorListSetItem", [reserve, c.In(op, 1), d], ElementType(d.BaseType));
        return [b.OutputOf(set), null, null];
    }

    // _TensorListSetItemGrad: the list's gradient with that item zeroed; the item's gradient read at the index.
    private static Output?[] SetItemGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var dlist = g[0]!.Value;
        var index = c.In(op, 1);
        var item = c.In(op, 2);
        var listGrad = b.OutputOf(b.AddOperation("TensorListSetItem", [dlist, index, b.ZerosLike(item)], ElementType(item.BaseType)));
        var elementGrad = b.OutputOf(b.AddOperation("TensorListGetItem", [dlist, index, b.Shape(item)], ElementType(item.BaseType)));
        if (op.GetBool("resize_if_index_out_of_bounds", false)) listGrad = Resize(b, listGrad, c.In(op, 0));
        return [listGrad, null, elementGrad];
    }

    // _PushBackGrad: tensor_list_pop_back(dresult, element_shape=shape(tensor)) gives both input gradients.
    private static Output?[] PushBackGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var tensor = c.In(op, 1);
        var pop = b.AddOperation("TensorListPopBack", [g[0]!.Value, b.Shape(tensor)], ElementType(ElementDtypeOf(op)));
        return [b.OutputOf(pop, 0), b.OutputOf(pop, 1)];
    }

    // _PopBackGrad: push the element's gradient (zeros when none) back onto the list's gradient (an empty list when none).
    private static Output?[] PopBackGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var dtype = ElementDtypeOf(op);
        var dlist = g[0] ?? b.OutputOf(b.AddOperation("EmptyTensorList",
            [b.OutputOf(b.AddOperation("TensorListElementShape", [c.Out(op, 0)], new Dictionary<string, AttrValue> { ["shape_type"] = Attrs.Type(DataType.DtInt32) })), b.Constant(-1, "max_num_elements")],
            new Dictionary<string, AttrValue> { ["element_dtype"] = Attrs.Type(dtype), ["shape_type"] = Attrs.Type(DataType.DtInt32) }));
        var delement = g[1] ?? b.ZerosLike(c.Out(op, 1));
        var push = b.AddOperation("TensorListPushBack", [dlist, delement], ElementType(dtype));
        return [b.OutputOf(push), null];
    }

    // _TensorListResizeGrad: the gradient list cut (or padded) to the input list's length.
    private static Output Resize(GraphBuilder b, Output dlist, Output input)
    {
        var length = b.OutputOf(b.AddOperation("TensorListLength", [input]));
        return b.OutputOf(b.AddOperation("TensorListResize", [dlist, length]));
    }
}
