namespace TypedGraph.Kernels;

/// <summary>
/// Lets a kernel keep a pooled intermediate beyond its consumers (a TensorArray element, a stack entry) without
/// copying it: the run's buffer pool counts the kernel's hold like a value slot, so the buffer is not handed out again
/// until the hold is dropped or the run ends.
/// </summary>
internal interface IBufferHolds
{
    /// <summary>Holds <paramref name="t"/>'s buffer; false when it is not a pooled buffer of this run (keep a copy then).</summary>
    bool Hold(Tensor t);

    /// <summary>
    /// Drops one hold on <paramref name="t"/>'s buffer without freeing it: the kernel is handing the value on as an
    /// output, and the executor frees it once the consumers it counts next are done (or at once if there are none).
    /// </summary>
    void Unhold(Tensor t);
}
