using TypedGraph.Protos;

namespace TypedGraph.Functions;

/// <summary>
/// Rewrites one TF2 functional op into the TF1 form TF's own runtime executes, the way TF lowers them before
/// running a graph (tensorflow/core/common_runtime/lower_function_call_op.cc with inline_function_utils.cc,
/// lower_while_op.cc, lower_if_op.cc, lower_case_op.cc):
/// <list type="bullet">
/// <item><c>PartitionedCall</c>/<c>StatefulPartitionedCall</c>: the body is inlined under <c>call/</c>, its args
/// replaced by the call's inputs.</item>
/// <item><c>While</c>/<c>StatelessWhile</c>: a TF1 frame named after the node — per loop variable Enter →
/// Merge(Enter, NextIteration) → Switch(Merge, LoopCond) → Exit / Identity; the cond function inlined on the Merges,
/// the body on the Identities.</item>
/// <item><c>If</c>/<c>StatelessIf</c>: Switch every input on the predicate, inline the then branch on the
/// <c>:1</c> outputs and the else branch on the <c>:0</c> outputs, Merge each result pair.</item>
/// <item><c>Case</c>/<c>StatelessCase</c>: a chain of such two-way conds on <c>Equal(branch_index, k)</c>, the last
/// branch taking every other index (TF's out-of-range rule).</item>
/// </list>
/// In every case the node itself becomes an <c>IdentityN</c> of the results under its own name, so its output names
/// (<c>while:3</c>, <c>StatefulPartitionedCall:0</c>) stay valid, as TF's lowering keeps them
/// (<c>KeepCallerNode::kFetchable</c> for calls, the IdentityN of the Exits / Merges in lower_while_op.cc /
/// lower_if_op.cc). Input-less inlined nodes get a control edge from the frame's or branch's pivot, so they live in
/// the loop frame or branch. The result also describes the TF1 control-flow contexts (while / cond) of the new nodes,
/// which the gradient builder needs (<c>Training.FunctionalLowering.LowerFunctionalOps</c>).
/// </summary>
internal static class FunctionalOpLowering
{
    private static readonly HashSet<string> s_calls = new(StringComparer.Ordinal) { "PartitionedCall", "StatefulPartitionedCall" };
    private static readonly HashSet<string> s_whiles = new(StringComparer.Ordinal) { "While", "StatelessWhile" };
    private static readonly HashSet<string> s_ifs = new(StringComparer.Ordinal) { "If", "StatelessIf" };
    private static readonly HashSet<string> s_cases = new(StringComparer.Ordinal) { "Case", "StatelessCase" };

    /// <summary>True for the op types this lowering rewrites.</summary>
    public static bool IsLowered(string op) => s_calls.Contains(op) || s_whiles.Contains(op) || s_ifs.Contains(op) || s_cases.Contains(op);

    /// <summary>Lowers <paramref name="node"/>.</summary>
    /// <param name="library">The graph's function library.</param>
    /// <param name="node">A node for which <see cref="IsLowered"/> holds.</param>
    /// <param name="names">Every node name in use; the new names are added (a clash is refused).</param>
    /// <param name="options">Layout choices (see <see cref="LoweringOptions"/>).</param>
    /// <exception cref="FunctionLoweringException">A function is missing or does not fit the node (named).</exception>
    public static LoweredOp Lower(FunctionDefLibrary? library, NodeDef node, HashSet<string> names, LoweringOptions options)
    {
        var lowering = new Lowering(library, node, names, options);
        if (s_calls.Contains(node.Op)) lowering.InlineCall();
        else if (s_whiles.Contains(node.Op)) lowering.LowerWhile();
        else if (s_ifs.Contains(node.Op)) lowering.LowerIf();
        else if (s_cases.Contains(node.Op)) lowering.LowerCase();
        else throw new ArgumentException($"Op {node.Op} is not a functional op.", nameof(node));
        return lowering.Result;
    }

    internal static string NodeOf(string input)
    {
        var s = input.StartsWith('^') ? input[1..] : input;
        int colon = s.IndexOf(':');
        return colon < 0 ? s : s[..colon];
    }

    private sealed class Lowering(FunctionDefLibrary? library, NodeDef node, HashSet<string> names, LoweringOptions options)
    {
        public LoweredOp Result { get; } = new();

        private FunctionLoweringException Fail(string reason, Exception? inner = null) => new(node.Name, node.Op, reason, inner);

        private List<string> DataInputs() => node.Input.Where(i => !i.StartsWith('^')).ToList();

        private List<string> ControlInputs() => node.Input.Where(i => i.StartsWith('^')).ToList();

        private List<DataType> TypeList(string attr)
            => node.Attr.TryGetValue(attr, out var a) && a.List != null ? a.List.Type.ToList() : [];

        private FunctionBody Instantiate(string attr, IReadOnlyList<DataType> argTypes)
        {
            if (!node.Attr.TryGetValue(attr, out var f) || f.Func == null) throw Fail($"it has no function attr '{attr}'.");
            return Instantiate(f.Func, argTypes);
        }

        private FunctionBody Instantiate(NameAttrList f, IReadOnlyList<DataType> argTypes)
        {
            if (library == null) throw Fail("the graph has no function library.");
            try
            {
                return FunctionBody.Instantiate(library, f.Name, f.Attr, argTypes.ToArray(), node.Name);
            }
            catch (TypedGraphException e)
            {
                throw Fail($"its function '{f.Name}' cannot be read: {e.Message}", e);
            }
        }

        private string Add(NodeDef n, LoweredContext? context)
        {
            if (!names.Add(n.Name)) throw Fail($"lowering it would create a second node named '{n.Name}'.");
            Result.Nodes.Add(n);
            if (context != null) Result.Contexts[n.Name] = context;
            return n.Name;
        }

        /// <summary>
        /// Copies a function body under <paramref name="prefix"/>, its args read as <paramref name="args"/>; returns
        /// the graph tensors of its results. Input-less nodes get <paramref name="anchor"/> as a control input.
        /// </summary>
        private List<string> Inline(FunctionBody body, string function, string prefix, IReadOnlyList<string> args, string? anchor, LoweredContext? context)
        {
            var argMap = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < body.ArgTensors.Count; i++)
            {
                if (i >= args.Count) throw Fail($"its function '{function}' takes {body.ArgTensors.Count} inputs, the node gives {args.Count}.");
                argMap[NodeOf(body.ArgTensors[i])] = args[i];
            }
            string Rename(string input)
            {
                bool control = input.StartsWith('^');
                var producer = NodeOf(input);
                if (argMap.TryGetValue(producer, out var outer)) return control ? "^" + NodeOf(outer) : outer;
                return (control ? "^" : "") + prefix + (control ? input[1..] : input);
            }
            foreach (var n in body.Graph.Def.Node)
            {
                if (argMap.ContainsKey(n.Name)) continue;
                var copy = n.Clone();
                copy.Name = prefix + n.Name;
                copy.Input.Clear();
                foreach (var i in n.Input) copy.Input.Add(Rename(i));
                if (copy.Input.Count == 0 && anchor != null) copy.Input.Add("^" + anchor);
                Add(copy, context);
                Result.Origins[copy.Name] = new LoweredOrigin(n.Name, function, node.Name);
            }
            return body.Outputs.Select(Rename).ToList();
        }

        private static string FunctionName(NodeDef n, string attr) => n.Attr.TryGetValue(attr, out var f) && f.Func != null ? f.Func.Name : attr;

        private void Replace(IReadOnlyList<string> inputs, IReadOnlyList<DataType> types, IEnumerable<string>? controls = null)
        {
            var n = new NodeDef { Name = node.Name, Op = "IdentityN", Device = node.Device };
            n.Input.AddRange(inputs);
            if (controls != null) n.Input.AddRange(controls);
            var list = new AttrValue.Types.ListValue();
            list.Type.AddRange(types);
            n.Attr["T"] = new AttrValue { List = list };
            Result.Replacement = n;
        }

        private static NodeDef Simple(string name, string op, IEnumerable<string> inputs, DataType? t = null)
        {
            var n = new NodeDef { Name = name, Op = op };
            n.Input.AddRange(inputs);
            if (t is { } dtype) n.Attr["T"] = new AttrValue { Type = dtype };
            return n;
        }

        private static NodeDef Merge(string name, string a, string b, DataType t)
        {
            var m = Simple(name, "Merge", [a, b], t);
            m.Attr["N"] = new AttrValue { I = 2 };
            return m;
        }

        public void InlineCall()
        {
            var inputs = DataInputs();
            var body = Instantiate("f", TypeList("Tin"));
            var function = FunctionName(node, "f");
            // TF's inliner (inline_function_utils.cc InlineFunctionBody) reads each input through an Identity
            // `<call>/input/_i` and gives a NoOp `input_control_node` carrying the caller's control inputs to the body
            // nodes without inputs. Here that NoOp also waits for the input Identities, so that inside a loop frame or
            // a cond branch those nodes run there (the TF1 pivot rule).
            string? anchor = null;
            if (options.KeepControlEdges)
            {
                var tin = TypeList("Tin");
                for (int i = 0; i < inputs.Count; i++)
                    inputs[i] = Add(Simple($"{node.Name}/input/_{i}", "Identity", [inputs[i]], i < tin.Count ? tin[i] : DataType.DtFloat), null) + ":0";
                bool inputless = body.Graph.Def.Node.Any(n => n.Input.Count == 0 && !body.ArgTensors.Contains(n.Name + ":0"));
                if (inputless && (inputs.Count > 0 || ControlInputs().Count > 0))
                {
                    var noop = new NodeDef { Name = node.Name + "/input_control_node", Op = "NoOp" };
                    noop.Input.AddRange(inputs.Select(i => "^" + NodeOf(i)).Concat(ControlInputs()));
                    anchor = Add(noop, null);
                }
            }
            var results = Inline(body, function, node.Name + "/", inputs, anchor, null);
            var types = TypeList("Tout");
            // A stateful body's control returns (assignments nothing reads) run whenever the call's result is
            // fetched, as the call itself guarantees; the IdentityN waits for them.
            var controls = options.KeepControlEdges ? body.Targets.Select(t => "^" + node.Name + "/" + t).ToList() : null;
            Replace(results, types.Count == results.Count ? types : body.Outputs.Select(_ => DataType.DtFloat).ToList(), controls);
        }

        public void LowerWhile()
        {
            var inputs = DataInputs();
            var types = TypeList("T");
            if (types.Count != inputs.Count) throw Fail($"its T attr lists {types.Count} types for {inputs.Count} inputs.");
            var p = node.Name + "/lowered/";
            long parallel = node.Attr.TryGetValue("parallel_iterations", out var pi) && pi.I > 0 ? pi.I : 10;
            var body = Instantiate("body", types);
            if (body.Outputs.Count != inputs.Count) throw Fail($"its body returns {body.Outputs.Count} values for {inputs.Count} loop variables.");
            // A loop variable the body returns unchanged (while_v2 carries every captured tensor and resource that
            // way) is the same value in every iteration, so it may enter the frame as a loop invariant
            // (Enter is_constant=true, as a TF1 while_loop passes captured tensors) instead of a loop variable.
            // TF's lower_while_op keeps it a loop variable; the values are the same.
            bool[] invariant = new bool[inputs.Count];
            for (int i = 0; i < inputs.Count && i < body.ArgTensors.Count; i++)
                    invariant[i] = (options.AllPassThroughInvariant || types[i] == DataType.DtResource) && NodeOf(body.Outputs[i]) == NodeOf(body.ArgTensors[i]);
            int first = Array.IndexOf(invariant, false);
            if (first < 0) throw Fail("every loop variable is passed through the body unchanged.");
            var loop = new LoweredLoop { Frame = node.Name, ParallelIterations = (int)parallel };
            var controls = options.KeepControlEdges ? ControlInputs() : [];
            var merges = new List<string>();
            var enters = new List<string>();
            for (int i = 0; i < inputs.Count; i++)
            {
                var enter = Simple($"{p}Enter_{i}", "Enter", [inputs[i], .. controls], types[i]);
                enter.Attr["frame_name"] = new AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8(node.Name) };
                enter.Attr["is_constant"] = new AttrValue { B = invariant[i] };
                enter.Attr["parallel_iterations"] = new AttrValue { I = parallel };
                enters.Add(Add(enter, loop));
                if (invariant[i])
                {
                    merges.Add(enter.Name);
                    continue;
                }
                loop.Enters.Add(enter.Name + ":0");
                merges.Add(Add(Merge($"{p}Merge_{i}", enter.Name, $"{p}NextIteration_{i}", types[i]), loop));
            }
            loop.PivotForPred = merges[first] + ":0";
            var cond = Instantiate("cond", types);
            var pred = Inline(cond, FunctionName(node, "cond"), p + "cond/", merges.Select(m => m + ":0").ToList(), merges[first], loop);
            if (pred.Count != 1) throw Fail($"its cond function returns {pred.Count} values, not one.");
            var loopCond = Add(Simple($"{p}LoopCond", "LoopCond", [pred[0]]), loop);
            loop.Pivot = loopCond + ":0";
            var identities = new List<string>();
            var exits = new List<string>();
            for (int i = 0; i < inputs.Count; i++)
            {
                if (invariant[i])
                {
                    // The body reads the invariant through an Identity under the body's pivot (a control edge from the
                    // first loop variable's body Identity), so what it computes from it lives in the body, as TF1's
                    // while_loop gives in-body ops that read only outer values a control input from the pivot.
                    identities.Add($"{p}Identity_{i}");
                    exits.Add(inputs[i]); // the value the loop was given, unchanged
                    continue;
                }
                var sw = Add(Simple($"{p}Switch_{i}", "Switch", [merges[i], loopCond], types[i]), loop);
                var exit = Add(Simple($"{p}Exit_{i}", "Exit", [sw + ":0"], types[i]), loop);
                exits.Add(exit);
                loop.Exits.Add(exit + ":0");
                identities.Add(Add(Simple($"{p}Identity_{i}", "Identity", [sw + ":1"], types[i]), loop));
            }
            loop.PivotForBody = identities[first] + ":0";
            // The invariants' Identities wait for the pivot Identity, which exists now.
            for (int i = 0; i < inputs.Count; i++)
                if (invariant[i]) Add(Simple(identities[i], "Identity", [enters[i], $"^{identities[first]}"], types[i]), loop);
            var nexts = Inline(body, FunctionName(node, "body"), p + "body/", identities.Select(n => n + ":0").ToList(), identities[first], loop);
            for (int i = 0; i < inputs.Count; i++)
                if (!invariant[i]) Add(Simple($"{p}NextIteration_{i}", "NextIteration", [nexts[i]], types[i]), loop);
            Result.NewContexts.Add(loop);
            Replace(exits, types);
        }

        /// <summary>
        /// One two-way cond: <paramref name="inputs"/> switched on <paramref name="pred"/> (output 1 to the taken
        /// side, 0 to the other), <paramref name="taken"/> inlined on the true side, <paramref name="rest"/> built on
        /// the false side, each result pair merged. Returns the merged tensors. The pivots are
        /// <c>Identity(Switch(pred, pred):k)</c>, as TF1's cond builds them (switch_t / switch_f).
        /// </summary>
        private List<string> TwoWay(string p, string pred, List<string> inputs, List<DataType> tin, List<DataType> tout, string? anchor, LoweredContext? outer,
            Func<List<string>, string, LoweredContext, List<string>> taken, Func<List<string>, string, LoweredContext, List<string>> rest, string? extra = null, Action<string>? extraSwitched = null)
        {
            List<string> controls = options.KeepControlEdges && anchor == null ? ControlInputs() : [];
            var predSwitch = Add(Simple($"{p}pred_switch", "Switch", [pred, pred, .. controls], DataType.DtBool), outer);
            var pivotT = Add(Simple($"{p}switch_t", "Identity", [predSwitch + ":1"], DataType.DtBool), outer);
            var pivotF = Add(Simple($"{p}switch_f", "Identity", [predSwitch + ":0"], DataType.DtBool), outer);
            var then = new LoweredBranch { Outer = outer, Pred = pred, Pivot = pivotT + ":0", Branch = 1 };
            var @else = new LoweredBranch { Outer = outer, Pred = pred, Pivot = pivotF + ":0", Branch = 0 };
            Result.NewContexts.Add(then);
            Result.NewContexts.Add(@else);
            DataType In(int i) => i < tin.Count ? tin[i] : DataType.DtFloat;
            List<string> thenArgs = [], elseArgs = [];
            for (int i = 0; i < inputs.Count; i++)
            {
                if (options.PerBranchSwitches)
                {
                    // TF1's cond layout (CondContext.AddValue): each branch reads its own Switch, which belongs to it.
                    thenArgs.Add(Add(Simple($"{p}switch_then_{i}", "Switch", [inputs[i], pred, .. controls], In(i)), then) + ":1");
                    elseArgs.Add(Add(Simple($"{p}switch_else_{i}", "Switch", [inputs[i], pred, .. controls], In(i)), @else) + ":0");
                }
                else
                {
                    // lower_if_op.cc's layout: one Switch per input feeds both branches.
                    var sw = Add(Simple($"{p}Switch_{i}", "Switch", [inputs[i], pred, .. controls], In(i)), outer);
                    thenArgs.Add(sw + ":1");
                    elseArgs.Add(sw + ":0");
                }
            }
            if (extra != null)
                extraSwitched!(Add(Simple($"{p}index_switch", "Switch", [extra, pred, .. controls], DataType.DtInt32), options.PerBranchSwitches ? @else : outer) + ":0");
            var thenOut = taken(thenArgs, pivotT, then);
            var elseOut = rest(elseArgs, pivotF, @else);
            if (thenOut.Count != elseOut.Count) throw Fail($"its branches return {thenOut.Count} and {elseOut.Count} values.");
            var merged = new List<string>();
            // TF1's cond merges (false, true) — control_flow_ops.cond zips res_f with res_t — and its Merge gradient
            // (control_flow_grad.py _MergeGrad: Switch(grad, pred) → (false, true)) relies on that order.
            for (int j = 0; j < thenOut.Count; j++)
            {
                var (first, second) = options.PerBranchSwitches ? (elseOut[j], thenOut[j]) : (thenOut[j], elseOut[j]);
                merged.Add(Add(Merge($"{p}Merge_{j}", first, second, j < tout.Count ? tout[j] : DataType.DtFloat), outer) + ":0");
            }
            return merged;
        }

        public void LowerIf()
        {
            var all = DataInputs();
            if (all.Count == 0) throw Fail("it has no predicate input.");
            // Switch needs a bool predicate; TF's If also accepts other scalars and tensors (functional_ops.cc ToBool).
            if (node.Attr.TryGetValue("Tcond", out var tcond) && tcond.Type is not (DataType.DtBool or DataType.DtInvalid))
                throw Fail($"its predicate is {DataTypes.Name(tcond.Type)}; only a bool predicate is lowered to Switch/Merge.");
            var tin = TypeList("Tin");
            var tout = TypeList("Tout");
            var p = node.Name + "/lowered/";
            var then = Instantiate("then_branch", tin);
            var @else = Instantiate("else_branch", tin);
            var merged = TwoWay(p, all[0], all.Skip(1).ToList(), tin, tout, null, null,
                (args, pivot, ctx) => Inline(then, FunctionName(node, "then_branch"), p + "then/", args, pivot, ctx),
                (args, pivot, ctx) => Inline(@else, FunctionName(node, "else_branch"), p + "else/", args, pivot, ctx));
            Replace(merged, tout.Count == merged.Count ? tout : merged.Select(_ => DataType.DtFloat).ToList());
        }

        /// <summary>
        /// <c>Case</c>/<c>StatelessCase</c>: TF's lower_case_op.cc routes every input through one <c>_SwitchN</c> on
        /// the branch index and joins the branches' results with N-input Merges; a branch index below 0 or at least N
        /// runs the last branch (our Case kernel, and TF's functional_ops_test: Run(7) and Run(-1) take the last of 3
        /// branches). Here the same selection is written as a chain of two-way conds, so that the TF1 cond machinery
        /// (the ONNX exporter's cond recognizer, the gradient's CondContexts) applies: level k switches the inputs
        /// (and the index) on <c>Equal(index, k)</c>, inlines branch k on the true side and continues on the false
        /// side; the last branch is what is left when no Equal held, which is exactly the out-of-range rule.
        /// </summary>
        public void LowerCase()
        {
            var all = DataInputs();
            if (all.Count == 0) throw Fail("it has no branch_index input.");
            var branches = node.Attr.TryGetValue("branches", out var b) && b.List != null ? b.List.Func.ToList() : [];
            if (branches.Count == 0) throw Fail("it has no branches.");
            var tin = TypeList("Tin");
            var tout = TypeList("Tout");
            var p = node.Name + "/lowered/";

            List<string> Level(int k, string index, List<string> inputs, string? anchor, LoweredContext? outer)
            {
                var lp = $"{p}branch{k}/";
                if (k == branches.Count - 1)
                    return Inline(Instantiate(branches[k], tin), branches[k].Name, lp, inputs, anchor, outer);
                var constant = new NodeDef { Name = $"{lp}index", Op = "Const" };
                constant.Attr["dtype"] = new AttrValue { Type = DataType.DtInt32 };
                constant.Attr["value"] = new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.FromScalar(k)) };
                if (anchor != null) constant.Input.Add("^" + anchor);
                Add(constant, outer);
                var pred = Add(Simple($"{lp}Equal", "Equal", [index, constant.Name], DataType.DtInt32), outer);
                string rest = "";
                return TwoWay(lp, pred, inputs, tin, tout, anchor, outer,
                    (args, pivot, ctx) => Inline(Instantiate(branches[k], tin), branches[k].Name, lp + "taken/", args, pivot, ctx),
                    (args, pivot, ctx) => Level(k + 1, rest, args, pivot, ctx),
                    index, s => rest = s);
            }

            var results = Level(0, all[0], all.Skip(1).ToList(), null, null);
            Replace(results, tout.Count == results.Count ? tout : results.Select(_ => DataType.DtFloat).ToList());
        }
    }
}

/// <summary>Layout choices of <see cref="FunctionalOpLowering"/>.</summary>
/// <param name="PerBranchSwitches">Each cond branch reads its inputs through its own Switch (TF1's <c>tf.cond</c>
/// layout, what TF1's gradient code expects of a cond) instead of one Switch per input shared by both branches
/// (lower_if_op.cc's layout).</param>
/// <param name="AllPassThroughInvariant">Every loop variable the body returns unchanged enters as a loop invariant,
/// not only resource handles.</param>
/// <param name="KeepControlEdges">The node's control inputs carry over (to the Enters, the pred Switch, a call's
/// input_control_node), and a call's IdentityN waits for the body's control returns.</param>
internal sealed record LoweringOptions(bool PerBranchSwitches, bool AllPassThroughInvariant, bool KeepControlEdges)
{
    /// <summary>For differentiation and execution in the runtime.</summary>
    public static LoweringOptions Runtime { get; } = new(true, true, true);
}

/// <summary>What lowering one functional op produced.</summary>
internal sealed class LoweredOp
{
    /// <summary>The new nodes (names unique).</summary>
    public List<NodeDef> Nodes { get; } = [];

    /// <summary>The IdentityN that replaces the functional node under its own name.</summary>
    public NodeDef Replacement { get; set; } = null!;

    /// <summary>New node → the loop or branch it belongs to (absent: the lowered node's own context).</summary>
    public Dictionary<string, LoweredContext> Contexts { get; } = new(StringComparer.Ordinal);

    /// <summary>The loops and branches created, outer ones first.</summary>
    public List<LoweredContext> NewContexts { get; } = [];

    /// <summary>Inlined node → where it came from (for messages).</summary>
    public Dictionary<string, LoweredOrigin> Origins { get; } = new(StringComparer.Ordinal);
}

/// <summary>An inlined node's origin: node <paramref name="Node"/> of function <paramref name="Function"/>, called by
/// <paramref name="Caller"/>.</summary>
internal sealed record LoweredOrigin(string Node, string Function, string Caller);

/// <summary>A TF1 control-flow context created by the lowering; <see cref="Outer"/> null means the lowered node's own.</summary>
internal abstract class LoweredContext
{
    public LoweredContext? Outer { get; init; }
}

/// <summary>A while frame: tensor names of its loop-variable Enters and Exits, LoopCond and pivots.</summary>
internal sealed class LoweredLoop : LoweredContext
{
    public required string Frame { get; init; }

    public required int ParallelIterations { get; init; }

    public List<string> Enters { get; } = [];

    public List<string> Exits { get; } = [];

    public string Pivot { get; set; } = "";

    public string PivotForPred { get; set; } = "";

    public string PivotForBody { get; set; } = "";
}

/// <summary>One cond branch: predicate, pivot (switch_t / switch_f) and branch (1 true, 0 false).</summary>
internal sealed class LoweredBranch : LoweredContext
{
    public required string Pred { get; init; }

    public required string Pivot { get; init; }

    public required int Branch { get; init; }
}

/// <summary>A functional op cannot be lowered: a function is missing or does not fit the node.</summary>
internal sealed class FunctionLoweringException(string nodeName, string op, string reason, Exception? inner = null)
    : GraphFormatException($"Cannot lower node '{nodeName}' (op {op}) to TF1 control flow: {reason}", inner)
{
    public string NodeName { get; } = nodeName;

    public string Op { get; } = op;

    public string Reason { get; } = reason;
}
