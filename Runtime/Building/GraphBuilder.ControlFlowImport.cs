using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Building;

// The TF1 control-flow contexts of an imported MetaGraphDef, rebuilt as import_meta_graph does: the "cond_context"
// and "while_context" collections (serialized CondContextDef / WhileContextDef, control_flow.proto) are read in
// sorted key order (meta_graph.py import_scoped_meta_graph_with_return_elements iterates sorted(collection_def)),
// and each context's ValuesDef assigns it to the ops that produce its values, except its external values
// (control_flow_ops.py ControlFlowContext._init_values_from_proto). Gradients.Compute then differentiates the
// imported loops and conds like ones this builder made.
public sealed partial class GraphBuilder
{
    internal const string WhileContextCollection = "while_context";
    internal const string CondContextCollection = "cond_context";

    private void ImportControlFlowContexts(MetaGraphDef meta, string prefix)
    {
        var byName = new Dictionary<string, ControlFlowContext>(StringComparer.Ordinal);
        foreach (var key in new[] { CondContextCollection, WhileContextCollection })
        {
            if (!meta.CollectionDef.TryGetValue(key, out var collection)) continue;
            if (collection.KindCase != CollectionDef.KindOneofCase.BytesList)
                throw new GraphFormatException($"The MetaGraphDef collection '{key}' must hold serialized {(key == CondContextCollection ? "CondContextDef" : "WhileContextDef")}s (a bytes_list), but holds a {collection.KindCase}.");
            int i = 0;
            foreach (var bytes in collection.BytesList.Value)
            {
                try
                {
                    if (key == WhileContextCollection) ImportWhileContext(WhileContextDef.Parser.ParseFrom(bytes), null, prefix, byName);
                    else ImportCondContext(CondContextDef.Parser.ParseFrom(bytes), null, prefix, byName);
                }
                catch (InvalidProtocolBufferException e)
                {
                    throw new GraphFormatException($"Entry {i} of the MetaGraphDef collection '{key}' is not a valid serialized context: {e.Message}", e);
                }
                i++;
            }
        }
    }

    private Output ContextTensor(string name, string prefix, string contextName, string field)
    {
        var r = TensorRef.Parse(prefix + name);
        if (Graph.FindNode(r.NodeName) is not { } node)
            throw new GraphFormatException($"Control-flow context '{contextName}': its {field} '{name}' names no node of the graph.");
        return OutputOf(node, r.Index);
    }

    private WhileContext ImportWhileContext(WhileContextDef def, ControlFlowContext? outer, string prefix, Dictionary<string, ControlFlowContext> byName)
    {
        var name = prefix + def.ContextName;
        if (byName.TryGetValue(name, out var known) && known is WhileContext seen) return seen; // listed both nested and top-level
        var enters = def.LoopEnterNames.Select(n => ContextTensor(n, prefix, name, "loop enter")).ToList();
        // The frame the Enter ops run in (their frame_name attr) is the context name.
        var frame = enters.Count > 0 ? Graph.GetNode(enters[0].NodeName).GetString("frame_name") : name;
        var ctx = new WhileContext(outer, frame, def.ParallelIterations > 0 ? def.ParallelIterations : 10, def.BackProp)
        {
            Pivot = ContextTensor(def.PivotName, prefix, name, "pivot"),
            PivotForPred = def.PivotForPredName.Length > 0 ? ContextTensor(def.PivotForPredName, prefix, name, "pivot_for_pred") : null,
            PivotForBody = def.PivotForBodyName.Length > 0 ? ContextTensor(def.PivotForBodyName, prefix, name, "pivot_for_body") : null,
        };
        ctx.LoopEnters.AddRange(enters);
        ctx.LoopExits.AddRange(def.LoopExitNames.Select(n => ContextTensor(n, prefix, name, "loop exit")));
        byName[name] = ctx;
        AssignValues(ctx, def.ValuesDef, prefix, name);
        foreach (var nested in def.NestedContexts) ImportNested(nested, ctx, prefix, byName);
        return ctx;
    }

    private CondContext ImportCondContext(CondContextDef def, ControlFlowContext? outer, string prefix, Dictionary<string, ControlFlowContext> byName)
    {
        var name = prefix + def.ContextName;
        if (byName.TryGetValue(name, out var known) && known is CondContext seen) return seen;
        if (def.Branch is not (0 or 1)) throw new GraphFormatException($"Cond context '{name}': branch must be 0 or 1, got {def.Branch}.");
        var ctx = new CondContext(outer, ContextTensor(def.PredName, prefix, name, "pred"), ContextTensor(def.PivotName, prefix, name, "pivot"), def.Branch);
        byName[name] = ctx;
        AssignValues(ctx, def.ValuesDef, prefix, name);
        foreach (var nested in def.NestedContexts) ImportNested(nested, ctx, prefix, byName);
        return ctx;
    }

    private void ImportNested(ControlFlowContextDef nested, ControlFlowContext outer, string prefix, Dictionary<string, ControlFlowContext> byName)
    {
        if (nested.WhileCtxt != null) ImportWhileContext(nested.WhileCtxt, outer, prefix, byName);
        else if (nested.CondCtxt != null) ImportCondContext(nested.CondCtxt, outer, prefix, byName);
    }

    // _init_values_from_proto: every op producing a value of the context, other than its external values, belongs to it.
    private void AssignValues(ControlFlowContext ctx, ValuesDef? values, string prefix, string contextName)
    {
        if (values == null) return;
        foreach (var (outside, inside) in values.ExternalValues)
            ctx.ExternalValues[prefix + outside] = ContextTensor(inside, prefix, contextName, "external value");
        foreach (var v in values.Values)
        {
            if (values.ExternalValues.ContainsKey(v)) continue;
            var t = ContextTensor(v, prefix, contextName, "value");
            _nodeContexts[t.NodeName] = ctx;
        }
    }
}
