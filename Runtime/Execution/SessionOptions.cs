using TypedGraph.Kernels;

namespace TypedGraph;

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
}
