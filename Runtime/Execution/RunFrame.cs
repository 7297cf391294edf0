using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// Everything one run of a plan mutates: the value table, deadness flags, one reusable
/// <see cref="OpKernelContext"/> per step and one <see cref="BufferPool"/>. Frames are pooled by the plan,
/// so concurrent runs each get their own and a steady-state run allocates nothing.
/// </summary>
internal sealed class RunFrame
{
    public RunFrame(ExecutionPlan plan, SessionState state)
    {
        Values = new Tensor?[plan.SlotCount];
        Refs = new VariableSlot?[plan.SlotCount];
        Dead = new bool[plan.SlotCount];
        StepDead = new bool[plan.Steps.Length];
        Contexts = new OpKernelContext[plan.Steps.Length];
        Func<Protos.DataType, TensorShape, Tensor> allocate = Pool.Allocate;
        for (int i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            bool anyInputs = step.Node.Inputs.Count > 0;
            Contexts[i] = new OpKernelContext(step.Node, new Tensor?[step.InputSlots.Length], step.OutputCount, state,
                anyInputs ? new VariableSlot?[step.InputSlots.Length] : null, allocate) { Holds = Pool };
        }
    }

    /// <summary>Value of each slot in this run.</summary>
    public Tensor?[] Values { get; }

    /// <summary>The variable a slot refers to, for ref-typed values.</summary>
    public VariableSlot?[] Refs { get; }

    /// <summary>True for slots holding a dead tensor (an untaken cond branch).</summary>
    public bool[] Dead { get; }

    /// <summary>True for steps skipped because an input was dead.</summary>
    public bool[] StepDead { get; }

    /// <summary>One context per step, reused every run.</summary>
    public OpKernelContext[] Contexts { get; }

    /// <summary>The run's intermediate buffers, reused every run.</summary>
    public BufferPool Pool { get; } = new();

    /// <summary>The <see cref="LoopExecutor"/>'s per-run state (iteration and frame free lists, contexts), reused by the next run.</summary>
    public object? LoopState { get; set; }

    /// <summary>Drops every reference to this run's values so nothing stays reachable between runs.</summary>
    public void Clear()
    {
        Array.Clear(Values);
        Array.Clear(Refs);
        Array.Clear(Dead);
        Array.Clear(StepDead);
        foreach (var c in Contexts) c.Clear();
        Pool.EndRun();
    }
}
