using System.Text.Json;
using TypedGraph.Cli.Commands;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>
/// <c>keras_lstm_savedmodel_tf2</c> (TF 2.15 Keras functional model, graph only): the serving signature runs through
/// StatefulPartitionedCall → PartitionedCall(standard_lstm) → StatelessWhile with TensorListFromTensor / GetItem /
/// SetItem / Stack, with every variable assigned deterministic pseudo-random values, and equals the same model
/// written here by hand: Keras LSTMCell (gates i, f, c, o in kernel column blocks; activation tanh, recurrent
/// activation sigmoid; zero initial state; last h), Dense layers and the concatenation.
/// </summary>
public sealed class KerasLstmSavedModelTests
{
    private const int Units = 64, Steps = 13;

    private static string Dir => Fixtures.Path("keras_lstm_savedmodel_tf2");

    // xorshift32 → uniform in [-0.5, 0.5): deterministic values for every variable, in graph order.
    private sealed class Values(uint seed)
    {
        private uint _s = seed;

        public float Next()
        {
            _s ^= _s << 13;
            _s ^= _s >> 17;
            _s ^= _s << 5;
            return (_s >> 8) / 16777216f - 0.5f;
        }
    }

    private static Dictionary<string, float[]> AssignAll(Session session)
    {
        var rng = new Values(0x5EED1234);
        var assigned = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var node in session.Graph.Nodes.Where(n => n.Op == "VarHandleOp"))
        {
            var dims = node.GetShape("shape")!.Dim.Select(d => (int)d.Size).ToArray();
            var name = node.GetString("shared_name");
            var slot = session.State.Variable(name);
            if (node.GetType("dtype") == DataType.DtInt64)
            {
                slot.Value = Tensor.FromScalar(7L);
                continue;
            }
            var values = new float[dims.Aggregate(1, (a, b) => a * b)];
            for (int i = 0; i < values.Length; i++) values[i] = rng.Next();
            slot.Value = Tensor.Create(values, dims);
            assigned[name] = values;
        }
        return assigned;
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));

    // y[j] = Σ_i x[i]·W[i, j] + b[j]
    private static float[] Dense(float[] x, float[] w, float[] b, int outDim, Func<float, float> act)
    {
        var y = new float[outDim];
        for (int j = 0; j < outDim; j++)
        {
            double s = b[j];
            for (int i = 0; i < x.Length; i++) s += x[i] * w[i * outDim + j];
            y[j] = act((float)s);
        }
        return y;
    }

    private static float Reference(Dictionary<string, float[]> v, float[] in1, float[] in2)
    {
        var d1 = Dense(Dense(in1, v["dense/kernel"], v["dense/bias"], 64, x => MathF.Max(x, 0)), v["dense_1/kernel"], v["dense_1/bias"], 1, Sigmoid);

        float[] k = v["lstm/lstm_cell/kernel"], rk = v["lstm/lstm_cell/recurrent_kernel"], bias = v["lstm/lstm_cell/bias"];
        var h = new float[Units];
        var c = new float[Units];
        for (int t = 0; t < Steps; t++)
        {
            var z = new double[4 * Units];
            for (int j = 0; j < 4 * Units; j++)
            {
                double s = bias[j] + in2[t] * k[j];  // input dim 1
                for (int u = 0; u < Units; u++) s += h[u] * rk[u * 4 * Units + j];
                z[j] = s;
            }
            var hNext = new float[Units];
            for (int u = 0; u < Units; u++)
            {
                float i = Sigmoid((float)z[u]), f = Sigmoid((float)z[Units + u]);
                float g = MathF.Tanh((float)z[2 * Units + u]), o = Sigmoid((float)z[3 * Units + u]);
                c[u] = f * c[u] + i * g;
                hNext[u] = o * MathF.Tanh(c[u]);
            }
            h = hNext;
        }
        var d2 = Dense(h, v["dense_2/kernel"], v["dense_2/bias"], 1, Sigmoid);
        return Dense([d1[0], d2[0]], v["dense_3/kernel"], v["dense_3/bias"], 1, Sigmoid)[0];
    }

    [Fact]
    public void ServingSignatureThroughStatelessWhileAndTensorListsMatchesAHandWrittenKerasLstm()
    {
        var meta = MetaGraph.Load(Dir);
        using var session = new Session(meta.Graph);
        Assert.Empty(session.UnsupportedOps);
        var values = AssignAll(session);
        Assert.Equal(38, values.Count); // 39 variables, `iteration` is int64

        const int batch = 3;
        var rng = new Values(42);
        var in1 = new float[batch * 13];
        var in2 = new float[batch * Steps];
        for (int i = 0; i < in1.Length; i++) in1[i] = 4 * rng.Next();
        for (int i = 0; i < in2.Length; i++) in2[i] = 4 * rng.Next();
        var sig = meta.Proto.SignatureDef["serving_default"];
        var output = session.Run([sig.Outputs["dense_3"].Name], new Dictionary<string, Tensor>
        {
            [sig.Inputs["input_1"].Name] = Tensor.Create(in1, batch, 13),
            [sig.Inputs["input_2"].Name] = Tensor.Create(in2, batch, Steps, 1),
        })[0];

        Assert.Equal([batch, 1], output.Shape.Dims.ToArray());
        var y = output.ToArray<float>();
        for (int b = 0; b < batch; b++)
        {
            float expected = Reference(values, in1[(b * 13)..((b + 1) * 13)], in2[(b * Steps)..((b + 1) * Steps)]);
            Assert.Equal(expected, y[b], 1e-5f);
        }
        // The rows differ, so a mix-up of batch rows or of time steps would show.
        Assert.NotEqual(y[0], y[1], 1e-4f);
    }

    [Fact]
    public void InspectJsonOfTheTf2FixturesListsExactlyTheFunctionBodyOpsWithoutKernels()
    {
        foreach (var fixture in new[] { "keras_lstm_savedmodel_tf2", "two_tower_savedmodel_tf2" })
        {
            var path = Fixtures.Path(fixture);
            var o = new StringWriter();
            Assert.Equal(0, CliApp.Run(["inspect", path, "--json"], o, new StringWriter()));
            using var doc = JsonDocument.Parse(o.ToString());
            var reported = doc.RootElement.GetProperty("unsupportedOpNodes").EnumerateArray()
                .Select(e => (Op: e.GetProperty("opType").GetString()!, Node: e.GetProperty("nodeName").GetString()!, Function: e.GetProperty("function").GetString())).ToList();

            // Independent walk over the SavedModel proto: every node of the graph and of every function reached
            // through a func-valued attr, recursively; keep op types the registry lacks.
            var graph = MetaGraph.Load(path).Proto.GraphDef;
            var functions = graph.Library.Function.ToDictionary(f => f.Signature.Name);
            var expected = new SortedDictionary<string, (string Node, string? Function)>(StringComparer.Ordinal);
            var visited = new HashSet<string>();
            var queue = new Queue<(IEnumerable<NodeDef> Nodes, string? Function)>([(graph.Node, null)]);
            while (queue.Count > 0)
            {
                var (nodes, fn) = queue.Dequeue();
                foreach (var n in nodes)
                {
                    if (!TypedGraph.Kernels.KernelRegistry.Default.IsSupported(n.Op) && !functions.ContainsKey(n.Op))
                        expected.TryAdd(n.Op, (n.Name, fn));
                    foreach (var a in n.Attr.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Value))
                        foreach (var callee in a.ValueCase == AttrValue.ValueOneofCase.Func ? [a.Func.Name] : a.List?.Func.Select(f => f.Name) ?? [])
                            if (functions.TryGetValue(callee, out var f) && visited.Add(callee)) queue.Enqueue((f.NodeDef, callee));
                }
            }
            Assert.Equal(expected.Keys, reported.Select(r => r.Op));
            Assert.Equal(expected.Values.Select(v => v.Function), reported.Select(r => r.Function));
            if (fixture == "keras_lstm_savedmodel_tf2") Assert.Empty(reported); // While, TensorList*, DisableCopyOnRead all run now
        }
    }
}
