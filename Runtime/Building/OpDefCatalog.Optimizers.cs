namespace TypedGraph.Building;

// Signatures after tensorflow/core/ops/training_ops.cc for the dense optimizer updates with kernels in
// Kernels/Training/ProximalAndAdaptiveApplyKernels.cs (ref and resource forms; AdamWithAmsgrad and KerasMomentum
// exist only as resource ops in TF).
public sealed partial class OpDefCatalog
{
    private const string OptT = "T: numbertype; use_locking: bool = false";

    private static readonly string[] OptimizerSignatures =
    [
        "ApplyAdadelta(var: Ref(T), accum: Ref(T), accum_update: Ref(T), lr: T, rho: T, epsilon: T, grad: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyAdadelta(var: resource, accum: resource, accum_update: resource, lr: T, rho: T, epsilon: T, grad: T); " + OptT + "; !stateful",
        "ApplyProximalGradientDescent(var: Ref(T), alpha: T, l1: T, l2: T, delta: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyProximalGradientDescent(var: resource, alpha: T, l1: T, l2: T, delta: T); " + OptT + "; !stateful",
        "ApplyProximalAdagrad(var: Ref(T), accum: Ref(T), lr: T, l1: T, l2: T, grad: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyProximalAdagrad(var: resource, accum: resource, lr: T, l1: T, l2: T, grad: T); " + OptT + "; !stateful",
        "ApplyFtrl(var: Ref(T), accum: Ref(T), linear: Ref(T), grad: T, lr: T, l1: T, l2: T, lr_power: T) -> (out: Ref(T)); " + OptT + "; multiply_linear_by_lr: bool = false",
        "ResourceApplyFtrl(var: resource, accum: resource, linear: resource, grad: T, lr: T, l1: T, l2: T, lr_power: T); " + OptT + "; multiply_linear_by_lr: bool = false; !stateful",
        "ApplyFtrlV2(var: Ref(T), accum: Ref(T), linear: Ref(T), grad: T, lr: T, l1: T, l2: T, l2_shrinkage: T, lr_power: T) -> (out: Ref(T)); " + OptT + "; multiply_linear_by_lr: bool = false",
        "ResourceApplyFtrlV2(var: resource, accum: resource, linear: resource, grad: T, lr: T, l1: T, l2: T, l2_shrinkage: T, lr_power: T); " + OptT + "; multiply_linear_by_lr: bool = false; !stateful",
        "ApplyCenteredRMSProp(var: Ref(T), mg: Ref(T), ms: Ref(T), mom: Ref(T), lr: T, rho: T, momentum: T, epsilon: T, grad: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyCenteredRMSProp(var: resource, mg: resource, ms: resource, mom: resource, lr: T, rho: T, momentum: T, epsilon: T, grad: T); " + OptT + "; !stateful",
        "ApplyAdaMax(var: Ref(T), m: Ref(T), v: Ref(T), beta1_power: T, lr: T, beta1: T, beta2: T, epsilon: T, grad: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyAdaMax(var: resource, m: resource, v: resource, beta1_power: T, lr: T, beta1: T, beta2: T, epsilon: T, grad: T); " + OptT + "; !stateful",
        "ResourceApplyAdamWithAmsgrad(var: resource, m: resource, v: resource, vhat: resource, beta1_power: T, beta2_power: T, lr: T, beta1: T, beta2: T, epsilon: T, grad: T); " + OptT + "; !stateful",
        "ResourceApplyKerasMomentum(var: resource, accum: resource, lr: T, grad: T, momentum: T); " + OptT + "; use_nesterov: bool = false; !stateful",
        "ApplyPowerSign(var: Ref(T), m: Ref(T), lr: T, logbase: T, sign_decay: T, beta: T, grad: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyPowerSign(var: resource, m: resource, lr: T, logbase: T, sign_decay: T, beta: T, grad: T); " + OptT + "; !stateful",
        "ApplyAddSign(var: Ref(T), m: Ref(T), lr: T, alpha: T, sign_decay: T, beta: T, grad: T) -> (out: Ref(T)); " + OptT,
        "ResourceApplyAddSign(var: resource, m: resource, lr: T, alpha: T, sign_decay: T, beta: T, grad: T); " + OptT + "; !stateful",
    ];
}
