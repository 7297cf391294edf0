using TypedGraph.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// TF1 <c>tf.cond</c> (Switch/Merge) whose predicate does not depend on the inputs — e.g. an <c>is_training</c>
/// PlaceholderWithDefault(False): the taken branch is exported, the other is dead and dropped, as TF's executor
/// propagates deadness (Switch forwards to output 1 when the predicate is true, else output 0; Merge forwards its
/// one live input; any other op with a dead input is dead). A predicate that depends on the inputs makes an ONNX If
/// (GraphConversion.ControlFlow.cs).
/// </summary>
internal sealed partial class GraphConversion
{
    private readonly HashSet<string> _deadNodes = new(StringComparer.Ordinal);
    private readonly HashSet<TensorRef> _deadOutputs = [];

    private bool IsDead(TensorRef r) => _deadNodes.Contains(r.NodeName) || _deadOutputs.Contains(r);

    /// <summary>Marks the dead nodes and outputs of static-predicate conds in the main graph (run before the probe,
    /// which must not fetch them). Conds whose predicate depends on the inputs become If nodes instead.</summary>
    private void MarkDeadBranches(List<Node> order)
    {
        bool IsStaticSwitch(Node n) => IsSwitchOp(n.Op) && n.Inputs.Count == 2 && !IsCondPredicate(n.Inputs[1]);
        var switches = order.Where(IsStaticSwitch).ToList();
        if (switches.Count == 0) return;
        var preds = switches.Select(n => n.Inputs[1]).Distinct().ToList();
        Tensor[] values;
        try { values = _session.Run(preds.Select(p => p.ToString()).ToList()); }
        catch (TypedGraphException e) { throw new OnnxExportException("Evaluating the static tf.cond predicates failed: " + e.Message, e); }
        var predValue = preds.Select((p, i) => (p, v: values[i].Scalar<bool>())).ToDictionary(t => t.p, t => t.v);
        foreach (var node in order)
        {
            if (IsMergeOp(node.Op))
            {
                if (node.Inputs.All(IsDead)) _deadNodes.Add(node.Name);
                continue;
            }
            if (node.Inputs.Any(IsDead))
            {
                _deadNodes.Add(node.Name);
                continue;
            }
            if (IsStaticSwitch(node) && predValue.TryGetValue(node.Inputs[1], out bool p))
                _deadOutputs.Add(new TensorRef(node.Name, p ? 0 : 1));
        }
        foreach (var r in _outputs)
            if (IsDead(r)) throw new OnnxExportException($"Output '{r}' is on the branch of a tf.cond that its (static) predicate never takes.");
    }


    private void RegisterCond()
    {
        _converters["Switch"] = node =>
        {
            var pred = InputRef(node, 1);
            if (ConstOf(pred) is not { } p)
                throw new InvalidOperationException($"Exporter bug: Switch '{node.Name}' with an input-dependent predicate reached the static-cond converter.");
            Alias(node, p.Scalar<bool>() ? 1 : 0, InputRef(node, 0));
        };
        _converters["Merge"] = node =>
        {
            var live = Enumerable.Range(0, node.Inputs.Count).Where(i => !IsDead(node.Inputs[i])).ToList();
            if (live.Count != 1) throw OnnxExportException.For(node, $"{live.Count} of its inputs are live; a static tf.cond leaves exactly one.");
            Alias(node, 0, node.Inputs[live[0]]);
            _values[new TensorRef(node.Name, 1)] = new Value { DType = DataType.DtInt32, Rank = 0, Const = Tensor.FromScalar(live[0]) };
        };
    }
}
