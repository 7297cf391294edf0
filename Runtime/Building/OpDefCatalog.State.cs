namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/state_ops.cc, resource_variable_ops.cc, training_ops.cc and io_ops.cc (TF 1.13).
public sealed partial class OpDefCatalog
{
    private const string ApplyT = "T: numbertype; use_locking: bool = false";

    private static readonly string[] StateSignatures =
    [
        "VariableV2() -> (ref: Ref(dtype)); shape: shape; dtype: type; container: string = ''; shared_name: string = ''; !stateful",
        "Assign(ref: Ref(T), value: T) -> (output_ref: Ref(T)); T: type; validate_shape: bool = true; use_locking: bool = true; !uninit",
        "AssignAdd(ref: Ref(T), value: T) -> (output_ref: Ref(T)); T: numbertype; use_locking: bool = false",
        "AssignSub(ref: Ref(T), value: T) -> (output_ref: Ref(T)); T: numbertype; use_locking: bool = false",
        "IsVariableInitialized(ref: Ref(dtype)) -> (is_initialized: bool); dtype: type; !uninit",
        "VarHandleOp() -> (resource: resource); container: string = ''; shared_name: string = ''; dtype: type; shape: shape; !stateful",
        "ReadVariableOp(resource: resource) -> (value: dtype); dtype: type; !stateful",
        "AssignVariableOp(resource: resource, value: dtype); dtype: type; !stateful",
        "AssignAddVariableOp(resource: resource, value: dtype); dtype: type; !stateful",
        "AssignSubVariableOp(resource: resource, value: dtype); dtype: type; !stateful",
        "VarIsInitializedOp(resource: resource) -> (is_initialized: bool); !stateful",
    ];

    private static readonly string[] TrainingSignatures =
    [
        "ApplyGradientDescent(var: Ref(T), alpha: T, delta: T) -> (out: Ref(T)); " + ApplyT,
        "ApplyMomentum(var: Ref(T), accum: Ref(T), lr: T, grad: T, momentum: T) -> (out: Ref(T)); " + ApplyT + "; use_nesterov: bool = false",
        "ApplyAdam(var: Ref(T), m: Ref(T), v: Ref(T), beta1_power: T, beta2_power: T, lr: T, beta1: T, beta2: T, epsilon: T, grad: T) -> (out: Ref(T)); " + ApplyT + "; use_nesterov: bool = false",
        "ApplyRMSProp(var: Ref(T), ms: Ref(T), mom: Ref(T), lr: T, rho: T, momentum: T, epsilon: T, grad: T) -> (out: Ref(T)); " + ApplyT,
        "ApplyAdagrad(var: Ref(T), accum: Ref(T), lr: T, grad: T) -> (out: Ref(T)); " + ApplyT + "; update_slots: bool = true",
        "ResourceApplyGradientDescent(var: resource, alpha: T, delta: T); " + ApplyT + "; !stateful",
        "ResourceApplyMomentum(var: resource, accum: resource, lr: T, grad: T, momentum: T); " + ApplyT + "; use_nesterov: bool = false; !stateful",
        "ResourceApplyAdam(var: resource, m: resource, v: resource, beta1_power: T, beta2_power: T, lr: T, beta1: T, beta2: T, epsilon: T, grad: T); " + ApplyT + "; use_nesterov: bool = false; !stateful",
        "ResourceApplyRMSProp(var: resource, ms: resource, mom: resource, lr: T, rho: T, momentum: T, epsilon: T, grad: T); " + ApplyT + "; !stateful",
        "ResourceApplyAdagrad(var: resource, accum: resource, lr: T, grad: T); " + ApplyT + "; update_slots: bool = true; !stateful",
    ];

    private static readonly string[] IoSignatures =
    [
        "SaveV2(prefix: string, tensor_names: string, shape_and_slices: string, tensors: dtypes); dtypes: list(type) >= 1; !stateful",
        "RestoreV2(prefix: string, tensor_names: string, shape_and_slices: string) -> (tensors: dtypes); dtypes: list(type) >= 1; !stateful",
        "MergeV2Checkpoints(checkpoint_prefixes: string, destination_prefix: string); delete_old_dirs: bool = true; !stateful",
        "ShardedFilename(basename: string, shard: int32, num_shards: int32) -> (filename: string)",
        "StringJoin(inputs: N * string) -> (output: string); N: int >= 1; separator: string = ''",
    ];
}
