using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// Everything one run of a plan mutates: the value table, deadness flags, one reusable
/// <see cref="OpKernelContext"/> and <see cref="TensorArena"/> per step. Frames are pooled by the plan,
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
        Arenas = new TensorArena[plan.Steps.Length];
        for (int i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            var arena = new TensorArena();
            Arenas[i] = arena;
            bool anyRef = step.Node.Inputs.Count > 0;
            Contexts[i] = new OpKernelContext(step.Node, new Tensor?[step.InputSlots.Length], step.OutputCount, state,
                anyRef ? new VariableSlot?[step.InputSlots.Length] : null, arena.Allocate);
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

    /// <summary>One output arena per step, reused every run.</summary>
    public TensorArena[] Arenas { get; }

    /// <summary>Drops every reference to this run's values so nothing stays reachable between runs.</summary>
    public void Clear()
    {
        Array.Clear(Values);
        Array.Clear(Refs);
        Array.Clear(Dead);
        Array.Clear(StepDead);
        foreach (var c in Contexts) c.Clear();
    }
}
