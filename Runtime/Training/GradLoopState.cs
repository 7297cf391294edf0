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
    private readonly Node _forwardIndex;
    private readonly Node _gradIndex;
    private Node? _gradSync;
    private readonly Dictionary<string, Output> _historyMap = new(StringComparer.Ordinal);

    public GradLoopState(GraphBuilder b, WhileContext forward)
    {
        _b = b;
        Forward = forward;
        ForwardLoopExits = [.. forward.LoopExits];
        PendingExitsCount = ForwardLoopExits.Count;
        if (forward.Outer != null)
            throw new NotSupportedException($"Gradients through the while loop '{forward.FrameName}' nested in another loop or a cond are not supported: only a top-level tf.while_loop is differentiated.");
        var (count, forwardIndex) = AddForwardLoopCounter(b, forward);
        _forwardIndex = forwardIndex;
        Grad = new WhileContext(null, b.UniqueName(forward.FrameName), forward.ParallelIterations, forward.BackProp) { GradState = this };
        _gradIndex = AddBackpropLoopCounter(b, count);
    }

    public WhileContext Forward { get; }

    public WhileContext Grad { get; }

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

    // WhileContext.AddForwardLoopCounter: counts the forward iterations; its Add is the op every stack push must
    // precede ("forward_index").
    private static (Output Count, Node Index) AddForwardLoopCounter(GraphBuilder b, WhileContext forward)
    {
        var n = b.Constant(0, "f_count");
        var scope = b.CurrentScope;
        var enter = b.OutputOf(b.AddContextNode(forward, scope + "f_count", "Enter", [n], EnterAttrs(forward, false)));
        forward.LoopEnters.Add(enter);
        using var _ = b.InContext(forward);
        var merge = b.AddOperation("Merge", [enter, enter]);
        var sw = b.AddOperation("Switch", [b.OutputOf(merge), forward.Pivot]);
        var index = b.AddOperation("Add", [b.OutputOf(sw, 1), b.Constant(1, "Add/y")]);
        var next = b.OutputOf(b.AddOperation("NextIteration", [b.OutputOf(index)]));
        b.Graph.UpdateInput(merge, 1, next.Ref);
        var total = b.OutputOf(b.AddContextNode(forward, scope + "f_count", "Exit", [b.OutputOf(sw, 0)]));
        forward.LoopExits.Add(total);
        return (total, index);
    }

    // WhileContext.AddBackpropLoopCounter: counts down from the forward count; its LoopCond is the backward pivot,
    // its Sub the pivot of the backward body's input-less ops (stack pops).
    private Node AddBackpropLoopCounter(GraphBuilder b, Output count)
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
        return next;
    }

    public bool IsForwardValue(GraphBuilder b, Output value) => ReferenceEquals(b.OutputContext(value.NodeName)?.EnclosingWhile, Forward);

    // GradLoopState.GetRealValue: a loop invariant (through a constant Enter) enters the backward loop directly,
    // a Const is cloned, anything else is pushed per forward iteration and popped per backward iteration.
    public Output GetRealValue(GraphBuilder b, Output value, string helperScope)
    {
        if (_historyMap.TryGetValue(value.Name, out var known)) return known;
        Output real;
        var node = b.Graph.GetNode(value.NodeName);
        var enter = LoopConstantEnter(b, node);
        if (enter != null)
            real = Grad.AddValue(b, b.OutputOf(b.Graph.GetNode(enter.Inputs[0].NodeName), enter.Inputs[0].Index), helperScope);
        else if (node.Op == "Const")
        {
            var attrs = new Dictionary<string, AttrValue> { ["value"] = node.Attr("value")!.Clone(), ["dtype"] = node.Attr("dtype")!.Clone() };
            real = b.OutputOf(b.AddContextNodeWithPivot(Grad, helperScope + "Const", "Const", attrs));
        }
        else
        {
            var history = AddForwardAccumulator(value, helperScope);
            real = AddBackpropAccumulatedValue(history, value, helperScope);
        }
        _historyMap[value.Name] = real;
        return real;
    }

    private static Node? LoopConstantEnter(GraphBuilder b, Node node)
    {
        while (node.Op is "Identity" or "RefIdentity" or "Switch" or "RefSwitch")
            node = b.Graph.GetNode(node.Inputs[0].NodeName);
        return b.IsLoopConstantEnter(node.Name) ? node : null;
    }

    /// <summary>AddForwardAccumulator: <c>f_acc</c> = StackV2 at the top level, entered into the forward loop and
    /// pushed there; the push is ordered before the forward counter's increment.</summary>
    public Output AddForwardAccumulator(Output value, string helperScope)
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
        var push = b.AddContextNode(Forward, helperScope + "StackPushV2", "StackPushV2", [enterAcc, value]);
        b.Graph.AddControlInput(_forwardIndex, push.Name);
        return acc;
    }

    /// <summary>AddBackpropAccumulatedValue: the pop, in the backward loop, after its counter step and before
    /// the next one (<c>b_sync</c>).</summary>
    public Output AddBackpropAccumulatedValue(Output history, Output value, string helperScope)
    {
        var b = _b;
        var handle = Grad.AddValue(b, history, helperScope + "StackPopV2/");
        Output pop;
        using (b.ControlDependencies(null))
            pop = b.OutputOf(b.AddContextNodeWithPivot(Grad, helperScope + "StackPopV2", "StackPopV2", new Dictionary<string, AttrValue> { ["elem_type"] = Attrs.Type(value.BaseType) }, [handle]));
        b.SetShape(pop, StaticShapes.Of(b, value)); // pop.set_shape(value.get_shape())
        if (Grad.ParallelIterations > 1)
        {
            if (_gradSync == null)
            {
                _gradSync = b.AddContextNode(Grad, helperScope + "b_sync", "ControlTrigger", []);
                b.Graph.AddControlInput(_gradIndex, _gradSync.Name);
            }
            b.Graph.AddControlInput(_gradSync, pop.NodeName);
        }
        return pop;
    }

    /// <summary>WhileContext.AddBackpropAccumulator: the gradient of a loop invariant is summed over the backward
    /// iterations by an accumulator loop variable (<c>b_acc</c>) of the backward loop.</summary>
    public Output AddBackpropAccumulator(Node enterOp, Output grad)
    {
        var b = _b;
        var scope = b.CurrentScope;
        Output acc;
        using (b.InContext(null))
        {
            var shape = StaticShapes.Of(b, grad);
            if (shape != null && shape.All(d => d >= 0)) acc = b.Splat(0, grad.BaseType, shape, "b_acc");
            else
            {
                var outerValue = b.OutputOf(b.Graph.GetNode(enterOp.Inputs[0].NodeName), enterOp.Inputs[0].Index);
                var zerosShape = b.Shape(outerValue);
                using var _ = b.NameScope("zeros");
                acc = b.OutputOf(b.AddOperationExact(b.CurrentScope.TrimEnd('/'), "Fill", [zerosShape, b.ScalarConstant(0, grad.BaseType, "Const")]));
            }
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

    private static TensorProto ZerosProto(DataType dtype, long[] shape)
    {
        var proto = ConstantEncoder.Encode(GraphBuilder.ScalarTensor(0, dtype), splat: true);
        proto.TensorShape = Attrs.ShapeProto(shape);
        return proto;
    }

    /// <summary>ControlFlowState.ZerosLike for a forward-loop op's output without a gradient: a Const when the
    /// shape is static, else zeros of the shape pushed per forward iteration. Null for a loop Switch.</summary>
    public Output? ZerosLike(Node op, int index)
    {
        var b = _b;
        if (op.Op is "Switch" or "RefSwitch") return null;
        var val = b.OutputOf(op, index);
        var shape = StaticShapes.Of(b, val);
        if (shape != null && shape.All(d => d >= 0))
            return b.OutputOf(b.AddContextNodeWithPivot(Grad, b.CurrentScope + "zeros_like", "Const", new Dictionary<string, AttrValue>
            {
                ["value"] = Attrs.Tensor(ZerosProto(val.BaseType, shape)),
                ["dtype"] = Attrs.Type(val.BaseType),
            }));
        Output zerosShape;
        using (b.InContext(Forward))
        using (b.ControlDependencies(null))
            zerosShape = b.Shape(val);
        var history = AddForwardAccumulator(zerosShape, b.CurrentScope);
        var popped = AddBackpropAccumulatedValue(history, zerosShape, b.CurrentScope);
        return b.Fill(popped, b.ScalarConstant(0, val.BaseType, "zeros/Const"), "zeros");
    }
}
