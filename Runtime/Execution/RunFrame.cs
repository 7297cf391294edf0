using TypedGraph.Kernels;

namespace TypedGraph.Execution;

/// <summary>
/// Everything one run of a plan mutates: the value table, deadness flags, one reusable
/// <see cref="OpKernelContext"/> per step and one <see cref="BufferPool"/>. Frames are pooled by the plan,
/// so concurrent runs each get their own and a steady-state run allocates nothing.
/// </summary>
internal sealed class RunFrame : IVariableLeases
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
                anyInputs ? new VariableSlot?[step.InputSlots.Length] : null, allocate) { Holds = Pool, Leases = this };
        }
        _lastReader = plan.SlotLastReader;
    }

    private readonly int[] _lastReader;
    private readonly List<Tensor> _leased = [];

    /// <summary>
    /// Whether this run leases the variable values it reads (<see cref="IVariableLeases"/>): set by the session for a
    /// top-level run of a plan that keeps nothing past its steps (<see cref="ExecutionPlan.AllowsVariableLeases"/>); off for
    /// function bodies (their results may pass a value on to the caller unseen), so their reads mark values escaped.
    /// </summary>
    public bool Leasing { get; set; }

    /// <summary>The step the static executor is running (for <see cref="InUse"/>).</summary>
    public int CurrentStep { get; set; }

    /// <inheritdoc/>
    public bool Take(Tensor value)
    {
        if (!Leasing) return false;
        if (!Holds(value))
        {
            Interlocked.Increment(ref value.Leases);
            _leased.Add(value);
        }
        return true;
    }

    /// <inheritdoc/>
    public bool Holds(Tensor value)
    {
        foreach (var t in _leased)
            if (ReferenceEquals(t, value)) return true;
        return false;
    }

    /// <inheritdoc/>
    /// <remarks>A slot is live from its producer until its last reader (fetched slots: the end of the run); values of
    /// released slots stay in <see cref="Values"/> until <see cref="Clear"/> but are never read again. Ref slots hold a
    /// variable reference, read through the slot. Views (Reshape, Identity…) share the storage array.</remarks>
    public bool InUse(Tensor value)
    {
        var array = value.BackingArray;
        var values = Values;
        if (_lastReader.Length != values.Length) return true; // not a static plan: cannot tell
        for (int s = 0; s < values.Length; s++)
        {
            if (_lastReader[s] < CurrentStep || Refs[s] != null || values[s] is not { } t) continue;
            if (ReferenceEquals(t, value) || (array != null && t.SharesArray(array))) return true;
        }
        return false;
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
        // The run is over: nothing of it holds the values it leased (fetches were copied out before this).
        foreach (var t in _leased) Interlocked.Decrement(ref t.Leases);
        _leased.Clear();
        Leasing = false;
        CurrentStep = 0;
    }
}
