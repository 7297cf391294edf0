using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CentralDifferences;

namespace TypedGraph.Tests.Building;

/// <summary>
/// <see cref="GraphBuilder.FromMetaGraph"/> rebuilds TF1 control-flow contexts from a MetaGraphDef's
/// <c>while_context</c> / <c>cond_context</c> collections (serialized WhileContextDef / CondContextDef, with a cond
/// nested in a loop through <c>nested_contexts</c>, as TF ≥ 1.8 writes it), so gradients go through an imported
/// cond inside an imported loop; malformed collections are rejected naming the collection, context and tensor.
/// </summary>
public class ControlFlowContextImportTests
{
    private const int T = 4, B = 2, H = 3;

    /// <summary>t &lt; 4: h = Σx[t] &gt; 0 ? tanh(h·w + x[t]) : h ⊙ s.</summary>
    private static (GraphBuilder B, Output Loss) Build()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [T, B, H], "x");
        var w = b.Placeholder(DataType.DtFloat, [H, H], "w");
        var s = b.Placeholder(DataType.DtFloat, [H], "s");
        var steps = b.Constant(T, "steps");
        var input = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [B, H]), x);
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var xt = b.TensorArrayRead(input, v[0]);
                var h = b.Cond(b.Greater(b.ReduceSum(xt, [0, 1]), b.Constant(0f)),
                    () => [b.Tanh(b.Add(b.MatMul(v[1], w), xt))],
                    () => [b.Multiply(v[1], s)])[0];
                return [b.Add(v[0], 1), h];
            },
            [b.Constant(0), b.Splat(0.5, DataType.DtFloat, [B, H], "h0")]);
        return (b, b.ReduceSum(b.Multiply(exits[1], exits[1]), [0, 1]));
    }

    private static ValuesDef Values(GraphBuilder b, ControlFlowContext ctx)
    {
        var def = new ValuesDef();
        foreach (var n in b.Graph.Nodes.Where(n => ReferenceEquals(b.ContextOf(n.Name), ctx)))
            for (int i = 0; i < b.OutputTypes(n).Length; i++) def.Values.Add($"{n.Name}:{i}");
        foreach (var (outside, inside) in ctx.ExternalValues)
        {
            def.Values.Add(outside);
            def.ExternalValues[outside] = inside.Name;
        }
        return def;
    }

    /// <summary>The MetaGraphDef TF would export for the graph: the loop's WhileContextDef with its two branch
    /// CondContextDefs nested.</summary>
    private static MetaGraphDef Export(GraphBuilder b)
    {
        var contexts = b.Graph.Nodes.Select(n => b.ContextOf(n.Name)).Where(c => c != null).Distinct().ToList();
        var loop = contexts.OfType<WhileContext>().Single();
        var whileDef = new WhileContextDef
        {
            ContextName = loop.FrameName,
            ParallelIterations = loop.ParallelIterations,
            BackProp = loop.BackProp,
            PivotName = loop.Pivot.Name,
            PivotForPredName = loop.PivotForPred!.Value.Name,
            PivotForBodyName = loop.PivotForBody!.Value.Name,
            LoopEnterNames = { loop.LoopEnters.Select(e => e.Name) },
            LoopExitNames = { loop.LoopExits.Select(e => e.Name) },
            ValuesDef = Values(b, loop),
        };
        foreach (var cond in contexts.OfType<CondContext>())
            whileDef.NestedContexts.Add(new ControlFlowContextDef
            {
                CondCtxt = new CondContextDef
                {
                    ContextName = $"cond/cond_text_{cond.Branch}",
                    PredName = cond.Pred.Name,
                    PivotName = cond.Pivot.Name,
                    Branch = cond.Branch,
                    ValuesDef = Values(b, cond),
                },
            });
        var meta = new MetaGraphDef { GraphDef = b.Graph.Def.Clone() };
        meta.CollectionDef["while_context"] = new CollectionDef { BytesList = new CollectionDef.Types.BytesList { Value = { whileDef.ToByteString() } } };
        return meta;
    }

    [Fact]
    public void ImportedLoopWithNestedCond_GetsItsContextsBack_AndGradientsMatchFiniteDifferences()
    {
        var (original, loss) = Build();
        var imported = GraphBuilder.FromMetaGraph(Export(original));
        foreach (var n in original.Graph.Nodes)
        {
            var want = original.ContextOf(n.Name);
            var got = imported.ContextOf(n.Name);
            Assert.Equal(want?.GetType(), got?.GetType());
            if (want is CondContext wc) Assert.Equal(wc.Branch, ((CondContext)got!).Branch);
            if (want is WhileContext ww) Assert.Equal(ww.FrameName, ((WhileContext)got!).FrameName);
        }
        var cond = imported.Graph.Nodes.Select(n => imported.ContextOf(n.Name)).OfType<CondContext>().First();
        Assert.IsType<WhileContext>(cond.Outer);

        var importedLoss = imported.GetTensor(loss.Name);
        var grads = Gradients.Compute(imported, [importedLoss], [imported.GetTensor("x:0"), imported.GetTensor("w:0"), imported.GetTensor("s:0")]);
        Assert.All(grads, g => Assert.NotNull(g));

        var rng = new Random(3);
        bool[] branch = [true, false, false, true];
        var xv = Rand(rng, T * B * H, 0.2);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < B * H; n++) xv[t * B * H + n] += branch[t] ? 0.4f : -0.4f;
        var wv = Rand(rng, H * H, 0.8);
        var sv = Rand(rng, H, 1.1);
        double Loss(double[] x, double[] w, double[] s)
        {
            var h = Enumerable.Repeat(0.5, B * H).ToArray();
            for (int t = 0; t < T; t++)
            {
                double sum = Enumerable.Range(0, B * H).Sum(n => x[t * B * H + n]);
                var next = new double[B * H];
                for (int bi = 0; bi < B; bi++)
                    for (int k = 0; k < H; k++)
                    {
                        if (sum > 0)
                        {
                            double z = x[(t * B + bi) * H + k];
                            for (int m = 0; m < H; m++) z += h[bi * H + m] * w[m * H + k];
                            next[bi * H + k] = Math.Tanh(z);
                        }
                        else next[bi * H + k] = h[bi * H + k] * s[k];
                    }
                h = next;
            }
            return h.Sum(v => v * v);
        }
        using var session = new Session(imported.Graph);
        var r = session.Run([importedLoss.Name, .. grads.Select(g => g!.Value.Name)], new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(xv, T, B, H), ["w:0"] = Tensor.Create(wv, H, H), ["s:0"] = Tensor.Create(sv, H),
        });
        double[] xd = D64(xv), wd = D64(wv), sd = D64(sv);
        Assert.Equal(Loss(xd, wd, sd), r[0].ToArray<float>()[0], 4);
        AssertClose(Numeric(p => Loss(p, wd, sd), xd), r[1].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(p => Loss(xd, p, sd), wd), r[2].ToArray<float>(), "dL/dw");
        AssertClose(Numeric(p => Loss(xd, wd, p), sd), r[3].ToArray<float>(), "dL/ds");
    }

    [Fact]
    public void MetaGraphExporter_WritesTheContexts_AndTheReimportedGraphHasTheSameGradients()
    {
        var (original, loss) = Build();
        var meta = MetaGraphExporter.Export(original);
        // Only the top-level loop goes into the collection; the cond branches travel nested in it, true branch first,
        // named as TF's CondContext names them (unique_name("cond_text") in the cond's scope).
        Assert.False(meta.CollectionDef.ContainsKey("cond_context"));
        var written = WhileContextDef.Parser.ParseFrom(Assert.Single(meta.CollectionDef["while_context"].BytesList.Value));
        var expected = WhileContextDef.Parser.ParseFrom(Export(original).CollectionDef["while_context"].BytesList.Value[0]);
        Assert.Equal(expected.ContextName, written.ContextName);
        Assert.Equal(expected.PivotName, written.PivotName);
        Assert.Equal(expected.PivotForPredName, written.PivotForPredName);
        Assert.Equal(expected.PivotForBodyName, written.PivotForBodyName);
        Assert.Equal(expected.LoopEnterNames, written.LoopEnterNames);
        Assert.Equal(expected.LoopExitNames, written.LoopExitNames);
        Assert.Equal(expected.ValuesDef.Values.Order(), written.ValuesDef.Values.Order());
        Assert.Equal(expected.ValuesDef.ExternalValues.OrderBy(p => p.Key), written.ValuesDef.ExternalValues.OrderBy(p => p.Key));
        Assert.Equal([1, 0], written.NestedContexts.Select(c => c.CondCtxt.Branch));
        var scope = written.NestedContexts[0].CondCtxt.PivotName[..(written.NestedContexts[0].CondCtxt.PivotName.LastIndexOf('/') + 1)];
        Assert.Equal([scope + "cond_text", scope + "cond_text_1"], written.NestedContexts.Select(c => c.CondCtxt.ContextName));
        foreach (var branch in written.NestedContexts.Select(c => c.CondCtxt))
        {
            var want = expected.NestedContexts.Select(c => c.CondCtxt).Single(c => c.Branch == branch.Branch);
            Assert.Equal(want.PredName, branch.PredName);
            Assert.Equal(want.PivotName, branch.PivotName);
            Assert.Equal(want.ValuesDef.Values.Order(), branch.ValuesDef.Values.Order());
        }

        // Gradients built on the re-imported graph equal the ones built on the original, value for value.
        var imported = GraphBuilder.FromMetaGraph(meta);
        Output[] Wrt(GraphBuilder g) => [g.GetTensor("x:0"), g.GetTensor("w:0"), g.GetTensor("s:0")];
        var before = Gradients.Compute(original, [loss], Wrt(original));
        var after = Gradients.Compute(imported, [imported.GetTensor(loss.Name)], Wrt(imported));
        var rng = new Random(5);
        var feeds = new Dictionary<string, Tensor>
        {
            ["x:0"] = Tensor.Create(Rand(rng, T * B * H, 0.6), T, B, H), ["w:0"] = Tensor.Create(Rand(rng, H * H, 0.8), H, H),
            ["s:0"] = Tensor.Create(Rand(rng, H, 1.1), H),
        };
        using var s1 = new Session(original.Graph);
        using var s2 = new Session(imported.Graph);
        var r1 = s1.Run(before.Select(g => g!.Value.Name).ToArray(), feeds);
        var r2 = s2.Run(after.Select(g => g!.Value.Name).ToArray(), feeds);
        for (int i = 0; i < r1.Length; i++) Assert.Equal(r1[i].ToArray<float>(), r2[i].ToArray<float>());
    }

    [Fact]
    public void WhileContextCollectionOfTheWrongKind_IsRejectedNamingTheCollection()
    {
        var (b, _) = Build();
        var meta = Export(b);
        meta.CollectionDef["while_context"] = new CollectionDef { NodeList = new CollectionDef.Types.NodeList { Value = { "while/LoopCond" } } };
        var ex = Assert.Throws<GraphFormatException>(() => GraphBuilder.FromMetaGraph(meta));
        Assert.Contains("'while_context'", ex.Message);
    }

    [Fact]
    public void ContextNamingAMissingTensor_IsRejectedNamingTheContextAndTensor()
    {
        var (b, _) = Build();
        var meta = Export(b);
        var def = WhileContextDef.Parser.ParseFrom(meta.CollectionDef["while_context"].BytesList.Value[0]);
        def.PivotName = "while/NoSuchLoopCond:0";
        meta.CollectionDef["while_context"].BytesList.Value[0] = def.ToByteString();
        var ex = Assert.Throws<GraphFormatException>(() => GraphBuilder.FromMetaGraph(meta));
        Assert.Contains("while/NoSuchLoopCond:0", ex.Message);
        Assert.Contains(def.ContextName, ex.Message);
    }

    [Fact]
    public void UnparsableContextBytes_AreRejectedNamingTheEntry()
    {
        var (b, _) = Build();
        var meta = Export(b);
        meta.CollectionDef["while_context"].BytesList.Value[0] = ByteString.CopyFrom(0xFF, 0xFF, 0xFF);
        var ex = Assert.Throws<GraphFormatException>(() => GraphBuilder.FromMetaGraph(meta));
        Assert.Contains("Entry 0 of the MetaGraphDef collection 'while_context'", ex.Message);
    }
}
