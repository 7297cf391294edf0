using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>TF1 control flow (<c>tf.while_loop</c>, <c>tf.cond</c>) in the layout TF 1.x's control_flow_ops.py writes,
/// as extension methods of <see cref="GraphBuilder"/> (the context bookkeeping stays in the builder); the
/// Enter/Merge/Switch/Exit OpDefs are in <c>OpDefCatalog.Array.cs</c>.</summary>
public static class ControlFlowOps
{
    /// <summary>
    /// <c>tf.while_loop</c> in TF 1.x's layout (control_flow_ops.py <c>WhileContext._BuildLoop</c>): per loop variable
    /// <c>Enter</c> (frame <c>&lt;scope&gt;/while_context</c>) → <c>Merge</c> (back edge from <c>NextIteration</c>) →
    /// <c>Switch</c> on <c>LoopCond</c> → <c>Identity</c> into the body / <c>Exit</c> out. Tensors from outside the
    /// loop used by cond or body enter it through <c>Enter(is_constant=true)</c> nodes named after their consumer
    /// (<c>while/Less/Enter</c>); input-less body ops wait for the first loop variable's Identity.
    /// </summary>
    /// <param name="builder">The builder the ops are added to.</param>
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
    public static Output[] WhileLoop(this GraphBuilder builder, Func<Output[], Output> cond, Func<Output[], IReadOnlyList<Output>> body, IReadOnlyList<Output> loopVars,
        string name = "while", int parallelIterations = 10, bool backProp = true, Output? maximumIterations = null)
    {
        if (loopVars.Count == 0) throw new ArgumentException("tf.while_loop needs at least one loop variable.", nameof(loopVars));
        if (parallelIterations < 1) throw new ArgumentException($"parallel_iterations must be a positive integer, got {parallelIterations}.", nameof(parallelIterations));
        using var _ = builder.NameScope(name);
        if (maximumIterations is Output max)
        {
            if (max.BaseType != DataType.DtInt32) throw new ArgumentException($"maximum_iterations must be an int32 scalar, got {max}.", nameof(maximumIterations));
            var counter = builder.Constant(0, "iteration_counter");
            var all = builder.BuildLoop(
                v => builder.OutputOf(builder.AddOperation("LogicalAnd", [builder.Less(v[0], max), cond(v[1..])])),
                v => [builder.Add(v[0], 1), .. body(v[1..])],
                [counter, .. loopVars], parallelIterations, backProp);
            return all[1..];
        }
        return builder.BuildLoop(cond, body, loopVars, parallelIterations, backProp);
    }

    private static Output[] BuildLoop(this GraphBuilder builder, Func<Output[], Output> cond, Func<Output[], IReadOnlyList<Output>> body, IReadOnlyList<Output> loopVars, int parallelIterations, bool backProp)
    {
        var outer = builder.CurrentContext;
        var ctx = new WhileContext(outer, builder.UniqueName("while_context"), parallelIterations, backProp);
        var frame = new Dictionary<string, AttrValue>
        {
            ["frame_name"] = Attrs.String(ctx.FrameName),
            ["is_constant"] = Attrs.Bool(false),
            ["parallel_iterations"] = Attrs.Int(parallelIterations),
        };
        var real = loopVars.Select(v => outer != null && !outer.Encloses(builder.OutputContext(v.NodeName)) ? outer.AddValue(builder, v, builder.CurrentScope) : v).ToArray();
        var enters = real.Select(v => builder.OutputOf(builder.AddContextNode(ctx, builder.CurrentScope + "Enter", "Enter", [v], frame))).ToArray();
        ctx.LoopEnters.AddRange(enters);
        using (builder.InContext(ctx))
        {
            var merges = enters.Select(e => builder.AddOperation("Merge", [e, e])).ToArray();
            var mergeOuts = merges.Select(m => builder.OutputOf(m)).ToArray();
            ctx.PivotForPred = mergeOuts[0];
            var c = cond(mergeOuts);
            if (c.BaseType != DataType.DtBool) throw new ArgumentException($"The while_loop condition must be a bool scalar, got {c}.", nameof(cond));
            ctx.Pivot = builder.OutputOf(builder.AddOperation("LoopCond", [c], null, "LoopCond"));
            var switches = mergeOuts.Select(m => builder.AddOperation("Switch", [m, ctx.Pivot])).ToArray();
            var identities = switches.Select(s => builder.Identity(builder.OutputOf(s, 1))).ToArray();
            ctx.PivotForBody = identities[0];
            var result = body(identities);
            if (result.Count != loopVars.Count)
                throw new ArgumentException($"Number of inputs and outputs of body must match loop_vars: {loopVars.Count}, {result.Count}.", nameof(body));
            for (int i = 0; i < result.Count; i++)
            {
                if (result[i].BaseType != loopVars[i].BaseType)
                    throw new ArgumentException($"Loop variable {i} enters the loop as {DataTypes.Name(loopVars[i].BaseType)} but the body returns {result[i]}.", nameof(body));
                var next = builder.OutputOf(builder.AddOperation("NextIteration", [result[i]]));
                builder.Graph.UpdateInput(merges[i], 1, next.Ref); // _AddNextAndBackEdge
            }
            var exits = switches.Select(s => builder.OutputOf(builder.AddOperation("Exit", [builder.OutputOf(s, 0)]))).ToArray();
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
    public static Output[] Cond(this GraphBuilder builder, Output pred, Func<IReadOnlyList<Output>> trueFn, Func<IReadOnlyList<Output>> falseFn, string name = "cond")
    {
        if (pred.BaseType != DataType.DtBool) throw new ArgumentException($"The cond predicate must be bool, got {pred}.", nameof(pred));
        using var _ = builder.NameScope(name);
        var sw = builder.AddOperation("Switch", [pred, pred]);
        var pivotT = builder.Identity(builder.OutputOf(sw, 1), "switch_t");
        var pivotF = builder.Identity(builder.OutputOf(sw, 0), "switch_f");
        var predId = builder.Identity(pred, "pred_id");
        var rt = builder.BuildBranch(new CondContext(builder.CurrentContext, predId, pivotT, 1), trueFn);
        var rf = builder.BuildBranch(new CondContext(builder.CurrentContext, predId, pivotF, 0), falseFn);
        if (rt.Length != rf.Length)
            throw new ArgumentException($"The true branch returns {rt.Length} tensors and the false branch {rf.Length}.", nameof(falseFn));
        for (int i = 0; i < rt.Length; i++)
            if (rt[i].BaseType != rf[i].BaseType)
                throw new ArgumentException($"Output {i} of the branches differs in dtype: {rt[i]} vs {rf[i]}.", nameof(falseFn));
        return rf.Zip(rt).Select(p => builder.OutputOf(builder.AddOperation("Merge", [p.First, p.Second]))).ToArray();
    }

    // CondContext.BuildCondBranch: a branch result from outside the branch is switched in (_ProcessOutputTensor).
    private static Output[] BuildBranch(this GraphBuilder builder, CondContext ctx, Func<IReadOnlyList<Output>> fn)
    {
        using var _ = builder.InContext(ctx);
        var results = fn().ToArray();
        if (results.Length == 0) throw new ArgumentException("A cond branch must return at least one tensor.");
        for (int i = 0; i < results.Length; i++)
            if (!ctx.Encloses(builder.OutputContext(results[i].NodeName))) results[i] = ctx.AddValue(builder, results[i], builder.CurrentScope);
        return results;
    }
}
