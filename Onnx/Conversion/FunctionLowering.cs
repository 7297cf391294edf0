using TypedGraph.Functions;
using TypedGraph.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// Rewrites a TF2 graph whose computation sits in function bodies into the TF1 form the exporter converts, the way
/// TF's own runtime does before executing (tensorflow/core/common_runtime/lower_while_op.cc, lower_if_op.cc and
/// function inlining in inline_function_utils.cc):
/// <list type="bullet">
/// <item><c>PartitionedCall</c>/<c>StatefulPartitionedCall</c>: the body is inlined under <c>call/</c>, its args
/// replaced by the call's inputs; the call node becomes an <c>IdentityN</c> of the body's results, so the call's
/// output names (<c>StatefulPartitionedCall:0</c>) stay.</item>
/// <item><c>While</c>/<c>StatelessWhile</c>: a TF1 frame named after the node — per loop variable Enter →
/// Merge(Enter, NextIteration) → Switch(Merge, LoopCond) → Exit / Identity; the cond function inlined on the Merges,
/// the body on the Identities; the node becomes an <c>IdentityN</c> of the Exits.</item>
/// <item><c>If</c>/<c>StatelessIf</c>: Switch every input on the predicate, inline the then branch on the
/// <c>:1</c> outputs and the else branch on the <c>:0</c> outputs, Merge each result pair.</item>
/// <item><c>Case</c>/<c>StatelessCase</c>: a chain of such two-way conds on <c>Equal(branch_index, k)</c>, the last
/// branch taking every other index (see <see cref="LowerCase"/>).</item>
/// </list>
/// Inlined input-less nodes get a control edge from the frame's or branch's first value, as TF gives them one from
/// the pivot, so they live in the loop frame or branch. Only nodes the outputs reach are kept; rounds repeat until
/// no call is left (calls inside bodies).
/// </summary>
internal static class FunctionLowering
{
    private static readonly HashSet<string> s_calls = new(StringComparer.Ordinal) { "PartitionedCall", "StatefulPartitionedCall" };
    private static readonly HashSet<string> s_whiles = new(StringComparer.Ordinal) { "While", "StatelessWhile" };
    private static readonly HashSet<string> s_ifs = new(StringComparer.Ordinal) { "If", "StatelessIf" };
    private static readonly HashSet<string> s_cases = new(StringComparer.Ordinal) { "Case", "StatelessCase" };

    /// <summary>True when a node the outputs reach calls a function this lowering handles.</summary>
    public static bool IsNeeded(Graph graph, IEnumerable<TensorRef> outputs)
        => Reachable(graph.Def, outputs.Select(o => o.NodeName)).Any(n => IsLowered(n.Op));

    private static bool IsLowered(string op) => s_calls.Contains(op) || s_whiles.Contains(op) || s_ifs.Contains(op) || s_cases.Contains(op);

    public static GraphDef Lower(Graph graph, IReadOnlyList<TensorRef> outputs)
    {
        var def = graph.Def;
        var roots = outputs.Select(o => o.NodeName).ToList();
        for (int round = 0; round < 100; round++)
        {
            var reach = Reachable(def, roots);
            if (!reach.Any(n => IsLowered(n.Op)))
            {
                var done = new GraphDef { Versions = def.Versions?.Clone(), Library = def.Library };
                done.Node.AddRange(reach.Select(n => n.Clone()));
                return done;
            }
            var next = new GraphDef { Versions = def.Versions?.Clone(), Library = def.Library };
            var names = new HashSet<string>(def.Node.Select(n => n.Name), StringComparer.Ordinal);
            foreach (var n in reach)
            {
                if (s_calls.Contains(n.Op)) InlineCall(def, n, next, names);
                else if (s_whiles.Contains(n.Op)) LowerWhile(def, n, next, names);
                else if (s_ifs.Contains(n.Op)) LowerIf(def, n, next, names);
                else if (s_cases.Contains(n.Op)) LowerCase(def, n, next, names);
                else next.Node.Add(n.Clone());
            }
            def = next;
        }
        throw new OnnxExportException("Function calls nest more than 100 deep; the graph is not exported.");
    }

    /// <summary>The nodes reachable from <paramref name="roots"/> through data and control inputs, in graph order.</summary>
    private static List<NodeDef> Reachable(GraphDef def, IEnumerable<string> roots)
    {
        var byName = def.Node.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var work = new Stack<string>(roots);
        while (work.Count > 0)
        {
            var name = work.Pop();
            if (!seen.Add(name) || !byName.TryGetValue(name, out var n)) continue;
            foreach (var i in n.Input) work.Push(NodeOf(i));
        }
        return def.Node.Where(n => seen.Contains(n.Name)).ToList();
    }

    private static string NodeOf(string input)
    {
        var s = input.StartsWith('^') ? input[1..] : input;
        int colon = s.IndexOf(':');
        return colon < 0 ? s : s[..colon];
    }

    private static List<string> DataInputs(NodeDef n) => n.Input.Where(i => !i.StartsWith('^')).ToList();

    private static List<DataType> TypeList(NodeDef n, string attr)
        => n.Attr.TryGetValue(attr, out var a) && a.List != null ? a.List.Type.ToList() : [];

    private static FunctionBody Instantiate(GraphDef def, NodeDef caller, string attr, IReadOnlyList<DataType> argTypes)
    {
        if (!caller.Attr.TryGetValue(attr, out var f) || f.Func == null)
            throw new OnnxExportException($"Cannot export node '{caller.Name}' (op {caller.Op}) to ONNX: it has no function attr '{attr}'.");
        return Instantiate(def, caller, f.Func, argTypes);
    }

    private static FunctionBody Instantiate(GraphDef def, NodeDef caller, NameAttrList f, IReadOnlyList<DataType> argTypes)
    {
        if (def.Library == null)
            throw new OnnxExportException($"Cannot export node '{caller.Name}' (op {caller.Op}) to ONNX: the graph has no function library.");
        try
        {
            return FunctionBody.Instantiate(def.Library, f.Name, f.Attr, argTypes.ToArray(), caller.Name);
        }
        catch (TypedGraphException e)
        {
            throw new OnnxExportException($"Cannot export node '{caller.Name}' (op {caller.Op}) to ONNX: its function '{f.Name}' cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Copies a function body into <paramref name="into"/> under <paramref name="prefix"/>, its args read as
    /// <paramref name="args"/>; returns the graph tensors of its results. Input-less nodes get <paramref name="anchor"/>
    /// as a control input.
    /// </summary>
    private static List<string> Inline(FunctionBody body, string prefix, IReadOnlyList<string> args, string? anchor, GraphDef into, HashSet<string> names, NodeDef caller)
    {
        var argMap = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < body.ArgTensors.Count; i++)
        {
            if (i >= args.Count)
                throw new OnnxExportException($"Cannot export node '{caller.Name}' (op {caller.Op}) to ONNX: its function takes {body.ArgTensors.Count} inputs, the node gives {args.Count}.");
            argMap[NodeOf(body.ArgTensors[i])] = args[i];
        }
        string Rename(string input)
        {
            bool control = input.StartsWith('^');
            var node = NodeOf(input);
            if (argMap.TryGetValue(node, out var outer))
                return control ? "^" + NodeOf(outer) : outer;
            return (control ? "^" : "") + prefix + (control ? input[1..] : input);
        }
        foreach (var n in body.Graph.Def.Node)
        {
            if (argMap.ContainsKey(n.Name)) continue;
            var copy = n.Clone();
            copy.Name = prefix + n.Name;
            if (!names.Add(copy.Name))
                throw new OnnxExportException($"Cannot export node '{caller.Name}' (op {caller.Op}) to ONNX: inlining its function would create a second node named '{copy.Name}'.");
            copy.Input.Clear();
            foreach (var i in n.Input) copy.Input.Add(Rename(i));
            if (copy.Input.Count == 0 && anchor != null) copy.Input.Add("^" + anchor);
            into.Node.Add(copy);
        }
        return body.Outputs.Select(Rename).ToList();
    }

    private static NodeDef IdentityN(NodeDef original, IReadOnlyList<string> inputs, IReadOnlyList<DataType> types)
    {
        var n = new NodeDef { Name = original.Name, Op = "IdentityN" };
        n.Input.AddRange(inputs);
        var list = new AttrValue.Types.ListValue();
        list.Type.AddRange(types);
        n.Attr["T"] = new AttrValue { List = list };
        return n;
    }

    private static NodeDef Simple(string name, string op, IEnumerable<string> inputs, DataType? t = null)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        if (t is { } dtype) n.Attr["T"] = new AttrValue { Type = dtype };
        return n;
    }

    private static void InlineCall(GraphDef def, NodeDef call, GraphDef into, HashSet<string> names)
    {
        var inputs = DataInputs(call);
        var body = Instantiate(def, call, "f", TypeList(call, "Tin"));
        var results = Inline(body, call.Name + "/", inputs, null, into, names, call);
        var types = TypeList(call, "Tout");
        into.Node.Add(IdentityN(call, results, types.Count == results.Count ? types : body.Outputs.Select(_ => DataType.DtFloat).ToList()));
    }

    /// <summary>Adds a node made while lowering <paramref name="owner"/> to the output graph, refusing a name clash.</summary>
    private static string AddLowered(NodeDef owner, HashSet<string> names, GraphDef into, NodeDef n)
    {
        if (!names.Add(n.Name)) throw new OnnxExportException($"Cannot export node '{owner.Name}' (op {owner.Op}) to ONNX: lowering it would create a second node named '{n.Name}'.");
        into.Node.Add(n);
        return n.Name;
    }

    private static void LowerWhile(GraphDef def, NodeDef w, GraphDef into, HashSet<string> names)
    {
        var inputs = DataInputs(w);
        var types = TypeList(w, "T");
        if (types.Count != inputs.Count)
            throw new OnnxExportException($"Cannot export node '{w.Name}' (op {w.Op}) to ONNX: its T attr lists {types.Count} types for {inputs.Count} inputs.");
        var p = w.Name + "/lowered/";
        string Add(NodeDef n) => AddLowered(w, names, into, n);
        long parallel = w.Attr.TryGetValue("parallel_iterations", out var pi) ? pi.I : 10;
        var body = Instantiate(def, w, "body", types);
        if (body.Outputs.Count != inputs.Count) throw new OnnxExportException($"Cannot export node '{w.Name}' (op {w.Op}) to ONNX: its body returns {body.Outputs.Count} values for {inputs.Count} loop variables.");
        // A resource handle the body returns unchanged (while_v2 carries every captured variable that way) is the same
        // handle in every iteration, so it enters the frame as a constant (an invariant, as a TF1 while_loop passes
        // captured tensors) instead of a loop variable: ONNX has no type for a resource, and reads of the variable
        // inside the body then see the variable itself. TF's lower_while_op keeps it a loop variable; the values are
        // the same because the handle never changes.
        bool[] invariant = new bool[inputs.Count];
        for (int i = 0; i < inputs.Count && i < body.ArgTensors.Count; i++)
            invariant[i] = types[i] == DataType.DtResource && NodeOf(body.Outputs[i]) == NodeOf(body.ArgTensors[i]);
        var merges = new List<string>();
        var enters = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
        {
            var enter = Simple($"{p}Enter_{i}", "Enter", [inputs[i]], types[i]);
            enter.Attr["frame_name"] = new AttrValue { S = Google.Protobuf.ByteString.CopyFromUtf8(w.Name) };
            enter.Attr["is_constant"] = new AttrValue { B = invariant[i] };
            enter.Attr["parallel_iterations"] = new AttrValue { I = parallel };
            enters.Add(Add(enter));
            if (invariant[i])
            {
                merges.Add(enter.Name);
                continue;
            }
            var merge = Simple($"{p}Merge_{i}", "Merge", [enter.Name, $"{p}NextIteration_{i}"], types[i]);
            merge.Attr["N"] = new AttrValue { I = 2 };
            merges.Add(Add(merge));
        }
        int first = Array.IndexOf(invariant, false);
        if (first < 0) throw new OnnxExportException($"Cannot export node '{w.Name}' (op {w.Op}) to ONNX: every loop variable is a resource handle passed through unchanged.");
        var cond = Instantiate(def, w, "cond", types);
        var pred = Inline(cond, p + "cond/", merges.Select(m => m + ":0").ToList(), merges[first], into, names, w);
        if (pred.Count != 1) throw new OnnxExportException($"Cannot export node '{w.Name}' (op {w.Op}) to ONNX: its cond function returns {pred.Count} values, not one.");
        var loopCond = Add(Simple($"{p}LoopCond", "LoopCond", [pred[0]]));
        var identities = new List<string>();
        var exits = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
        {
            if (invariant[i])
            {
                // The body reads the handle through an Identity under the body's pivot (a control edge from the first
                // loop variable's body Identity), so what it computes from it lives in the body, as TF1's while_loop
                // gives in-body ops that read only outer values a control input from the pivot.
                var id = Simple($"{p}Identity_{i}", "Identity", [enters[i]], types[i]);
                id.Input.Add($"^{p}Identity_{first}");
                identities.Add(Add(id));
                exits.Add(inputs[i]); // the handle the loop was given, unchanged
                continue;
            }
            var sw = Add(Simple($"{p}Switch_{i}", "Switch", [merges[i], loopCond], types[i]));
            exits.Add(Add(Simple($"{p}Exit_{i}", "Exit", [sw + ":0"], types[i])));
            identities.Add(Add(Simple($"{p}Identity_{i}", "Identity", [sw + ":1"], types[i])));
        }
        var nexts = Inline(body, p + "body/", identities.Select(n => n + ":0").ToList(), identities[first], into, names, w);
        for (int i = 0; i < inputs.Count; i++)
            if (!invariant[i]) Add(Simple($"{p}NextIteration_{i}", "NextIteration", [nexts[i]], types[i]));
        into.Node.Add(IdentityN(w, exits, types));
    }

    private static void LowerIf(GraphDef def, NodeDef node, GraphDef into, HashSet<string> names)
    {
        var all = DataInputs(node);
        if (all.Count == 0) throw new OnnxExportException($"Cannot export node '{node.Name}' (op {node.Op}) to ONNX: it has no predicate input.");
        var pred = all[0];
        var inputs = all.Skip(1).ToList();
        var tin = TypeList(node, "Tin");
        var tout = TypeList(node, "Tout");
        var p = node.Name + "/lowered/";
        string Add(NodeDef n) => AddLowered(node, names, into, n);
        // The branch pivots, as TF1's cond builds them: Identity(Switch(pred, pred):k).
        var predSwitch = Add(Simple($"{p}pred_switch", "Switch", [pred, pred], DataType.DtBool));
        var pivotT = Add(Simple($"{p}switch_t", "Identity", [predSwitch + ":1"], DataType.DtBool));
        var pivotF = Add(Simple($"{p}switch_f", "Identity", [predSwitch + ":0"], DataType.DtBool));
        var switches = new List<string>();
        for (int i = 0; i < inputs.Count; i++)
            switches.Add(Add(Simple($"{p}Switch_{i}", "Switch", [inputs[i], pred], i < tin.Count ? tin[i] : DataType.DtFloat)));
        var then = Instantiate(def, node, "then_branch", tin);
        var thenOut = Inline(then, p + "then/", switches.Select(s => s + ":1").ToList(), pivotT, into, names, node);
        var @else = Instantiate(def, node, "else_branch", tin);
        var elseOut = Inline(@else, p + "else/", switches.Select(s => s + ":0").ToList(), pivotF, into, names, node);
        if (thenOut.Count != elseOut.Count) throw new OnnxExportException($"Cannot export node '{node.Name}' (op {node.Op}) to ONNX: its branches return {thenOut.Count} and {elseOut.Count} values.");
        var merged = new List<string>();
        for (int j = 0; j < thenOut.Count; j++)
        {
            var m = Simple($"{p}Merge_{j}", "Merge", [thenOut[j], elseOut[j]], j < tout.Count ? tout[j] : DataType.DtFloat);
            m.Attr["N"] = new AttrValue { I = 2 };
            merged.Add(Add(m) + ":0");
        }
        into.Node.Add(IdentityN(node, merged, tout.Count == merged.Count ? tout : merged.Select(_ => DataType.DtFloat).ToList()));
    }

    /// <summary>
    /// <c>Case</c>/<c>StatelessCase</c>: TF's lower_case_op.cc routes every input through one <c>_SwitchN</c> on the
    /// branch index and joins the branches' results with N-input Merges; a branch index below 0 or at least N runs the
    /// last branch (our Case kernel, and TF's functional_ops_test: Run(7) and Run(-1) take the last of 3 branches).
    /// The exporter's cond recognizer knows two-way Switch/Merge, so the same selection is written as a chain:
    /// level k switches the inputs (and the index) on <c>Equal(index, k)</c>, inlines branch k on the true side and
    /// continues on the false side; the last branch is what is left when no Equal held, which is exactly the
    /// out-of-range rule. It becomes nested ONNX Ifs.
    /// </summary>
    private static void LowerCase(GraphDef def, NodeDef node, GraphDef into, HashSet<string> names)
    {
        var all = DataInputs(node);
        if (all.Count == 0) throw new OnnxExportException($"Cannot export node '{node.Name}' (op {node.Op}) to ONNX: it has no branch_index input.");
        var branches = node.Attr.TryGetValue("branches", out var b) && b.List != null ? b.List.Func.ToList() : [];
        if (branches.Count == 0) throw new OnnxExportException($"Cannot export node '{node.Name}' (op {node.Op}) to ONNX: it has no branches.");
        var tin = TypeList(node, "Tin");
        var tout = TypeList(node, "Tout");
        var p = node.Name + "/lowered/";
        string Add(NodeDef n) => AddLowered(node, names, into, n);
        DataType In(int i) => i < tin.Count ? tin[i] : DataType.DtFloat;

        List<string> Level(int k, string index, List<string> inputs, string? anchor)
        {
            var lp = $"{p}branch{k}/";
            if (k == branches.Count - 1)
            {
                var last = Instantiate(def, node, branches[k], tin);
                return Inline(last, lp, inputs, anchor, into, names, node);
            }
            var constant = new NodeDef { Name = $"{lp}index", Op = "Const" };
            constant.Attr["dtype"] = new AttrValue { Type = DataType.DtInt32 };
            constant.Attr["value"] = new AttrValue { Tensor = TensorProtos.FromTensor(Tensor.FromScalar(k)) };
            if (anchor != null) constant.Input.Add("^" + anchor);
            Add(constant);
            var pred = Add(Simple($"{lp}Equal", "Equal", [index, constant.Name], DataType.DtInt32));
            var predSwitch = Add(Simple($"{lp}pred_switch", "Switch", [pred, pred], DataType.DtBool));
            var pivotT = Add(Simple($"{lp}switch_t", "Identity", [predSwitch + ":1"], DataType.DtBool));
            var pivotF = Add(Simple($"{lp}switch_f", "Identity", [predSwitch + ":0"], DataType.DtBool));
            var switches = new List<string>();
            for (int i = 0; i < inputs.Count; i++) switches.Add(Add(Simple($"{lp}Switch_{i}", "Switch", [inputs[i], pred], In(i))));
            var indexSwitch = Add(Simple($"{lp}index_switch", "Switch", [index, pred], DataType.DtInt32));
            var taken = Instantiate(def, node, branches[k], tin);
            var takenOut = Inline(taken, lp + "taken/", switches.Select(s => s + ":1").ToList(), pivotT, into, names, node);
            var restOut = Level(k + 1, indexSwitch + ":0", switches.Select(s => s + ":0").ToList(), pivotF);
            if (takenOut.Count != restOut.Count)
                throw new OnnxExportException($"Cannot export node '{node.Name}' (op {node.Op}) to ONNX: its branches return {takenOut.Count} and {restOut.Count} values.");
            var merged = new List<string>();
            for (int j = 0; j < takenOut.Count; j++)
            {
                var m = Simple($"{lp}Merge_{j}", "Merge", [takenOut[j], restOut[j]], j < tout.Count ? tout[j] : DataType.DtFloat);
                m.Attr["N"] = new AttrValue { I = 2 };
                merged.Add(Add(m) + ":0");
            }
            return merged;
        }

        var results = Level(0, all[0], all.Skip(1).ToList(), null);
        into.Node.Add(IdentityN(node, results, tout.Count == results.Count ? tout : results.Select(_ => DataType.DtFloat).ToList()));
    }
}
