using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Functions;

/// <summary>
/// A FunctionDef instantiated as a plain graph: one Placeholder per input arg (named after the arg), the body's
/// NodeDefs with their function-style inputs (<c>arg</c>, <c>node:out_arg:i</c>) rewritten to graph tensor names,
/// and the return values / control returns as fetches / targets. The graph carries the caller's library, so
/// nested calls instantiate the same way.
/// </summary>
internal sealed class FunctionBody
{
    private FunctionBody(Graph graph, string[] argTensors, string[] outputs, string[] targets)
    {
        Graph = graph;
        ArgTensors = argTensors;
        Outputs = outputs;
        Targets = targets;
    }

    /// <summary>The body as a graph.</summary>
    public Graph Graph { get; }

    /// <summary>The placeholder tensor of each input arg, in signature order (<c>x:0</c>).</summary>
    public IReadOnlyList<string> ArgTensors { get; }

    /// <summary>The tensor of each output arg, in signature order.</summary>
    public IReadOnlyList<string> Outputs { get; }

    /// <summary>The control-return ops (stateful ops TF's auto control dependencies keep alive).</summary>
    public IReadOnlyList<string> Targets { get; }

    /// <summary>Finds <paramref name="name"/> in <paramref name="library"/> and instantiates it.</summary>
    /// <param name="library">The graph's FunctionDefLibrary.</param>
    /// <param name="name">The function name (<c>f</c> attr).</param>
    /// <param name="callAttrs">The call's attrs for the function (<c>f.attr</c>), substituted for attr placeholders.</param>
    /// <param name="argTypes">The call's input types (<c>Tin</c>), used when an arg's type comes from an attr.</param>
    /// <param name="caller">The calling node's name, for messages.</param>
    /// <exception cref="GraphFormatException">No such function, or a body the instantiation cannot map (named).</exception>
    /// <param name="hasKernel">Whether the kernels the body will run with support an op (the caller's kernel registry;
    /// Functions sits below Kernels, so it is passed in; default: no op has a kernel); an op unknown to it and to the op
    /// catalogue is reported as an <see cref="UnsupportedOpException"/>.</param>
    /// <exception cref="UnsupportedOpException">A body node's output is read by out-arg name and its op is unknown.</exception>
    public static FunctionBody Instantiate(FunctionDefLibrary library, string name, IReadOnlyDictionary<string, AttrValue> callAttrs, DataType[]? argTypes, string caller, Func<string, bool>? hasKernel = null)
    {
        var fn = library.Function.FirstOrDefault(f => f.Signature?.Name == name)
            ?? throw new GraphFormatException($"Node '{caller}' calls function '{name}', which is not in the graph's FunctionDefLibrary.");
        var sig = fn.Signature;
        var byName = library.Function.Where(f => f.Signature != null).GroupBy(f => f.Signature.Name).ToDictionary(g => g.Key, g => g.First().Signature, StringComparer.Ordinal);
        var bodyNodes = fn.NodeDef.ToDictionary(n => n.Name, StringComparer.Ordinal);
        var args = sig.InputArg.Select(a => a.Name).ToHashSet(StringComparer.Ordinal);
        string Where() => $"function '{name}' (called by '{caller}')";

        var def = new GraphDef { Versions = new VersionDef { Producer = 440 }, Library = library };
        for (int i = 0; i < sig.InputArg.Count; i++)
        {
            var a = sig.InputArg[i];
            var dtype = a.Type != DataType.DtInvalid ? a.Type
                : argTypes != null && i < argTypes.Length ? argTypes[i]
                : a.TypeAttr.Length > 0 && callAttrs.TryGetValue(a.TypeAttr, out var t) && t.ValueCase == AttrValue.ValueOneofCase.Type ? t.Type
                : DataType.DtInvalid;
            if (dtype == DataType.DtInvalid)
                throw new GraphFormatException($"Input arg '{a.Name}' of {Where()} has no concrete type.");
            var ph = new NodeDef { Name = a.Name, Op = "Placeholder" };
            ph.Attr["dtype"] = new AttrValue { Type = dtype };
            ph.Attr["shape"] = new AttrValue { Shape = new TensorShapeProto { UnknownRank = true } };
            def.Node.Add(ph);
        }

        string Tensor(string input)
        {
            var parts = input.Split(':');
            if (parts.Length == 1)
            {
                if (args.Contains(input) || bodyNodes.ContainsKey(input)) return input;
                throw new GraphFormatException($"Input '{input}' in {Where()} names neither an arg nor a node.");
            }
            if (parts.Length != 3 || !int.TryParse(parts[2], out int k) || k < 0 || !bodyNodes.TryGetValue(parts[0], out var producer))
                throw new GraphFormatException($"Input '{input}' in {Where()} is not of the form node:out_arg:index.");
            int index = FlatIndex(producer, parts[1], k, byName) ?? throw UnmappedOutput(input, producer);
            return index == 0 ? parts[0] : $"{parts[0]}:{index}";
        }

        // An op neither the catalogue nor the registry knows is simply unsupported: say so as the session would.
        Exception UnmappedOutput(string input, NodeDef producer)
        {
            if (!(hasKernel?.Invoke(producer.Op) ?? false) && !byName.ContainsKey(producer.Op))
                return new UnsupportedOpException([new UnsupportedOp(producer.Op, producer.Name, name)]);
            return new GraphFormatException($"Cannot map output '{input}' in {Where()}: op '{producer.Op}' has a kernel but no OpDef in the catalogue, so its output arg '{input.Split(':')[1]}' has no known position.");
        }

        foreach (var n in fn.NodeDef)
        {
            var copy = n.Clone();
            copy.Input.Clear();
            foreach (var input in n.Input) copy.Input.Add(input.StartsWith('^') ? input : Tensor(input));
            foreach (var key in copy.Attr.Keys.ToList())
            {
                var ph = copy.Attr[key].Placeholder;
                if (string.IsNullOrEmpty(ph)) continue;
                copy.Attr[key] = callAttrs.TryGetValue(ph, out var v) ? v.Clone()
                    : throw new GraphFormatException($"Node '{n.Name}' in {Where()} takes attr '{key}' from '${ph}', which the call does not set.");
            }
            def.Node.Add(copy);
        }

        var outputs = sig.OutputArg.Select(o => fn.Ret.TryGetValue(o.Name, out var r) ? Full(Tensor(r))
            : throw new GraphFormatException($"Output arg '{o.Name}' of {Where()} has no ret entry.")).ToArray();
        var targets = fn.ControlRet.Values.Where(bodyNodes.ContainsKey).Distinct().ToArray();
        Graph graph;
        try
        {
            graph = new Graph(def);
        }
        catch (GraphFormatException e)
        {
            throw new GraphFormatException($"Cannot instantiate {Where()}: {e.Message}", e);
        }
        return new FunctionBody(graph, sig.InputArg.Select(a => a.Name + ":0").ToArray(), outputs, targets);
    }

    // Ops TF 2.x's traced save/restore functions use that the builder's catalogue does not list.
    private static readonly Lazy<OpDefCatalog> s_catalog = new(() => OpDefCatalog.Default.With(new[]
    {
        "StaticRegexFullMatch(input: string) -> (output: bool); pattern: string",
        "RegexFullMatch(input: string, pattern: string) -> (output: bool)",
        "ShardedFilespec(basename: string, num_shards: int32) -> (filename: string)",
    }.Select(OpSignature.Parse)));

    private static string Full(string tensor) => tensor.Contains(':') ? tensor : tensor + ":0";

    // Output k of arg `arg` → the producer's flat output index: the earlier output args' lengths plus k.
    private static int? FlatIndex(NodeDef producer, string arg, int k, Dictionary<string, OpDef> functions)
    {
        var op = functions.GetValueOrDefault(producer.Op) ?? s_catalog.Value.Find(producer.Op);
        if (op == null)
        {
            // Call ops have one list output arg, "output".
            if (FunctionCalls.CallOps.Contains(producer.Op) && arg == "output") return k;
            return null;
        }
        int offset = 0;
        foreach (var o in op.OutputArg)
        {
            if (o.Name == arg) return offset + k;
            offset += OpDefCatalog.ArgTypes(o, producer).Count();
        }
        return null;
    }
}
