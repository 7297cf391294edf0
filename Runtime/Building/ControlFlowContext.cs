using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// A TF1 control-flow context (TF's <c>control_flow_ops.ControlFlowContext</c>): the body of a
/// <see cref="ControlFlowOps.WhileLoop"/> or one branch of a <see cref="ControlFlowOps.Cond"/>. While a context is
/// open, every op the builder adds belongs to it, and an input produced outside it is first made available
/// inside: through an <c>Enter</c> (<c>is_constant=true</c>) for a loop, a <c>Switch</c> on the predicate for a
/// cond branch — the way TF's <c>AddValue</c> rewrites op inputs. Gradients use the contexts to build TF1's
/// gradient loops (<see cref="TypedGraph.Training.Gradients"/>).
/// </summary>
public abstract class ControlFlowContext
{
    private protected ControlFlowContext(ControlFlowContext? outer) => Outer = outer;

    /// <summary>The enclosing context, or null at the top level.</summary>
    public ControlFlowContext? Outer { get; }

    /// <summary>Outside tensor name → the tensor standing for it inside this context.</summary>
    internal Dictionary<string, Output> ExternalValues { get; } = new(StringComparer.Ordinal);

    /// <summary>The innermost while context enclosing this one (itself for a loop), or null.</summary>
    public WhileContext? EnclosingWhile => this as WhileContext ?? Outer?.EnclosingWhile;

    /// <summary>True when <paramref name="inner"/> is this context or nested in it.</summary>
    internal bool Encloses(ControlFlowContext? inner)
    {
        for (var c = inner; c != null; c = c.Outer)
            if (ReferenceEquals(c, this)) return true;
        return false;
    }

    /// <summary>The op an input-less op of this context waits for (TF's <c>GetControlPivot</c>), so it runs
    /// in the context's frame/branch instead of once at the top level.</summary>
    internal abstract string ControlPivot { get; }

    /// <summary>Makes <paramref name="value"/> (produced outside) usable inside (TF's <c>AddValue</c>).</summary>
    internal abstract Output AddValue(GraphBuilder b, Output value, string helperScope);
}

/// <summary>One branch of a TF1 <c>tf.cond</c> (TF's <c>CondContext</c>).</summary>
public sealed class CondContext : ControlFlowContext
{
    internal CondContext(ControlFlowContext? outer, Output pred, Output pivot, int branch) : base(outer)
    {
        Pred = pred;
        Pivot = pivot;
        Branch = branch;
    }

    /// <summary>The predicate (<c>cond/pred_id</c>).</summary>
    public Output Pred { get; }

    /// <summary><c>cond/switch_t</c> or <c>cond/switch_f</c>: live only when this branch is taken.</summary>
    public Output Pivot { get; }

    /// <summary>1 for the true branch, 0 for the false branch (the Switch output this branch reads).</summary>
    public int Branch { get; }

    internal override string ControlPivot => Pivot.NodeName;

    // CondContext.AddValue: the outside value goes through Switch(value, pred) and this branch reads output Branch.
    internal override Output AddValue(GraphBuilder b, Output value, string helperScope)
    {
        if (ExternalValues.TryGetValue(value.Name, out var known)) return known;
        var outerValue = Outer != null && !Outer.Encloses(b.OutputContext(value.NodeName)) ? Outer.AddValue(b, value, helperScope) : value;
        var sw = b.AddContextNode(this, helperScope + "Switch", "Switch", [outerValue, Pred]);
        var result = b.OutputOf(sw, Branch);
        ExternalValues[value.Name] = result;
        return result;
    }
}

/// <summary>The body of a TF1 <c>tf.while_loop</c> (TF's <c>WhileContext</c>): one frame named
/// <see cref="FrameName"/>.</summary>
public sealed class WhileContext : ControlFlowContext
{
    internal WhileContext(ControlFlowContext? outer, string frameName, int parallelIterations, bool backProp) : base(outer)
    {
        FrameName = frameName;
        ParallelIterations = parallelIterations;
        BackProp = backProp;
    }

    /// <summary>The Enter ops' <c>frame_name</c>, e.g. <c>while/while_context</c>.</summary>
    public string FrameName { get; }

    /// <summary>The Enter ops' <c>parallel_iterations</c>.</summary>
    public int ParallelIterations { get; }

    /// <summary>False when gradients must not flow through the loop (<c>back_prop=False</c>).</summary>
    public bool BackProp { get; }

    /// <summary>The LoopCond output (Switch predicate of every loop variable).</summary>
    public Output Pivot { get; internal set; }

    /// <summary>The first loop variable's Merge (pivot of the condition's input-less ops).</summary>
    internal Output? PivotForPred { get; set; }

    /// <summary>The first loop variable's body Identity (pivot of the body's input-less ops).</summary>
    internal Output? PivotForBody { get; set; }

    /// <summary>The loop's Enter ops for its loop variables.</summary>
    public List<Output> LoopEnters { get; } = [];

    /// <summary>The loop's Exit outputs (one per loop variable, plus gradient-added ones).</summary>
    public List<Output> LoopExits { get; } = [];

    /// <summary>For a gradient loop: its bookkeeping (<c>GradLoopState</c>); null for a forward loop.</summary>
    internal object? GradState { get; set; }

    internal override string ControlPivot => (PivotForBody ?? PivotForPred ?? Pivot).NodeName;

    // WhileContext.AddValue: a loop invariant enters every iteration through Enter(is_constant=true). In a gradient
    // loop, a value of the forward loop instead comes from GradState (a stack of its per-iteration values).
    internal override Output AddValue(GraphBuilder b, Output value, string helperScope)
    {
        if (ExternalValues.TryGetValue(value.Name, out var known)) return known;
        if (GradState is IForwardValueSource source && source.IsForwardValue(b, value))
        {
            var real = source.GetRealValue(b, value, helperScope);
            ExternalValues[value.Name] = real;
            return real;
        }
        var outerValue = Outer != null && !Outer.Encloses(b.OutputContext(value.NodeName)) ? Outer.AddValue(b, value, helperScope) : value;
        var enter = b.AddContextNode(this, helperScope + "Enter", "Enter", [outerValue], new Dictionary<string, AttrValue>
        {
            ["frame_name"] = Attrs.String(FrameName),
            ["is_constant"] = Attrs.Bool(true),
            ["parallel_iterations"] = Attrs.Int(ParallelIterations),
        });
        var result = b.OutputOf(enter);
        ExternalValues[value.Name] = result;
        return result;
    }
}

/// <summary>Implemented by a gradient loop's state: maps a forward-loop tensor to its value in the matching
/// backward iteration (TF's <c>GradLoopState.GetRealValue</c>).</summary>
internal interface IForwardValueSource
{
    bool IsForwardValue(GraphBuilder b, Output value);

    Output GetRealValue(GraphBuilder b, Output value, string helperScope);
}
