using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Control flow v2 (TF 2.x <c>tf.while_loop</c>, <c>tf.cond</c>, <c>tf.switch_case</c>): <c>While</c>/<c>StatelessWhile</c>,
/// <c>If</c>/<c>StatelessIf</c> and <c>Case</c>/<c>StatelessCase</c> run FunctionDefLibrary functions through
/// <see cref="FunctionRunner"/>, following TF's <c>WhileOp</c>, <c>IfOp</c> and <c>CaseOp</c> in
/// core/kernels/functional_ops.cc:
/// <list type="bullet">
/// <item>The predicate (If's <c>cond</c>, While's cond result) is read by TF's <c>ToBool</c>: a scalar is
/// "≠ 0" (bool as is, a string "non-empty"); any non-scalar is "has elements".</item>
/// <item>While: cond(vars) → bool; while true, vars = body(vars); the body must return as many values as there
/// are loop vars; the outputs are the last vars. Loop vars of any dtype (DT_VARIANT TensorLists, DT_RESOURCE
/// handles) pass through unchanged. <c>parallel_iterations</c> only bounds concurrency in TF and runs
/// sequentially here; <c>output_shapes</c> and <c>_num_original_outputs</c> (while_v2's count before gradient
/// accumulators) are shape-inference and gradient bookkeeping the kernel does not read, as in TF.</item>
/// <item>Case: <c>branch_index</c> must be a scalar int32; out of <c>[0, len(branches))</c> the LAST branch runs
/// (CaseOp's "the last branch is the default branch").</item>
/// <item>Each function's results must match the node's output dtypes (<c>T</c>/<c>Tout</c>), as TF's <c>SetOutputs</c> checks.</item>
/// </list>
/// </summary>
internal sealed class FunctionalControlFlowKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add(["While", "StatelessWhile"], node =>
        {
            var types = node.GetTypes("T", []);
            var cond = new FunctionRunner(Func(node, "cond"), types);
            var body = new FunctionRunner(Func(node, "body"), types);
            return new DelegateKernel(node, ctx => RunWhile(ctx, cond, body, types));
        });
        registry.Add(["If", "StatelessIf"], node =>
        {
            var tin = node.GetTypes("Tin", []);
            var tout = node.GetTypes("Tout", []);
            var then = new FunctionRunner(Func(node, "then_branch"), tin);
            var otherwise = new FunctionRunner(Func(node, "else_branch"), tin);
            return new DelegateKernel(node, ctx =>
            {
                var branch = ToBool(ctx, ctx.Input(0), "cond") ? then : otherwise;
                SetOutputs(ctx, branch.Run(ctx, FunctionCallKernels.Inputs(ctx, 1)), branch.Name, tout);
            });
        });
        // StatelessCase (TF ≥ 2.3's side-effect-free Case) shares CaseOp's semantics.
        registry.Add(["Case", "StatelessCase"], node =>
        {
            var tin = node.GetTypes("Tin", []);
            var tout = node.GetTypes("Tout", []);
            var list = node.Attr("branches")?.List?.Func;
            if (list == null || list.Count == 0)
                throw new GraphFormatException($"{node.Op} node '{node.Name}' has no branches (attr 'branches' must list at least one function).");
            var branches = list.Select(f => new FunctionRunner(f, tin)).ToArray();
            return new DelegateKernel(node, ctx =>
            {
                var index = ctx.Input(0);
                if (index.Shape.Rank != 0) throw ctx.Error($"branch_index must be scalar, got shape {index.Shape}.");
                if (index.DType != DataType.DtInt32) throw ctx.Error($"branch_index must be int32, got {DataTypes.Name(index.DType)}.");
                int b = index.AsSpan<int>()[0];
                var branch = branches[b < 0 || b >= branches.Length ? branches.Length - 1 : b];
                SetOutputs(ctx, branch.Run(ctx, FunctionCallKernels.Inputs(ctx, 1)), branch.Name, tout);
            });
        });
    }

    private static NameAttrList Func(Node node, string attr)
        => node.Attr(attr)?.Func ?? throw new GraphFormatException($"{node.Op} node '{node.Name}' has no function attr '{attr}'.");

    private static void RunWhile(OpKernelContext ctx, FunctionRunner cond, FunctionRunner body, DataType[] types)
    {
        // Two loop-var arrays used in turn (the body's results become the next args, as WhileOp::DoComputeSync's
        // std::swap(body_rets, args) in functional_ops.cc) and two buffers per computed loop var (LoopVarBuffers):
        // an iteration allocates nothing here. Values the body passes through come back as the same tensors.
        var vars = FunctionCallKernels.Inputs(ctx, 0);
        var buffers = new LoopVarBuffers(vars.Length);
        if (cond.OutputCount(ctx) != 1)
            throw ctx.Error($"Expected a single scalar return value from cond function '{cond.Name}', got {cond.OutputCount(ctx)} tensors.");
        int bodyOutputs = body.OutputCount(ctx);
        var next = new Tensor[Math.Max(bodyOutputs, vars.Length)];
        // The predicate is read inside the cond call, so its value is never handed over (nothing allocated per
        // iteration); the error text is built only when it is needed.
        Func<Tensor, bool> predicate = t => ToBool(ctx, t, cond.Name, static name => $"the result of cond function '{name}'");
        while (true)
        {
            if (!cond.RunAndRead(ctx, vars, predicate)) break;
            // As TF's WhileOp, the count is checked when the body has run (a loop that never iterates is fine).
            if (bodyOutputs != vars.Length)
                throw ctx.Error($"body function '{body.Name}' returned {bodyOutputs} values; the loop has {vars.Length} loop variables.");
            body.Run(ctx, vars, next, buffers);
            (vars, next) = (next, vars);
        }
        SetOutputs(ctx, vars, body.Name, types);
    }

    /// <summary>TF's <c>ToBool</c> (functional_ops.cc): scalar → value ≠ 0 (string: non-empty); otherwise NumElements &gt; 0.</summary>
    internal static bool ToBool(OpKernelContext ctx, Tensor t, string what) => ToBool(ctx, t, what, static w => w);

    /// <summary><see cref="ToBool(OpKernelContext, Tensor, string)"/> with the error's subject made from <paramref name="arg"/> only on error.</summary>
    private static bool ToBool(OpKernelContext ctx, Tensor t, string arg, Func<string, string> what)
    {
        if (t.Shape.Rank != 0) return t.NumElements > 0;
        return t.DType switch
        {
            DataType.DtBool => t.AsSpan<bool>()[0],
            DataType.DtString => t.Strings[0].Length > 0,
            DataType.DtFloat or DataType.DtDouble or DataType.DtInt32 or DataType.DtUint8 or DataType.DtInt16 or DataType.DtInt8 or DataType.DtInt64
                => ScalarValues.GetDouble(t, 0) != 0,
            _ => throw ctx.Error($"{what(arg)}: {DataTypes.Name(t.DType)} cannot be converted to a boolean."),
        };
    }

    private static void SetOutputs(OpKernelContext ctx, Tensor[] results, string function, DataType[] declared)
    {
        if (declared.Length > 0)
        {
            if (results.Length != declared.Length)
                throw ctx.Error($"function '{function}' returned {results.Length} values, the node declares {declared.Length}.");
            for (int i = 0; i < results.Length; i++)
                if (results[i].DType != DataTypes.BaseType(declared[i]))
                    throw ctx.Error($"output {i} of function '{function}' is {DataTypes.Name(results[i].DType)}, the node declares {DataTypes.Name(declared[i])}.");
        }
        FunctionCallKernels.SetOutputs(ctx, results, function);
    }
}
