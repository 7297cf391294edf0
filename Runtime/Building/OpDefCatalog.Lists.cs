namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/list_ops.cc (TF 2.15): the TensorList ops TF 2.x function bodies use.
public sealed partial class OpDefCatalog
{
    private const string ShapeType = "shape_type: {int32, int64}";

    private static readonly string[] ListSignatures =
    [
        "EmptyTensorList(element_shape: shape_type, max_num_elements: int32) -> (handle: variant); element_dtype: type; " + ShapeType,
        "TensorListReserve(element_shape: shape_type, num_elements: int32) -> (handle: variant); element_dtype: type; " + ShapeType,
        "TensorListFromTensor(tensor: element_dtype, element_shape: shape_type) -> (output_handle: variant); element_dtype: type; " + ShapeType,
        "TensorListGetItem(input_handle: variant, index: int32, element_shape: int32) -> (item: element_dtype); element_dtype: type",
        "TensorListSetItem(input_handle: variant, index: int32, item: element_dtype) -> (output_handle: variant); element_dtype: type; resize_if_index_out_of_bounds: bool = false",
        "TensorListStack(input_handle: variant, element_shape: int32) -> (tensor: element_dtype); element_dtype: type; num_elements: int = -1",
        "TensorListPushBack(input_handle: variant, tensor: element_dtype) -> (output_handle: variant); element_dtype: type",
        "TensorListPopBack(input_handle: variant, element_shape: int32) -> (output_handle: variant, tensor: element_dtype); element_dtype: type",
        "TensorListLength(input_handle: variant) -> (length: int32)",
        "TensorListElementShape(input_handle: variant) -> (element_shape: shape_type); " + ShapeType,
        "TensorListGather(input_handle: variant, indices: int32, element_shape: int32) -> (values: element_dtype); element_dtype: type",
        "TensorListScatter(tensor: element_dtype, indices: int32, element_shape: shape_type) -> (output_handle: variant); element_dtype: type; " + ShapeType,
        "TensorListScatterV2(tensor: element_dtype, indices: int32, element_shape: shape_type, num_elements: int32) -> (output_handle: variant); element_dtype: type; " + ShapeType,
        "TensorListScatterIntoExistingList(input_handle: variant, tensor: element_dtype, indices: int32) -> (output_handle: variant); element_dtype: type",
        "TensorListResize(input_handle: variant, size: int32) -> (output_handle: variant)",
        "TensorListConcat(input_handle: variant) -> (tensor: element_dtype, lengths: int64); element_dtype: type; element_shape: shape = unknown",
        "TensorListConcatV2(input_handle: variant, element_shape: shape_type, leading_dims: int64) -> (tensor: element_dtype, lengths: int64); element_dtype: type; " + ShapeType,
        "TensorListSplit(tensor: element_dtype, element_shape: shape_type, lengths: int64) -> (output_handle: variant); element_dtype: type; " + ShapeType,
    ];
}
