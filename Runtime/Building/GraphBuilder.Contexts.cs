using TypedGraph.Protos;

namespace TypedGraph.Building;

// The control-flow context bookkeeping of the core: which loop or branch each node was created in, and the
// rewriting of op inputs that cross a loop or branch boundary (WhileContext/CondContext.AddOp in TF 1.x's
// control_flow_ops.py). The loop and branch builders themselves are ControlFlowOps.
public sealed partial class GraphBuilder
{
    private ControlFlowContext? _context;
    private bool _rawContextNode;
    private readonly Dictionary<string, ControlFlowContext> _nodeContexts = new(StringComparer.Ordinal);

    private readonly Dictionary<string, long[]?> _shapeHints = new(StringComparer.Ordinal);

    /// <summary>Records a tensor's static shape where no shape function can derive it (TF's <c>set_shape</c>):
    /// a TensorArray read gets the array's element shape, a stack pop the pushed value's shape.</summary>
    internal void SetShape(Output t, long[]? dims)
    {
        if (dims != null) _shapeHints[t.Name] = dims;
    }

    internal long[]? ShapeHint(Output t) => _shapeHints.GetValueOrDefault(t.Name);

    /// <summary>The control-flow context ops are currently added to (a loop body or cond branch), or null.</summary>
    public ControlFlowContext? CurrentContext => _context;

    /// <summary>The context node <paramref name="nodeName"/> was created in, or null (top level, or built
    /// by another builder: imported graphs carry no context).</summary>
    public ControlFlowContext? ContextOf(string nodeName) => _nodeContexts.GetValueOrDefault(nodeName);

    /// <summary>The context a node's outputs live in: its own, except an Exit's, which is the loop's outer
    /// context (TF's <c>GetOutputContext</c>).</summary>
    internal ControlFlowContext? OutputContext(string nodeName)
    {
        var ctx = ContextOf(nodeName);
        if (ctx is WhileContext w && Graph.FindNode(nodeName) is { } n && n.Op is "Exit" or "RefExit") return w.Outer;
        return ctx;
    }

    /// <summary>Makes <paramref name="ctx"/> the current context until disposed (gradient construction).</summary>
    internal IDisposable InContext(ControlFlowContext? ctx)
    {
        var saved = _context;
        _context = ctx;
        return new Popper(() => _context = saved);
    }

    /// <summary>Adds a node to <paramref name="ctx"/> as is — inputs not rewritten, no control dependencies —
    /// for the Enter/Switch/Merge plumbing of loops, branches and gradient loops.</summary>
    internal Node AddContextNode(ControlFlowContext? ctx, string fullBaseName, string opType, IReadOnlyList<Output> inputs,
        IReadOnlyDictionary<string, AttrValue>? attrs = null, IEnumerable<string>? controlInputs = null)
    {
        var (savedContext, savedRaw) = (_context, _rawContextNode);
        _context = ctx;
        _rawContextNode = true;
        try
        {
            using var _ = ControlDependencies(null);
            return AddNamedOperation(new NodeDef { Name = _namer.Unique(fullBaseName), Op = opType }, inputs, attrs, controlInputs);
        }
        finally
        {
            (_context, _rawContextNode) = (savedContext, savedRaw);
        }
    }

    /// <summary>Adds a node to <paramref name="ctx"/> whose inputs already live there, with no control dependencies
    /// but the context's pivot rule (a Const or a stack pop of a loop waits for the iteration's pivot).</summary>
    internal Node AddContextNodeWithPivot(ControlFlowContext ctx, string fullBaseName, string opType, IReadOnlyDictionary<string, AttrValue>? attrs, IReadOnlyList<Output>? inputs = null)
    {
        using var _ = InContext(ctx);
        using var __ = ControlDependencies(null);
        return AddNamedOperation(new NodeDef { Name = _namer.Unique(fullBaseName), Op = opType }, inputs ?? [], attrs, null);
    }

    /// <summary>Adds a node to <paramref name="ctx"/> with the usual input rewriting (TF's <c>ctx.Enter()</c> … op … <c>ctx.Exit()</c>).</summary>
    internal Node AddOperationIn(ControlFlowContext? ctx, string opType, IReadOnlyList<Output> inputs, IReadOnlyDictionary<string, AttrValue>? attrs = null, string? name = null)
    {
        using var _ = InContext(ctx);
        return AddOperation(opType, inputs, attrs, name);
    }

    // WhileContext/CondContext.AddOp: an input from outside the current context is replaced by its Enter/Switch.
    private IReadOnlyList<Output> MapInputsIntoContext(string nodeName, IReadOnlyList<Output> inputs)
    {
        if (_context == null || _rawContextNode || inputs.Count == 0) return inputs;
        Output[]? mapped = null;
        for (int i = 0; i < inputs.Count; i++)
        {
            if (_context.Encloses(OutputContext(inputs[i].NodeName))) continue;
            mapped ??= inputs.ToArray();
            mapped[i] = _context.AddValue(this, inputs[i], nodeName + "/");
        }
        return mapped ?? inputs;
    }

    // WhileContext._MaybeAddControlDependency / CondContext._AddOpInternal: an op that depends on nothing inside the
    // context (no inputs, or only loop-invariant Enters) waits for the context's pivot, so it runs per iteration /
    // only in the taken branch.
    private void AddContextPivot(IReadOnlyList<Output> inputs, List<string> controls)
    {
        if (_context == null || _rawContextNode || controls.Count > 0) return;
        bool free = _context is WhileContext
            ? inputs.All(i => IsLoopConstantEnter(i.NodeName))
            : inputs.Count == 0;
        if (free) controls.Add(_context.ControlPivot);
    }

    private void RecordContext(string nodeName)
    {
        if (_context != null) _nodeContexts[nodeName] = _context;
    }

    internal bool IsLoopConstantEnter(string nodeName)
        => Graph.FindNode(nodeName) is { Op: "Enter" or "RefEnter" } n && n.GetBool("is_constant", false);
}
