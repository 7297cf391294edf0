using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// The while loops one <see cref="Gradients.Compute"/> call differentiates (TF's <c>ControlFlowState</c>,
/// control_flow_state.py): one <see cref="GradLoopState"/> per forward loop an Exit of the gradient path leaves.
/// </summary>
internal sealed class ControlFlowState
{
    private readonly GraphBuilder _b;
    private readonly Dictionary<WhileContext, GradLoopState> _map = [];

    private ControlFlowState(GraphBuilder b) => _b = b;

    public IEnumerable<GradLoopState> States => _map.Values;

    /// <summary>MaybeCreateControlFlowState: null when no Exit of a loop lies between ys and xs. Every Exit of a
    /// differentiated loop joins <paramref name="between"/> (unused ones get zero gradients). Outer loops get their
    /// state before the loops nested in them (TF meets their Exits first walking back from the ys), so a nested
    /// loop's gradient loop is built inside its outer loop's.</summary>
    /// <exception cref="NotSupportedException">A loop op with no builder context (an imported loop) lies on the path.</exception>
    public static ControlFlowState? Create(GraphBuilder b, HashSet<string> between)
    {
        ControlFlowState? state = null;
        var loops = new List<WhileContext>();
        foreach (var name in between)
        {
            var node = b.Graph.GetNode(name);
            var ctx = b.ContextOf(name);
            bool loopOp = node.Op is "Enter" or "RefEnter" or "Exit" or "RefExit" or "NextIteration" or "RefNextIteration" or "LoopCond";
            if (loopOp && ctx is not WhileContext)
                throw new NotSupportedException($"Node '{name}' ({node.Op}) belongs to a while loop this GraphBuilder did not build (an imported graph): gradients through it need the loop's context; build the loop with GraphBuilder.WhileLoop.");
            if (node.Op is not ("Exit" or "RefExit")) continue;
            var loop = (WhileContext)ctx!;
            if (!loops.Contains(loop)) loops.Add(loop);
        }
        foreach (var loop in loops.OrderBy(Depth))
        {
            state ??= new ControlFlowState(b);
            // A loop inside a tf.cond (no enclosing loop): control_flow_state.py's _GradLoopState.__init__ enters
            // forward_ctxt.outer_context — the cond branch — to build the forward counter and the gradient
            // WhileContext, so both run only when the cond takes that branch. GradLoopState does the same.
            GradLoopState? outer = null;
            if (loop.Outer?.EnclosingWhile is { } outerLoop && (outer = state._map.GetValueOrDefault(outerLoop)) == null)
                throw new NotSupportedException($"The while loop '{loop.FrameName}' is nested in '{outerLoop.FrameName}', whose Exits are not between the ys and xs: gradients must be taken outside the outer loop.");
            var grad = new GradLoopState(b, loop, outer);
            state._map[loop] = grad;
            foreach (var exit in grad.ForwardLoopExits) between.Add(exit.NodeName);
        }
        return state;

        static int Depth(WhileContext w)
        {
            int d = 0;
            for (ControlFlowContext? c = w.Outer; c != null; c = c.Outer) d++;
            return d;
        }
    }

    /// <summary>ControlFlowState.PostProcessing, after every gradient is built.</summary>
    public void PostProcess()
    {
        foreach (var s in _map.Values) s.PatchConstantLoopVariables();
    }

    public GradLoopState? StateOf(WhileContext? loop) => loop != null ? _map.GetValueOrDefault(loop) : null;

    /// <summary>GetGradState: the loop whose backward context builds <paramref name="op"/>'s gradient; an Exit's
    /// gradients are aggregated (before = true) outside that loop.</summary>
    public GradLoopState? GradStateOf(Node op, bool before)
    {
        var ctx = _b.ContextOf(op.Name)?.EnclosingWhile;
        if (before && op.Op is "Exit" or "RefExit") ctx = ctx?.Outer?.EnclosingWhile;
        return StateOf(ctx);
    }

    public bool IsLoopExit(Node op) => op.Op is "Exit" or "RefExit" && _b.ContextOf(op.Name) is WhileContext;

    public bool IsLoopSwitch(Node op) => op.Op is "Switch" or "RefSwitch" && _b.ContextOf(op.Name) is WhileContext;

    /// <summary>ZerosLikeForExit: zeros for an unused Exit of a differentiated loop — in the outer gradient loop
    /// when the loop is nested (of a shape saved per outer iteration when not static).</summary>
    public Output ZerosLikeForExit(Output exit)
    {
        var b = _b;
        var shape = StaticShapes.Of(b, exit);
        var forward = (WhileContext)b.ContextOf(exit.NodeName)!;
        var outer = StateOf(forward.Outer?.EnclosingWhile);
        if (outer == null)
        {
            if (shape != null && shape.All(d => d >= 0)) return b.Splat(0, exit.BaseType, shape, "zeros");
            return b.ZerosLike(exit);
        }
        if (shape != null && shape.All(d => d >= 0))
        {
            using var _ = b.InContext(outer.Grad);
            return b.Splat(0, exit.BaseType, shape, "zeros");
        }
        Output exitShape;
        using (b.InContext(forward.Outer)) exitShape = b.Shape(exit);
        var history = outer.AddForwardAccumulator(exitShape, b.CurrentScope);
        using var __ = b.InContext(outer.Grad);
        var realShape = outer.AddBackpropAccumulatedValue(history, exitShape, b.CurrentScope);
        return b.Fill(realShape, b.ScalarConstant(0, exit.BaseType, "zeros/Const"), "zeros");
    }

    /// <summary>ZerosLikeOutsideLoop for the untaken output of a cond Switch: zeros that are only live when that
    /// output is (a Switch on the same predicate guards them), so the cond_grad Merge gets one live input.</summary>
    public static Output ZerosLikeOutsideLoop(GraphBuilder b, Node op, int index)
    {
        var output = b.OutputOf(op, index);
        if (b.ContextOf(op.Name) is not CondContext cond) return b.ZerosLike(output);
        var input = b.OutputOf(b.Graph.GetNode(op.Inputs[0].NodeName), op.Inputs[0].Index);
        var switchVal = b.OutputOf(b.AddOperation("Switch", [input, cond.Pred]), 1 - cond.Branch);
        var pivot = b.Identity(switchVal);
        var zerosShape = b.Shape(switchVal);
        using var _ = b.ControlDependencies([pivot.NodeName]);
        return b.Fill(zerosShape, b.ScalarConstant(0, output.BaseType, "zeros/Const"), "zeros");
    }
}
