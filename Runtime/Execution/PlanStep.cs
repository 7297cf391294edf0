using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// One node of an <see cref="ExecutionPlan"/>: its prepared kernel and where its inputs and outputs
/// live in the run's value table. Immutable once the plan is built; shared by concurrent runs.
/// </summary>
internal sealed class PlanStep
{
    public PlanStep(Node node, OpKernel kernel, int[] inputSlots, int[] controlSteps, int[] outputSlots, int outputCount)
    {
        Node = node;
        Kernel = kernel;
        InputSlots = inputSlots;
        ControlSteps = controlSteps;
        OutputSlots = outputSlots;
        OutputCount = outputCount;
        IsMerge = ControlFlow.IsMerge(node.Op);
        MayLeaveOutputsUnset = ControlFlow.IsSwitch(node.Op);
    }

    /// <summary>The node run by this step.</summary>
    public Node Node { get; }

    /// <summary>The kernel prepared for the node.</summary>
    public OpKernel Kernel { get; }

    /// <summary>Value-table slot of each data input.</summary>
    public int[] InputSlots { get; }

    /// <summary>Indexes (in the plan's step order) of the steps this one has control edges from.</summary>
    public int[] ControlSteps { get; }

    /// <summary>Value-table slot of each output, or -1 when nothing in the plan reads it.</summary>
    public int[] OutputSlots { get; }

    /// <summary>Slots read for the last time by this step (their buffers can be reused after it).</summary>
    public int[] ReleaseSlots { get; set; } = [];

    /// <summary>How many outputs the kernel's context is sized for.</summary>
    public int OutputCount { get; }

    /// <summary>Merge fires on its first live input instead of needing all of them.</summary>
    public bool IsMerge { get; }

    /// <summary>Switch leaves the untaken branch's output unset, which makes it dead.</summary>
    public bool MayLeaveOutputsUnset { get; }
}

/// <summary>A fed tensor: where its value goes and what the graph declares for it.</summary>
internal sealed record FeedBinding(string Name, TensorRef Ref, int Slot, Protos.DataType? DeclaredType, long[]? DeclaredShape, string? PlaceholderName, bool IsPlaceholder = false);
