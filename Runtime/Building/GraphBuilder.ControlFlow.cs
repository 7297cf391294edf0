using TypedGraph.Protos;

namespace TypedGraph.Building;

// TF1 control flow (tf.while_loop, tf.cond) in the layout TF 1.x's control_flow_ops.py writes, and the
// context bookkeeping that rewrites op inputs crossing a loop or branch boundary.
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

    /// <summary>
    /// <c>tf.while_loop</c> in TF 1.x's layout (control_flow_ops.py <c>WhileContext._BuildLoop</c>): per loop variable
    /// <c>Enter</c> (frame <c>&lt;scope&gt;/while_context</c>) → <c>Merge</c> (back edge from <c>NextIteration</c>) →
    /// <c>Switch</c> on <c>LoopCond</c> → <c>Identity</c> into the body / <c>Exit</c> out. Tensors from outside the
    /// loop used by cond or body enter it through <c>Enter(is_constant=true)</c> nodes named after their consumer
    /// (<c>while/Less/Enter</c>); input-less body ops wait for the first loop variable's Identity.
    /// </summary>
    /// <param name="cond">Builds the loop condition (a bool scalar) from the loop variables' Merge outputs.</param>
    /// <param name="body">Builds the next values from the loop variables' Identity outputs (same count and dtypes).</param>
    /// <param name="loopVars">Initial values (a TensorArray is carried by its <see cref="GraphTensorArray.Flow"/>).</param>
    /// <param name="name">Name scope (made unique).</param>
    /// <param name="parallelIterations">The Enter ops' <c>parallel_iterations</c>.</param>
    /// <param name="backProp">False: gradients do not flow through the loop.</param>
    /// <returns>The loop variables' final values (the Exit outputs).</returns>
    /// <exception cref="ArgumentException">No loop variables, a non-bool condition, or a body result of the wrong count or dtype.</exception>
    /// <param name="maximumIterations">When given (an int32 scalar), the loop also stops after that many iterations:
    /// as TF's while_loop, an extra first loop variable <c>iteration_counter</c> and <c>LogicalAnd(counter &lt; max, cond)</c>;
    /// the counter is not returned.</param>
    public Output[] WhileLoop(Func<Output[], Output> cond, Func<Output[], IReadOnlyList<Output>> body, IReadOnlyList<Output> loopVars,
        string name = "while", int parallelIterations = 10, bool backProp = true, Output? maximumIterations = null)
    {
        if (loopVars.Count == 0) throw new ArgumentException("tf.while_loop needs at least one loop variable.", nameof(loopVars));
        if (parallelIterations < 1) throw new ArgumentException($"parallel_iterations must be a positive integer, got {parallelIterations}.", nameof(parallelIterations));
        using var _ = NameScope(name);
        if (maximumIterations is Output max)
        {
            if (max.BaseType != DataType.DtInt32) throw new ArgumentException($"maximum_iterations must be an int32 scalar, got {max}.", nameof(maximumIterations));
            var counter = Constant(0, "iteration_counter");
            var all = BuildLoop(
                v => OutputOf(AddOperation("LogicalAnd", [Less(v[0], max), cond(v[1..])])),
                v => [Add(v[0], 1), .. body(v[1..])],
                [counter, .. loopVars], parallelIterations, backProp);
            return all[1..];
        }
        return BuildLoop(cond, body, loopVars, parallelIterations, backProp);
    }

    private Output[] BuildLoop(Func<Output[], Output> cond, Func<Output[], IReadOnlyList<Output>> body, IReadOnlyList<Output> loopVars, int parallelIterations, bool backProp)
    {
        var outer = _context;
        var ctx = new WhileContext(outer, UniqueName("while_context"), parallelIterations, backProp);
        var frame = new Dictionary<string, AttrValue>
        {
            ["frame_name"] = Attrs.String(ctx.FrameName),
            ["is_constant"] = Attrs.Bool(false),
            ["parallel_iterations"] = Attrs.Int(parallelIterations),
        };
        var real = loopVars.Select(v => outer != null && !outer.Encloses(OutputContext(v.NodeName)) ? outer.AddValue(this, v, CurrentScope) : v).ToArray();
        var enters = real.Select(v => OutputOf(AddContextNode(ctx, CurrentScope + "Enter", "Enter", [v], frame))).ToArray();
        ctx.LoopEnters.AddRange(enters);
        using (InContext(ctx))
        {
            var merges = enters.Select(e => AddOperation("Merge", [e, e])).ToArray();
            var mergeOuts = merges.Select(m => OutputOf(m)).ToArray();
            ctx.PivotForPred = mergeOuts[0];
            var c = cond(mergeOuts);
            if (c.BaseType != DataType.DtBool) throw new ArgumentException($"The while_loop condition must be a bool scalar, got {c}.", nameof(cond));
            ctx.Pivot = OutputOf(AddOperation("LoopCond", [c], null, "LoopCond"));
            var switches = mergeOuts.Select(m => AddOperation("Switch", [m, ctx.Pivot])).ToArray();
            var identities = switches.Select(s => Identity(OutputOf(s, 1))).ToArray();
            ctx.PivotForBody = identities[0];
            var result = body(identities);
            if (result.Count != loopVars.Count)
                throw new ArgumentException($"Number of inputs and outputs of body must match loop_vars: {loopVars.Count}, {result.Count}.", nameof(body));
            for (int i = 0; i < result.Count; i++)
            {
                if (result[i].BaseType != loopVars[i].BaseType)
                    throw new ArgumentException($"Loop variable {i} enters the loop as {DataTypes.Name(loopVars[i].BaseType)} but the body returns {result[i]}.", nameof(body));
                var next = OutputOf(AddOperation("NextIteration", [result[i]]));
                Graph.UpdateInput(merges[i], 1, next.Ref); // _AddNextAndBackEdge
            }
            var exits = switches.Select(s => OutputOf(AddOperation("Exit", [OutputOf(s, 0)]))).ToArray();
            ctx.LoopExits.AddRange(exits);
            return exits;
        }
    }

    /// <summary>
    /// <c>tf.cond</c> in TF 1.x's layout (control_flow_ops.py <c>cond</c>): <c>cond/Switch(pred, pred)</c>,
    /// <c>cond/switch_t</c>, <c>cond/switch_f</c>, <c>cond/pred_id</c>; each branch reads outside tensors through
    /// <c>Switch(x, pred_id)</c> (output 1 in the true branch, 0 in the false one); results joined by
    /// <c>cond/Merge([false, true])</c>.
    /// </summary>
    /// <exception cref="ArgumentException">pred is not bool, or the branches return different counts or dtypes.</exception>
    public Output[] Cond(Output pred, Func<IReadOnlyList<Output>> trueFn, Func<IReadOnlyList<Output>> falseFn, string name = "cond")
    {
        if (pred.BaseType != DataType.DtBool) throw new ArgumentException($"The cond predicate must be bool, got {pred}.", nameof(pred));
        using var _ = NameScope(name);
        var sw = AddOperation("Switch", [pred, pred]);
        var pivotT = Identity(OutputOf(sw, 1), "switch_t");
        var pivotF = Identity(OutputOf(sw, 0), "switch_f");
        var predId = Identity(pred, "pred_id");
        var rt = BuildBranch(new CondContext(_context, predId, pivotT, 1), trueFn);
        var rf = BuildBranch(new CondContext(_context, predId, pivotF, 0), falseFn);
        if (rt.Length != rf.Length)
            throw new ArgumentException($"The true branch returns {rt.Length} tensors and the false branch {rf.Length}.", nameof(falseFn));
        for (int i = 0; i < rt.Length; i++)
            if (rt[i].BaseType != rf[i].BaseType)
                throw new ArgumentException($"Output {i} of the branches differs in dtype: {rt[i]} vs {rf[i]}.", nameof(falseFn));
        return rf.Zip(rt).Select(p => OutputOf(AddOperation("Merge", [p.First, p.Second]))).ToArray();
    }

    // CondContext.BuildCondBranch: a branch result from outside the branch is switched in (_ProcessOutputTensor).
    private Output[] BuildBranch(CondContext ctx, Func<IReadOnlyList<Output>> fn)
    {
        using var _ = InContext(ctx);
        var results = fn().ToArray();
        if (results.Length == 0) throw new ArgumentException("A cond branch must return at least one tensor.");
        for (int i = 0; i < results.Length; i++)
            if (!ctx.Encloses(OutputContext(results[i].NodeName))) results[i] = ctx.AddValue(this, results[i], CurrentScope);
        return results;
    }
}
