using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>Settings of a <see cref="Session"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>Where kernels come from; <see cref="KernelRegistry.Default"/> unless replaced (tests).</summary>
    public KernelRegistry Registry { get; init; } = KernelRegistry.Default;

    /// <summary>
    /// Graph-level random seed used by random ops whose <c>seed</c> and <c>seed2</c> attrs are both 0
    /// (TF resolves <c>tf.set_random_seed</c> into the attrs at graph-building time, so this is only a
    /// fallback). Null keeps such ops nondeterministic, as in TF.
    /// </summary>
    public int? GraphSeed { get; init; }

    /// <summary>
    /// Rewrite float <c>Conv2D/MatMul → BiasAdd → (Relu|Relu6|Elu)?</c> chains into <c>_FusedConv2D</c> /
    /// <c>_FusedMatMul</c>, chains of dense layers into one node, and an LSTM cell's or a Keras GRU step's Split →
    /// Sigmoid/Tanh → Mul/Add tail into one <c>_FusedLstmCell</c> / <c>_FusedGruCell</c> when building a plan, if no intermediate tensor is fetched, fed or read elsewhere
    /// (like TF's grappler remapper; the graph itself is not changed). Applies to the bodies of the functions the graph
    /// calls too. On by default.
    /// </summary>
    public bool FuseKernels { get; init; } = true;

    /// <summary>
    /// Run a side-effect-free node whose outputs nothing reads — one that is in the plan only because a control edge waits
    /// on it, such as the input gradient of a first layer that <c>tf.gradients</c> groups with the weight gradient — as a
    /// <c>NoOp</c>, as TF's grappler dependency optimizer does (the graph itself is not changed). On by default.
    /// </summary>
    public bool OptimizeDependencies { get; init; } = true;

    /// <summary>
    /// How many distinct requests (fetches, feed names, targets) keep their built plan; past that the least
    /// recently used plan is dropped and rebuilt if asked for again. 256 by default.
    /// </summary>
    public int PlanCacheCapacity { get; init; } = 256;

    /// <summary>
    /// Where the graph's print ops write (<c>tf.print</c>'s <c>PrintV2</c> to stdout, stderr or a log; <c>tf.Print</c> to
    /// stderr), also inside the functions the graph calls. <see cref="Kernels.Logging.PrintOutput.Console"/> by default.
    /// </summary>
    public Kernels.Logging.PrintOutput PrintOutput { get; init; } = Kernels.Logging.PrintOutput.Console;
}
