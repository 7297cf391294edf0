using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The <c>while_context</c> / <c>cond_context</c> collections of a MetaGraphDef for the TF1 loops and conds a
/// <see cref="GraphBuilder"/> built, written as TF's <c>WhileContext.to_proto</c> / <c>CondContext.to_proto</c> do, so an
/// exported graph imported again (by <see cref="GraphBuilder.FromMetaGraph"/> or by TF) still has gradients through its
/// control flow.
/// </summary>
/// <remarks>
/// As TF's <c>control_flow_ops.while_loop</c> and <c>cond</c>: only contexts with no outer context go into the
/// collections (nested ones travel inside their parent's <c>nested_contexts</c>), a cond adds its true context before its
/// false one, and gradient loops — which TF builds as bare <c>WhileContext</c>s, not through <c>while_loop</c> — are not
/// added. A cond branch is named as TF's <c>CondContext</c> names it, <c>unique_name("cond_text")</c> in the cond's
/// scope: <c>&lt;scope&gt;/cond_text</c> for the true branch, <c>&lt;scope&gt;/cond_text_1</c> for the false one.
/// </remarks>
internal static class ControlFlowContextExport
{
    /// <summary>Adds the collections to <paramref name="meta"/> unless the graph already carries them (an imported graph
    /// keeps the collections it came with).</summary>
    public static void AddCollections(GraphBuilder builder, MetaGraphDef meta, Func<string, bool> wanted)
    {
        if (meta.CollectionDef.ContainsKey("while_context") || meta.CollectionDef.ContainsKey("cond_context")) return;
        // Contexts in creation order: the graph's node order, a cond's true branch first.
        var order = new List<ControlFlowContext>();
        var seen = new HashSet<ControlFlowContext>(ReferenceEqualityComparer.Instance);
        foreach (var node in builder.Graph.Nodes)
            for (var c = builder.ContextOf(node.Name); c != null; c = c.Outer)
                if (seen.Add(c)) order.Add(c);
        if (order.Count == 0) return;
        // A cond's two branches are created together, true first: place both where the first of them appears.
        var placed = new HashSet<ControlFlowContext>(ReferenceEqualityComparer.Instance);
        var ordered = new List<ControlFlowContext>();
        foreach (var c in order)
        {
            var group = c is CondContext cc
                ? order.OfType<CondContext>().Where(o => o.Pred.Name == cc.Pred.Name && ReferenceEquals(o.Outer, cc.Outer)).OrderByDescending(o => o.Branch).Cast<ControlFlowContext>()
                : [c];
            foreach (var g in group)
                if (placed.Add(g)) ordered.Add(g);
        }
        order = ordered;
        var children = order.ToLookup(c => c.Outer); // contexts compare by reference
        var whiles = new List<ByteString>();
        var conds = new List<ByteString>();
        foreach (var top in order.Where(c => c.Outer == null && !IsGradientLoop(c)))
        {
            var def = ToDef(builder, top, children);
            if (def.WhileCtxt != null) whiles.Add(def.WhileCtxt.ToByteString());
            else conds.Add(def.CondCtxt.ToByteString());
        }
        if (whiles.Count > 0 && wanted("while_context"))
            meta.CollectionDef["while_context"] = new CollectionDef { BytesList = new CollectionDef.Types.BytesList { Value = { whiles } } };
        if (conds.Count > 0 && wanted("cond_context"))
            meta.CollectionDef["cond_context"] = new CollectionDef { BytesList = new CollectionDef.Types.BytesList { Value = { conds } } };
    }

    private static bool IsGradientLoop(ControlFlowContext c) => c is WhileContext { GradState: not null };

    private static ControlFlowContextDef ToDef(GraphBuilder b, ControlFlowContext ctx, ILookup<ControlFlowContext?, ControlFlowContext> children)
    {
        var nested = children[ctx].Where(c => !IsGradientLoop(c)).Select(c => ToDef(b, c, children)).ToList();
        if (ctx is WhileContext loop)
        {
            var def = new WhileContextDef
            {
                ContextName = loop.FrameName,
                ParallelIterations = loop.ParallelIterations,
                BackProp = loop.BackProp,
                PivotName = loop.Pivot.Name,
                PivotForPredName = loop.PivotForPred?.Name ?? "",
                PivotForBodyName = loop.PivotForBody?.Name ?? "",
                LoopEnterNames = { loop.LoopEnters.Select(e => e.Name) },
                LoopExitNames = { loop.LoopExits.Select(e => e.Name) },
                ValuesDef = Values(b, loop),
                NestedContexts = { nested },
            };
            return new ControlFlowContextDef { WhileCtxt = def };
        }
        var cond = (CondContext)ctx;
        int slash = cond.Pivot.NodeName.LastIndexOf('/');
        string scope = slash >= 0 ? cond.Pivot.NodeName[..(slash + 1)] : "";
        return new ControlFlowContextDef
        {
            CondCtxt = new CondContextDef
            {
                ContextName = scope + (cond.Branch == 1 ? "cond_text" : "cond_text_1"),
                PredName = cond.Pred.Name,
                PivotName = cond.Pivot.Name,
                Branch = cond.Branch,
                ValuesDef = Values(b, cond),
                NestedContexts = { nested },
            },
        };
    }

    // TF's ValuesDef: every tensor made in the context, plus each outside tensor it reads (mapped to its inside stand-in).
    private static ValuesDef Values(GraphBuilder b, ControlFlowContext ctx)
    {
        var def = new ValuesDef();
        foreach (var n in b.Graph.Nodes)
            if (ReferenceEquals(b.ContextOf(n.Name), ctx))
                for (int i = 0; i < b.OutputTypes(n).Length; i++) def.Values.Add($"{n.Name}:{i}");
        foreach (var (outside, inside) in ctx.ExternalValues)
        {
            def.Values.Add(outside);
            def.ExternalValues[outside] = inside.Name;
        }
        return def;
    }
}
