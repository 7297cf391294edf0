namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/data_flow_ops.cc (TF 1.x): the TensorArray v3 family tf.TensorArray,
// dynamic_rnn and their gradients build, and the v2 stacks TF1 gradient loops keep forward values in.
public sealed partial class OpDefCatalog
{
    private static readonly string[] SequenceSignatures =
    [
        "TensorArrayV3(size: int32) -> (handle: resource, flow: float); dtype: type; element_shape: shape = unknown; dynamic_size: bool = false; clear_after_read: bool = true; identical_element_shapes: bool = false; tensor_array_name: string = ''; !stateful",
        "TensorArrayGradV3(handle: resource, flow_in: float) -> (grad_handle: resource, flow_out: float); source: string; !stateful",
        "TensorArrayWriteV3(handle: resource, index: int32, value: T, flow_in: float) -> (flow_out: float); T: type",
        "TensorArrayReadV3(handle: resource, index: int32, flow_in: float) -> (value: dtype); dtype: type",
        "TensorArrayGatherV3(handle: resource, indices: int32, flow_in: float) -> (value: dtype); dtype: type; element_shape: shape = unknown",
        "TensorArrayScatterV3(handle: resource, indices: int32, value: T, flow_in: float) -> (flow_out: float); T: type",
        "TensorArraySizeV3(handle: resource, flow_in: float) -> (size: int32)",
        "TensorArrayConcatV3(handle: resource, flow_in: float) -> (value: dtype, lengths: int64); dtype: type; element_shape_except0: shape = unknown",
        "TensorArraySplitV3(handle: resource, value: T, lengths: int64, flow_in: float) -> (flow_out: float); T: type",
        "TensorArrayCloseV3(handle: resource); !stateful",
        "StackV2(max_size: int32) -> (handle: resource); elem_type: type; stack_name: string = ''; !stateful",
        "StackPushV2(handle: resource, elem: T) -> (output: T); T: type; swap_memory: bool = false; !stateful",
        "StackPopV2(handle: resource) -> (elem: elem_type); elem_type: type; !stateful",
        "StackCloseV2(handle: resource); !stateful",
    ];
}
