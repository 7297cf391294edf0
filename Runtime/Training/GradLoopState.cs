using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of one TF1 while loop built by a <see cref="GraphBuilder"/> (TF's <c>GradLoopState</c>,
/// control_flow_state.py): a counter added to the forward loop (<c>f_count</c>), a backward loop running the same
/// number of iterations (<c>b_count</c>, frame <c>gradients/&lt;forward frame&gt;</c>), and per forward value the
/// backward body needs, a stack (<c>f_acc</c>) pushed every forward iteration and popped in reverse.
/// </summary>
internal sealed class GradLoopState : IForwardValueSource
{
    private readonly GraphBuilder _b;
    private readonly Node _forwardIndex;   // the forward counter's NextIteration (TF's forward_index)
    private readonly Node _forwardAdd;     // the forward counter's Add (forward_index.op.inputs[0].op)
    private readonly Node _gradIndex;      // the backward counter's NextIteration (TF's grad_index)
    private Node? _gradSync;
    private Node? _forwardSync;
    private readonly Dictionary<string, Output> _historyMap = new(StringComparer.Ordinal);

    /// <param name="b">The builder.</param>
    /// <param name="forward">The forward loop.</param>
    /// <param name="outer">The gradient state of the loop enclosing <paramref name="forward"/>, or null for a
    /// top-level loop. A nested loop's iteration count is pushed per outer iteration and its gradient loop runs
    /// inside the outer gradient loop (TF's <c>_GradLoopState.__init__</c> with <c>outer_grad_state</c>).</param>
    public GradLoopState(GraphBuilder b, WhileContext forward, GradLoopState? outer)
    {
        _b = b;
        Forward = forward;
        Outer = outer;
        ForwardLoopExits = [.. forward.LoopExits];
        PendingExitsCount = ForwardLoopExits.Count;
        var outerForward = outer?.Forward ?? forward.Outer;
        Output count;
        using (b.InContext(outerForward))
            (count, _forwardIndex, _forwardAdd) = AddForwardLoopCounter(b, forward, outer);
        if (outer != null)
        {
            // A nested loop runs once per outer iteration: its iteration counts are saved in the outer loop and
            // popped by the outer gradient loop, which runs this loop's gradient loop once per pop.
            var historyCount = outer.AddForwardAccumulator(count, b.CurrentScope);
            using var _ = b.InContext(outer.Grad);
            Grad = new WhileContext(outer.Grad, b.UniqueName(forward.FrameName), forward.ParallelIterations, forward.BackProp) { GradState = this };
            var realCount = outer.AddBackpropAccumulatedValue(historyCount, count, b.CurrentScope);
            _gradIndex = AddBackpropLoopCounter(b, realCount, outer);
        }
        else
        {
            using var _ = b.InContext(outerForward);
            Grad = new WhileContext(outerForward, b.UniqueName(forward.FrameName), forward.ParallelIterations, forward.BackProp) { GradState = this };
            _gradIndex = AddBackpropLoopCounter(b, count, null);
        }
    }

    public WhileContext Forward { get; }

    public WhileContext Grad { get; }

    /// <summary>The gradient state of the enclosing loop (TF's <c>outer_grad_state</c>), or null.</summary>
    public GradLoopState? Outer { get; }

    public List<Output> ForwardLoopExits { get; }

    public int PendingExitsCount { get; set; }

    public List<Output> DeferredExits { get; } = [];

    public List<Output> UnusedExits { get; } = [];

    /// <summary>Forward loop Switch → the backward Merge made at its first (Exit-side) visit.</summary>
    public Dictionary<string, Node> SwitchMap { get; } = new(StringComparer.Ordinal);

    private static Dictionary<string, AttrValue> EnterAttrs(WhileContext ctx, bool isConstant) => new()
    {
        ["frame_name"] = Attrs.String(ctx.FrameName),
        ["is_constant"] = Attrs.Bool(isConstant),
        ["parallel_iterations"] = Attrs.Int(ctx.ParallelIterations),
    };

    // WhileContext.AddForwardLoopCounter: counts the forward iterations. Called in the outer forward context, so
    // a nested loop's f_count Const runs once per outer iteration; it also waits for the outer counter's Add, so
    // the i-th execution's pushes precede the (i+1)-th's.
    private static (Output Count, Node Index, Node Add) AddForwardLoopCounter(GraphBuilder b, WhileContext forward, GradLoopState? outer)
    {
        var n = b.Constant(0, "f_count");
        if (outer != null) b.Graph.AddControlInput(b.Graph.GetNode(n.NodeName), outer._forwardAdd.Name);
        var scope = b.CurrentScope;
        var enter = b.OutputOf(b.AddContextNode(forward, scope + "f_count", "Enter", [n], EnterAttrs(forward, false)));
        forward.LoopEnters.Add(enter);
        using var _ = b.InContext(forward);
        var merge = b.AddOperation("Merge", [enter, enter]);
        var sw = b.AddOperation("Switch", [b.OutputOf(merge), forward.Pivot]);
        var add = b.AddOperation("Add", [b.OutputOf(sw, 1), b.Constant(1, "Add/y")]);
        var next = b.AddOperation("NextIteration", [b.OutputOf(add)]);
        b.Graph.UpdateInput(merge, 1, b.OutputOf(next).Ref);
        var total = b.OutputOf(b.AddContextNode(forward, scope + "f_count", "Exit", [b.OutputOf(sw, 0)]));
        forward.LoopExits.Add(total);
        return (total, next, add);
    }

    // WhileContext.AddBackpropLoopCounter: counts down from the forward count; its LoopCond is the backward pivot,
    // its Sub the pivot of the backward body's input-less ops (stack pops). Called in the outer gradient context
    // (the b_count Const is per outer backward iteration); a nested loop's final count orders the outer loop's pops.
    private Node AddBackpropLoopCounter(GraphBuilder b, Output count, GradLoopState? outer)
    {
        var one = b.Constant(1, "b_count");
        var scope = b.CurrentScope;
        var enter = b.OutputOf(b.AddContextNode(Grad, scope + "b_count", "Enter", [count], EnterAttrs(Grad, false)));
        Grad.LoopEnters.Add(enter);
        using var _ = b.InContext(Grad);
        var merge = b.AddOperation("Merge", [enter, enter]);
        Grad.PivotForPred = b.OutputOf(merge);
        var pred = b.Binary("GreaterEqual", b.OutputOf(merge), one);
        Grad.Pivot = b.OutputOf(b.AddOperation("LoopCond", [pred], null, "b_count"));
        var sw = b.AddOperation("Switch", [b.OutputOf(merge), Grad.Pivot]);
        var index = b.Subtract(b.OutputOf(sw, 1), one);
        Grad.PivotForBody = index;
        var next = b.AddOperation("NextIteration", [index]);
        b.Graph.UpdateInput(merge, 1, b.OutputOf(next).Ref);
        var finalZero = b.OutputOf(b.AddContextNode(Grad, scope + "b_count", "Exit", [b.OutputOf(sw, 0)]));
        Grad.LoopExits.Add(finalZero);
        if (outer != null) b.Graph.AddControlInput(outer.GradSync, finalZero.NodeName);
        return next;
    }

    /// <summary>TF's <c>forward_sync</c>: a ControlTrigger in the forward loop, before the counter's NextIteration;
    /// pushes inside a cond of the loop are ordered before it.</summary>
    private Node ForwardSync
    {
        get
        {
            if (_forwardSync == null)
            {
                _forwardSync = _b.AddContextNode(Forward, _b.CurrentScope + "f_sync", "ControlTrigger", []);
                _b.Graph.AddControlInput(_forwardIndex, _forwardSync.Name);
            }
            return _forwardSync;
        }
    }

    /// <summary>TF's <c>grad_sync</c>: a ControlTrigger in the backward loop before the backward counter's
    /// NextIteration; every pop is ordered before it.</summary>
    private Node GradSync
    {
        get
        {
            if (_gradSync == null)
            {
                _gradSync = _b.AddContextNode(Grad, _b.CurrentScope + "b_sync", "ControlTrigger", []);
                _b.Graph.AddControlInput(_gradIndex, _gradSync.Name);
            }
            return _gradSync;
        }
    }

    public bool IsForwardValue(GraphBuilder b, Output value) => ReferenceEquals(b.OutputContext(value.NodeName)?.EnclosingWhile, Forward);

    // GradLoopState.GetRealValue: a loop invariant is followed out through its constant Enter — into the outer
    // loop's history when nested, else entered into the backward loop directly; a Const is cloned; anything else
    // is pushed per forward iteration (of the loop it lives in) and popped per backward iteration.
    public Output GetRealValue(GraphBuilder b, Output value, string helperScope)
    {
        if (_historyMap.TryGetValue(value.Name, out var known)) return known;
        Output? real = null;
        Output? history = null;
        var cur = value;
        GradLoopState? curState = this;
        while (true)
        {
            var node = b.Graph.GetNode(cur.NodeName);
            var enter = LoopConstantEnter(b, node);
            if (enter != null)
            {
                cur = b.OutputOf(b.Graph.GetNode(enter.Inputs[0].NodeName), enter.Inputs[0].Index);
                curState = curState!.Outer;
                if (curState == null)
                {
                    real = Grad.AddValue(b, cur, helperScope);
                    break;
                }
            }
            else if (node.Op == "Const")
            {
                var attrs = new Dictionary<string, AttrValue> { ["value"] = node.Attr("value")!.Clone(), ["dtype"] = node.Attr("dtype")!.Clone() };
                real = b.OutputOf(b.AddContextNodeWithPivot(Grad, helperScope + "Const", "Const", attrs));
                break;
            }
            else
            {
                history = curState!.AddForwardAccumulator(cur, helperScope);
                break;
            }
        }
        if (real == null)
        {
            real = curState!.AddBackpropAccumulatedValue(history!.Value, cur, helperScope);
            if (!ReferenceEquals(curState, this)) real = Grad.AddValue(b, real.Value, helperScope);
        }
        _historyMap[value.Name] = real.Value;
        return real.Value;
    }

    /// <summary>The per-iteration value of a cond predicate inside the forward loop, for the backward Switch of
    /// the cond's Merge (TF's <c>_MergeGrad</c>: the predicate is always pushed, never entered).</summary>
    public Output RealPredicate(Output pred)
    {
        if (_historyMap.TryGetValue(pred.Name, out var known)) return known;
        var history = AddForwardAccumulator(pred, _b.CurrentScope);
        var real = AddBackpropAccumulatedValue(history, pred, _b.CurrentScope);
        _historyMap[pred.Name] = real;
        return real;
    }

    private Output? HistoryOf(string name)
    {
        for (var s = this; s != null; s = s.Outer)
            if (s._historyMap.TryGetValue(name, out var v)) return v;
        return null;
    }

    private static Node? LoopConstantEnter(GraphBuilder b, Node node)
    {
        while (node.Op is "Identity" or "RefIdentity" or "Switch" or "RefSwitch")
            node = b.Graph.GetNode(node.Inputs[0].NodeName);
        return b.IsLoopConstantEnter(node.Name) ? node : null;
    }

    /// <summary>AddForwardAccumulator: <c>f_acc</c> = StackV2 at the top level, entered into the forward loop and
    /// pushed in the value's context (the loop, or a cond inside it). The push runs after the counter's Add and
    /// before its NextIteration (or, in a cond, before <c>f_sync</c>), so pushes keep iteration order.</summary>
    /// <param name="value">The forward value.</param>
    /// <param name="helperScope">Name prefix.</param>
    /// <param name="deadBranch">The value is the untaken output of a cond Switch (zeros for a dead branch): the
    /// push is built in the cond's outer context but belongs to the cond.</param>
    public Output AddForwardAccumulator(Output value, string helperScope, bool deadBranch = false)
    {
        var b = _b;
        Output acc;
        using (b.InContext(null))
        using (b.ControlDependencies(null))
        using (b.ColocateWith(value.NodeName))
        {
            var maxSize = b.AddContextNode(null, helperScope + "f_acc/max_size", "Const", [], new Dictionary<string, AttrValue>
            {
                ["value"] = Attrs.Tensor(ConstantEncoder.Encode(Tensor.FromScalar(-1))),
                ["dtype"] = Attrs.Type(DataType.DtInt32),
            });
            acc = b.OutputOf(b.AddContextNode(null, helperScope + "f_acc", "StackV2", [b.OutputOf(maxSize)],
                new Dictionary<string, AttrValue> { ["elem_type"] = Attrs.Type(value.BaseType) }));
        }
        var enterAcc = Forward.AddValue(b, acc, helperScope);
        var valueCtx = b.OutputContext(value.NodeName);
        Node push;
        if (ReferenceEquals(valueCtx, Forward))
        {
            push = b.AddContextNode(Forward, helperScope + "StackPushV2", "StackPushV2", [enterAcc, value]);
            b.Graph.AddControlInput(_forwardIndex, push.Name);
        }
        else
        {
            if (valueCtx is not CondContext cond)
                throw new InvalidOperationException($"'{value.Name}' must live in the loop '{Forward.FrameName}' or a cond inside it to be saved for its gradient.");
            // The handle enters the cond through its Switch (CondContext.AddValue) unless the push is a dead-branch one.
            var handle = deadBranch ? enterAcc : cond.AddValue(b, enterAcc, helperScope);
            push = b.AddContextNode(cond, helperScope + "StackPushV2", "StackPushV2", [handle, value]);
            b.Graph.AddControlInput(ForwardSync, push.Name);
        }
        b.Graph.AddControlInput(push, _forwardAdd.Name);
        return acc;
    }

    /// <summary>AddBackpropAccumulatedValue: the pop, in the backward loop, after its counter step and before
    /// the next one (<c>b_sync</c>). A value computed in a cond of the forward loop is popped only in iterations
    /// where its branch ran: the stack handle goes through a Switch on the popped predicate.</summary>
    public Output AddBackpropAccumulatedValue(Output history, Output value, string helperScope, bool deadBranch = false)
    {
        var b = _b;
        CondContext? cond = null;
        for (var c = b.ContextOf(value.NodeName); c != null && c is not WhileContext; c = c.Outer)
            if (c is CondContext cc) { cond = cc; break; }
        var handle = Grad.AddValue(b, history, helperScope + "StackPopV2/");
        Node popNode;
        using (b.ControlDependencies(null))
        {
            if (cond != null)
            {
                var pred = HistoryOf(cond.Pred.Name) ?? Grad.AddValue(b, cond.Pred, helperScope);
                var branch = deadBranch ? 1 - cond.Branch : cond.Branch;
                handle = b.OutputOf(b.AddContextNode(Grad, helperScope + "Switch", "Switch", [handle, pred]), branch);
            }
            popNode = b.AddContextNodeWithPivot(Grad, helperScope + "StackPopV2", "StackPopV2", new Dictionary<string, AttrValue> { ["elem_type"] = Attrs.Type(value.BaseType) }, [handle]);
        }
        var pop = b.OutputOf(popNode);
        b.SetShape(pop, StaticShapes.Of(b, value)); // pop.set_shape(value.get_shape())
        if (Grad.ParallelIterations > 1) b.Graph.AddControlInput(GradSync, pop.NodeName);
        return pop;
    }

    /// <summary>WhileContext.AddBackpropAccumulator: the gradient of a loop invariant is summed over the backward
    /// iterations by an accumulator loop variable (<c>b_acc</c>) of the backward loop. Its initial zeros live in the
    /// outer gradient context; without a static shape they take the shape of the Enter's input — saved per outer
    /// iteration when the loop is nested.</summary>
    public Output AddBackpropAccumulator(Node enterOp, Output grad)
    {
        var b = _b;
        var scope = b.CurrentScope;
        Output acc;
        var shape = StaticShapes.Of(b, grad);
        if (shape != null && shape.All(d => d >= 0))
        {
            using var _ = b.InContext(Grad.Outer);
            acc = b.Splat(0, grad.BaseType, shape, "b_acc");
        }
        else
        {
            var outerValue = b.OutputOf(b.Graph.GetNode(enterOp.Inputs[0].NodeName), enterOp.Inputs[0].Index);
            Output realShape;
            if (Outer != null)
            {
                Output zerosShape;
                using (b.InContext(Forward.Outer)) zerosShape = b.Shape(outerValue);
                var history = Outer.AddForwardAccumulator(zerosShape, scope);
                using var _ = b.InContext(Outer.Grad);
                realShape = Outer.AddBackpropAccumulatedValue(history, zerosShape, scope);
            }
            else
            {
                using var _ = b.InContext(Grad.Outer);
                realShape = b.Shape(outerValue);
            }
            using (b.InContext(Grad.Outer))
            using (b.NameScope("zeros"))
                acc = b.OutputOf(b.AddOperationExact(b.CurrentScope.TrimEnd('/'), "Fill", [realShape, b.ScalarConstant(0, grad.BaseType, "Const")]));
        }
        var enter = b.OutputOf(b.AddContextNode(Grad, scope + "b_acc", "Enter", [acc], EnterAttrs(Grad, false)));
        Grad.LoopEnters.Add(enter);
        using var __ = b.InContext(Grad);
        var merge = b.AddOperation("Merge", [enter, enter], null, "b_acc");
        var sw = b.AddOperation("Switch", [b.OutputOf(merge), Grad.Pivot]);
        var add = b.Add(b.OutputOf(sw, 1), grad);
        var next = b.AddOperation("NextIteration", [add]);
        b.Graph.UpdateInput(merge, 1, b.OutputOf(next).Ref);
        var result = b.OutputOf(b.AddContextNode(Grad, scope + "b_acc", "Exit", [b.OutputOf(sw, 0)]));
        Grad.LoopExits.Add(result);
        return result;
    }

    /// <summary>WhileContext.AddBackpropIndexedSlicesAccumulator: the sparse gradient of a loop invariant (a Gather
    /// of it inside the loop) is accumulated as IndexedSlices — indices and values concatenated over the backward
    /// iterations (starting from one zero row at index 0), the dense shape kept as a running maximum — so an optimizer
    /// still updates only the gathered rows. Returns the dense form (UnsortedSegmentSum) recorded as those slices.</summary>
    public Output AddBackpropIndexedSlicesAccumulator(Node enterOp, IndexedSlices grad)
    {
        var b = _b;
        var scope = b.CurrentScope;
        Output valuesAcc, indicesAcc, shapeAcc;
        using (b.InContext(Grad.Outer))
        using (b.ControlDependencies(null))
        {
            var valuesShape = StaticShapes.Of(b, grad.Values);
            if (valuesShape != null && valuesShape.All(d => d >= 0))
                valuesAcc = b.Splat(0, grad.Values.BaseType, [1, .. valuesShape[1..]], "b_acc");
            else
            {
                var outerValue = b.OutputOf(b.Graph.GetNode(enterOp.Inputs[0].NodeName), enterOp.Inputs[0].Index);
                var rowShape = b.Slice(b.Shape(outerValue), b.Constant(new[] { 1 }, "Slice/begin"), b.Constant(new[] { -1 }, "Slice/size"), "Slice");
                var shape = b.OutputOf(b.AddOperation("ConcatV2", [b.Constant(new[] { 1 }, "concat/values_0"), rowShape, b.Constant(0, "concat/axis")], null, "concat"));
                valuesAcc = b.Fill(shape, b.ScalarConstant(0, grad.Values.BaseType, "zeros/Const"), "zeros");
            }
            indicesAcc = grad.Indices.BaseType == DataType.DtInt64 ? b.Constant(Tensor.Create(new long[] { 0 }), "Const") : b.Constant(new[] { 0 }, "Const");
            var denseRank = StaticShapes.Of(b, grad.DenseShape);
            shapeAcc = denseRank is [>= 0] ? b.Splat(0, grad.DenseShape.BaseType, denseRank, "Const_1")
                : b.ZerosLike(b.Shape(b.Shape(b.OutputOf(b.Graph.GetNode(enterOp.Inputs[0].NodeName), enterOp.Inputs[0].Index))));
        }
        Output[] init = [indicesAcc, valuesAcc, shapeAcc];
        var enters = init.Select(x => b.OutputOf(b.AddContextNode(Grad, scope + "b_acc", "Enter", [x], EnterAttrs(Grad, false)))).ToArray();
        Grad.LoopEnters.AddRange(enters);
        using var __ = b.InContext(Grad);
        var merges = enters.Select(e => b.AddOperation("Merge", [e, e], null, "b_acc")).ToArray();
        var switches = merges.Select(m => b.AddOperation("Switch", [b.OutputOf(m), Grad.Pivot])).ToArray();
        Output[] next =
        [
            b.OutputOf(b.AddOperation("ConcatV2", [b.OutputOf(switches[0], 1), grad.Indices, b.Constant(0, "concat/axis")], null, "concat")),
            b.OutputOf(b.AddOperation("ConcatV2", [b.OutputOf(switches[1], 1), grad.Values, b.Constant(0, "concat_1/axis")], null, "concat_1")),
            b.Maximum(grad.DenseShape, b.OutputOf(switches[2], 1)),
        ];
        for (int i = 0; i < 3; i++)
        {
            var n = b.AddOperation("NextIteration", [next[i]]);
            b.Graph.UpdateInput(merges[i], 1, b.OutputOf(n).Ref);
        }
        var exits = switches.Select(sw => b.OutputOf(b.AddContextNode(Grad, scope + "b_acc", "Exit", [b.OutputOf(sw, 0)]))).ToArray();
        Grad.LoopExits.AddRange(exits);
        using var ___ = b.InContext(Grad.Outer);
        var rows = b.Reshape(b.Slice(exits[2], b.Constant(new[] { 0 }, "Slice_1/begin"), b.Constant(new[] { 1 }, "Slice_1/size"), "Slice_1"), Array.Empty<int>(), "Reshape");
        var dense = b.OutputOf(b.AddOperation("UnsortedSegmentSum", [exits[1], exits[0], rows], null, "UnsortedSegmentSum"));
        return SparseGradients.Record(b, dense, new IndexedSlices(exits[1], exits[0], exits[2]));
    }

    private static TensorProto ZerosProto(DataType dtype, long[] shape)
    {
        var proto = ConstantEncoder.Encode(GraphBuilder.ScalarTensor(0, dtype), splat: true);
        proto.TensorShape = Attrs.ShapeProto(shape);
        return proto;
    }

    /// <summary>ControlFlowState.ZerosLikeV1WhileLoop for a forward-loop op's output without a gradient: a Const
    /// when the shape is static, else zeros of the shape pushed per forward iteration. The untaken output of a cond
    /// Switch inside the loop (a dead branch) gets zeros behind a Switch on the popped predicate, so they are live
    /// exactly in the backward iterations whose forward iteration took the other branch. Null for a loop Switch.</summary>
    public Output? ZerosLike(Node op, int index)
    {
        var b = _b;
        if (op.Op is "Switch" or "RefSwitch" && b.ContextOf(op.Name) is WhileContext) return null;
        var condSwitch = op.Op is "Switch" or "RefSwitch" ? b.ContextOf(op.Name) as CondContext : null;
        var val = b.OutputOf(op, index);
        var shape = StaticShapes.Of(b, val);
        if (shape != null && shape.All(d => d >= 0))
        {
            var zeros = b.OutputOf(b.AddContextNodeWithPivot(Grad, b.CurrentScope + "zeros_like", "Const", new Dictionary<string, AttrValue>
            {
                ["value"] = Attrs.Tensor(ZerosProto(val.BaseType, shape)),
                ["dtype"] = Attrs.Type(val.BaseType),
            }));
            if (condSwitch == null) return zeros;
            var pred = HistoryOf(condSwitch.Pred.Name) ?? RealPredicate(condSwitch.Pred);
            return b.OutputOf(b.AddContextNode(Grad, b.CurrentScope + "Switch", "Switch", [zeros, pred]), 1 - condSwitch.Branch);
        }
        Output zerosShape;
        using (b.ControlDependencies(null))
        {
            if (condSwitch != null)
            {
                // The dead output's shape: the Switch's input switched the other way, built in the cond's outer
                // context but belonging to the cond (TF sets their control-flow context to op_ctxt).
                var input = b.OutputOf(b.Graph.GetNode(op.Inputs[0].NodeName), op.Inputs[0].Index);
                var dead = b.OutputOf(b.AddContextNode(condSwitch, b.CurrentScope + "Switch", "Switch", [input, condSwitch.Pred]), 1 - condSwitch.Branch);
                zerosShape = b.OutputOf(b.AddContextNode(condSwitch, b.CurrentScope + "Shape", "Shape", [dead],
                    new Dictionary<string, AttrValue> { ["out_type"] = Attrs.Type(DataType.DtInt32) }));
            }
            else
            {
                using (b.InContext(b.ContextOf(op.Name)))
                    zerosShape = b.Shape(val);
            }
        }
        var history = AddForwardAccumulator(zerosShape, b.CurrentScope, deadBranch: condSwitch != null);
        var popped = AddBackpropAccumulatedValue(history, zerosShape, b.CurrentScope, deadBranch: condSwitch != null);
        return b.Fill(popped, b.ScalarConstant(0, val.BaseType, "zeros/Const"), "zeros");
    }

    /// <summary>ControlFlowState.PostProcessing: a backward Merge whose back edge was never set (the loop variable's
    /// next value does not depend on its current one) gets zeros for every iteration after the first.</summary>
    public void PatchConstantLoopVariables()
    {
        var b = _b;
        foreach (var merge in SwitchMap.Values)
        {
            if (merge.Inputs[0] != merge.Inputs[1]) continue;
            var first = b.OutputOf(b.Graph.GetNode(merge.Inputs[0].NodeName), merge.Inputs[0].Index);
            var shape = StaticShapes.Of(b, first);
            Output zeros;
            if (shape != null && shape.All(d => d >= 0))
                zeros = b.OutputOf(b.AddContextNodeWithPivot(Grad, b.CurrentScope + "Const", "Const", new Dictionary<string, AttrValue>
                {
                    ["value"] = Attrs.Tensor(ZerosProto(first.BaseType, shape)),
                    ["dtype"] = Attrs.Type(first.BaseType),
                }));
            else
            {
                // The b_exit Enter's input lives in the outer gradient context: zeros of its shape there.
                var enterGrad = b.Graph.GetNode(merge.Inputs[0].NodeName);
                var outerGrad = b.OutputOf(b.Graph.GetNode(enterGrad.Inputs[0].NodeName), enterGrad.Inputs[0].Index);
                using (b.InContext(Grad.Outer)) zeros = b.ZerosLike(outerGrad);
            }
            var next = b.AddContextNode(Grad, b.CurrentScope + "NextIteration", "NextIteration", [zeros]);
            b.Graph.UpdateInput(merge, 1, b.OutputOf(next).Ref);
        }
    }
}
