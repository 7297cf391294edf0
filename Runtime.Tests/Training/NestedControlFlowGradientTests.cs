using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.CentralDifferences;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients through nested TF1 control flow built by our <see cref="GraphBuilder"/> in TF 1.x's layout: a
/// <c>tf.while_loop</c> inside another (the inner loop's iteration count saved per outer iteration, its gradient
/// loop run inside the outer one), a <c>tf.cond</c> inside a loop (the predicate saved per iteration, pops guarded
/// by it, dead-branch zeros), and TensorArray split/concat. Every gradient is checked against central differences of
/// a double-precision reference written here; the "dynamic batch" cases leave the batch dimension unknown so that
/// zeros and accumulators take their shapes from saved forward values.
/// </summary>
public class NestedControlFlowGradientTests
{
    private const int B = 2, D = 3, H = 4, OuterSteps = 3, T = 5;

    private static long[] Batch(bool dynamicBatch, int n) => [dynamicBatch ? -1 : B, n];

    private static Dictionary<string, Tensor> Feeds(params (string Name, float[] Value, int[] Shape)[] feeds)
        => feeds.ToDictionary(f => f.Name + ":0", f => Tensor.Create(f.Value, f.Shape));

    // ---- nested while loops -------------------------------------------------------------------------------------

    /// <summary>outer i &lt; 3: a = (x·(i+1))·u; inner j ≤ i: g = tanh(g·w + a) from g = h; h = g ⊙ s.</summary>
    private static Output NestedLoops(GraphBuilder b, Output x, Output h0, Output w, Output u, Output s)
    {
        var exits = b.WhileLoop(
            v => b.Less(v[0], b.Constant(OuterSteps)),
            v =>
            {
                var i = v[0];
                var a = b.MatMul(b.Multiply(x, b.Cast(b.Add(i, 1), DataType.DtFloat)), u);
                var inner = b.WhileLoop(
                    q => b.Less(q[0], b.Add(i, 1)),
                    q => [b.Add(q[0], 1), b.Tanh(b.Add(b.MatMul(q[1], w), a))],
                    [b.Constant(0), v[1]], name: "inner");
                return [b.Add(i, 1), b.Multiply(inner[1], s)];
            },
            [b.Constant(0), h0], name: "outer");
        return exits[1];
    }

    private static double NestedLoss(double[] x, double[] h0, double[] w, double[] u, double[] s, double[] c)
    {
        var h = (double[])h0.Clone();
        for (int i = 0; i < OuterSteps; i++)
        {
            var a = new double[B * H];
            for (int bi = 0; bi < B; bi++)
                for (int k = 0; k < H; k++)
                    for (int d = 0; d < D; d++) a[bi * H + k] += x[bi * D + d] * (i + 1) * u[d * H + k];
            for (int j = 0; j <= i; j++)
            {
                var next = new double[B * H];
                for (int bi = 0; bi < B; bi++)
                    for (int k = 0; k < H; k++)
                    {
                        double z = a[bi * H + k];
                        for (int m = 0; m < H; m++) z += h[bi * H + m] * w[m * H + k];
                        next[bi * H + k] = Math.Tanh(z);
                    }
                h = next;
            }
            for (int n = 0; n < B * H; n++) h[n] *= s[n % H];
        }
        return Enumerable.Range(0, B * H).Sum(n => c[n] * h[n]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NestedWhileLoops_GradientsOfEveryInput_MatchFiniteDifferences(bool dynamicBatch)
    {
        var rng = new Random(dynamicBatch ? 21 : 20);
        var xv = Rand(rng, B * D, 1.0);
        var hv = Rand(rng, B * H, 0.5);
        var wv = Rand(rng, H * H, 0.6);
        var uv = Rand(rng, D * H, 0.5);
        var sv = Rand(rng, H, 1.2);
        var cv = Rand(rng, B * H, 1.0);

        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, Batch(dynamicBatch, D), "x");
        var h0 = b.Placeholder(DataType.DtFloat, Batch(dynamicBatch, H), "h0");
        var w = b.Placeholder(DataType.DtFloat, [H, H], "w");
        var u = b.Placeholder(DataType.DtFloat, [D, H], "u");
        var s = b.Placeholder(DataType.DtFloat, [H], "s");
        var h = NestedLoops(b, x, h0, w, u, s);
        var loss = b.ReduceSum(b.Multiply(h, b.Constant(cv, [B, H], "c")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [x, h0, w, u, s]);
        Assert.All(grads, g => Assert.NotNull(g));

        using var session = new Session(b.Graph);
        var feeds = Feeds(("x", xv, [B, D]), ("h0", hv, [B, H]), ("w", wv, [H, H]), ("u", uv, [D, H]), ("s", sv, [H]));
        var r = session.Run([loss.Name, .. grads.Select(g => g!.Value.Name)], feeds);
        double[] xd = D64(xv), hd = D64(hv), wd = D64(wv), ud = D64(uv), sd = D64(sv), cd = D64(cv);
        Assert.Equal(NestedLoss(xd, hd, wd, ud, sd, cd), r[0].ToArray<float>()[0], 4);
        AssertClose(Numeric(p => NestedLoss(p, hd, wd, ud, sd, cd), xd), r[1].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(p => NestedLoss(xd, p, wd, ud, sd, cd), hd), r[2].ToArray<float>(), "dL/dh0");
        AssertClose(Numeric(p => NestedLoss(xd, hd, p, ud, sd, cd), wd), r[3].ToArray<float>(), "dL/dw");
        AssertClose(Numeric(p => NestedLoss(xd, hd, wd, p, sd, cd), ud), r[4].ToArray<float>(), "dL/du");
        AssertClose(Numeric(p => NestedLoss(xd, hd, wd, ud, p, cd), sd), r[5].ToArray<float>(), "dL/ds");

        // Stacks are per run: a second run gives the same gradients.
        Assert.Equal(r[3].ToArray<float>(), session.Run([grads[2]!.Value.Name], feeds)[0].ToArray<float>());
    }

    [Fact]
    public void NestedWhileLoops_GradientGraph_HasTf1NestedLayout()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [B, D], "x");
        var h0 = b.Placeholder(DataType.DtFloat, [B, H], "h0");
        var w = b.Placeholder(DataType.DtFloat, [H, H], "w");
        var u = b.Placeholder(DataType.DtFloat, [D, H], "u");
        var s = b.Placeholder(DataType.DtFloat, [H], "s");
        Gradients.Compute(b, [b.ReduceSum(NestedLoops(b, x, h0, w, u, s), [0, 1])], [w]);
        var g = b.Graph;
        Node Consumer(Node producer, string op, int index = 0) =>
            g.Nodes.Single(n => n.Op == op && n.Inputs.Contains(new TensorRef(producer.Name, index)));

        // One forward counter per loop; the inner one's Const runs in the outer loop after the outer counter's Add.
        var countEnters = g.Nodes.Where(n => n.Op == "Enter" && n.Name.StartsWith("gradients/f_count", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, countEnters.Count);
        var outerFrame = g.Nodes.Single(n => n.Name == "outer/Enter").GetString("frame_name");
        var innerFrame = g.Nodes.Single(n => n.Name == "outer/inner/Enter").GetString("frame_name");
        var outerEnter = countEnters.Single(e => e.GetString("frame_name") == outerFrame);
        var innerEnter = countEnters.Single(e => e.GetString("frame_name") == innerFrame);
        var counterAdd = new Dictionary<Node, Node>();
        var counterNext = new Dictionary<Node, Node>();
        foreach (var e in countEnters)
        {
            var sw = Consumer(Consumer(e, "Merge"), "Switch");
            counterAdd[e] = Consumer(sw, "Add", 1);
            counterNext[e] = Consumer(counterAdd[e], "NextIteration");
        }
        var innerConst = g.GetNode(innerEnter.Inputs[0].NodeName);
        Assert.Equal("Const", innerConst.Op);
        Assert.Contains(counterAdd[outerEnter].Name, innerConst.ControlInputs);

        // Every push runs after its loop's counter Add and before that counter's NextIteration (TF's
        // AddForwardAccumulator), pushes of the inner loop against the inner counter.
        var pushes = g.Nodes.Where(n => n.Op == "StackPushV2").ToList();
        Assert.NotEmpty(pushes);
        Assert.All(pushes, p =>
        {
            var e = countEnters.Single(c => p.ControlInputs.Contains(counterAdd[c].Name));
            Assert.Contains(p.Name, counterNext[e].ControlInputs);
        });
        Assert.Contains(pushes, p => p.ControlInputs.Contains(counterAdd[innerEnter].Name));
        // The inner f_count Exit (its iteration count) is pushed in the outer loop.
        var innerCount = Consumer(Consumer(Consumer(innerEnter, "Merge"), "Switch"), "Exit", 0);
        Assert.Contains(pushes, p => p.Inputs[1].NodeName == innerCount.Name && p.ControlInputs.Contains(counterAdd[outerEnter].Name));

        // The inner backward loop counts down from a count popped by the outer backward loop, whose b_sync waits for
        // the inner backward loop to finish.
        var bCountEnters = g.Nodes.Where(n => n.Op == "Enter" && n.Name.StartsWith("gradients/b_count", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, bCountEnters.Count);
        var innerBackEnter = bCountEnters.Single(e => e.GetString("frame_name") != "gradients/" + outerFrame);
        var popped = g.GetNode(innerBackEnter.Inputs[0].NodeName);
        Assert.Equal("StackPopV2", popped.Op);
        var outerBackFrame = bCountEnters.Single(e => e != innerBackEnter).GetString("frame_name");
        var bSync = g.Nodes.Single(n => n.Op == "ControlTrigger" && n.ControlInputs.Any(c => g.GetNode(c).Op == "Exit" && g.GetNode(c).Name.StartsWith("gradients/b_count", StringComparison.Ordinal)));
        Assert.Contains(bSync.Name, g.Nodes.Where(n => n.Op == "NextIteration").SelectMany(n => n.ControlInputs));
        Assert.Contains(g.Nodes, n => n.Op == "Enter" && n.Name.Contains("b_acc") && n.GetString("frame_name") == outerBackFrame);
        Assert.Contains(g.Nodes, n => n.Op == "Enter" && n.Name.Contains("b_acc") && n.GetString("frame_name") == innerBackEnter.GetString("frame_name"));
    }

    // ---- a cond inside a loop -----------------------------------------------------------------------------------

    /// <summary>t &lt; 5 over x[t]: h = Σx[t] &gt; 0 ? tanh(h·w + x[t]·u) : h ⊙ s + x[t]·u.</summary>
    private static Output CondInLoop(GraphBuilder b, Output x, Output h0, Output w, Output u, Output s, bool dynamicBatch)
    {
        var steps = b.Constant(T, "time_steps");
        var input = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [dynamicBatch ? -1 : B, D]), x);
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var xt = b.TensorArrayRead(input, v[0]);
                var pred = b.Greater(b.ReduceSum(xt, [0, 1]), b.Constant(0f));
                var h = b.Cond(pred,
                    () => [b.Tanh(b.Add(b.MatMul(v[1], w), b.MatMul(xt, u)))],
                    () => [b.Add(b.Multiply(v[1], s), b.MatMul(xt, u))])[0];
                return [b.Add(v[0], 1), h];
            },
            [b.Constant(0), h0]);
        return exits[1];
    }

    private static double CondLoss(double[] x, double[] h0, double[] w, double[] u, double[] s, double[] c)
    {
        var h = (double[])h0.Clone();
        for (int t = 0; t < T; t++)
        {
            double sum = 0;
            for (int n = 0; n < B * D; n++) sum += x[t * B * D + n];
            var next = new double[B * H];
            for (int bi = 0; bi < B; bi++)
                for (int k = 0; k < H; k++)
                {
                    double xu = 0;
                    for (int d = 0; d < D; d++) xu += x[(t * B + bi) * D + d] * u[d * H + k];
                    if (sum > 0)
                    {
                        double z = xu;
                        for (int m = 0; m < H; m++) z += h[bi * H + m] * w[m * H + k];
                        next[bi * H + k] = Math.Tanh(z);
                    }
                    else next[bi * H + k] = h[bi * H + k] * s[k] + xu;
                }
            h = next;
        }
        return Enumerable.Range(0, B * H).Sum(n => c[n] * h[n]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CondInsideWhileLoop_BothBranchesTakenAcrossSteps_GradientsMatchFiniteDifferences(bool dynamicBatch)
    {
        var rng = new Random(dynamicBatch ? 31 : 30);
        // Steps 0, 2, 3 take the true branch, 1 and 4 the false one: each step's sum is far from 0.
        bool[] branch = [true, false, true, true, false];
        var xv = Rand(rng, T * B * D, 0.2);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < B * D; n++) xv[t * B * D + n] += branch[t] ? 0.5f : -0.5f;
        var hv = Rand(rng, B * H, 0.5);
        var wv = Rand(rng, H * H, 0.6);
        var uv = Rand(rng, D * H, 0.5);
        var sv = Rand(rng, H, 1.2);
        var cv = Rand(rng, B * H, 1.0);

        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [T, dynamicBatch ? -1 : B, D], "x");
        var h0 = b.Placeholder(DataType.DtFloat, Batch(dynamicBatch, H), "h0");
        var w = b.Placeholder(DataType.DtFloat, [H, H], "w");
        var u = b.Placeholder(DataType.DtFloat, [D, H], "u");
        var s = b.Placeholder(DataType.DtFloat, [H], "s");
        var h = CondInLoop(b, x, h0, w, u, s, dynamicBatch);
        var loss = b.ReduceSum(b.Multiply(h, b.Constant(cv, [B, H], "c")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [x, h0, w, u, s]);
        Assert.All(grads, g => Assert.NotNull(g));
        // The backward Switch of the cond's Merge reads the predicate popped from a stack, not the forward one.
        var condGrad = b.Graph.Nodes.Single(n => n.Op == "Switch" && n.Name.EndsWith("Merge_grad/cond_grad", StringComparison.Ordinal));
        Assert.Equal("StackPopV2", b.Graph.GetNode(condGrad.Inputs[1].NodeName).Op);

        using var session = new Session(b.Graph);
        var feeds = Feeds(("x", xv, [T, B, D]), ("h0", hv, [B, H]), ("w", wv, [H, H]), ("u", uv, [D, H]), ("s", sv, [H]));
        var r = session.Run([loss.Name, .. grads.Select(g => g!.Value.Name)], feeds);
        double[] xd = D64(xv), hd = D64(hv), wd = D64(wv), ud = D64(uv), sd = D64(sv), cd = D64(cv);
        Assert.Equal(CondLoss(xd, hd, wd, ud, sd, cd), r[0].ToArray<float>()[0], 4);
        AssertClose(Numeric(p => CondLoss(p, hd, wd, ud, sd, cd), xd), r[1].ToArray<float>(), "dL/dx");
        AssertClose(Numeric(p => CondLoss(xd, p, wd, ud, sd, cd), hd), r[2].ToArray<float>(), "dL/dh0");
        AssertClose(Numeric(p => CondLoss(xd, hd, p, ud, sd, cd), wd), r[3].ToArray<float>(), "dL/dw");
        AssertClose(Numeric(p => CondLoss(xd, hd, wd, p, sd, cd), ud), r[4].ToArray<float>(), "dL/du");
        AssertClose(Numeric(p => CondLoss(xd, hd, wd, ud, p, cd), sd), r[5].ToArray<float>(), "dL/ds");
    }

    // ---- TensorArray split / concat -----------------------------------------------------------------------------

    /// <summary>x [6, D] split into rows 1, 2, 3; element i scaled by (i+1) into a second array; its concat
    /// through tanh weighted by c: the gradient flows concat → split (TensorArraySplitV3/ConcatV3 gradients).</summary>
    [Fact]
    public void TensorArraySplitThenConcat_GradientOfTheSplitValue_MatchesFiniteDifferences()
    {
        int[] lengths = [1, 2, 3];
        var rng = new Random(40);
        var xv = Rand(rng, 6 * D, 1.0);
        var cv = Rand(rng, 6 * D, 1.0);

        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [6, D], "x");
        var split = b.TensorArraySplit(b.TensorArray(b.Constant(3), DataType.DtFloat, [-1, D]), x, b.Constant(lengths));
        var scaled = b.TensorArray(b.Constant(3), DataType.DtFloat, [-1, D], name: "scaled");
        for (int i = 0; i < 3; i++)
            scaled = b.TensorArrayWrite(scaled, b.Constant(i), b.Multiply(b.TensorArrayRead(split, b.Constant(i)), i + 1.0));
        var (joined, joinedLengths) = b.TensorArrayConcat(scaled);
        var loss = b.ReduceSum(b.Multiply(b.Tanh(joined), b.Constant(cv, [6, D], "c")), [0, 1]);
        var grad = Gradients.Compute(b, [loss], [x])[0];
        Assert.NotNull(grad);
        Assert.Contains(b.Graph.Nodes, n => n.Op == "TensorArraySplitV3" && n.Name.StartsWith("gradients/", StringComparison.Ordinal));
        Assert.Contains(b.Graph.Nodes, n => n.Op == "TensorArrayConcatV3" && n.Name.StartsWith("gradients/", StringComparison.Ordinal));

        double Loss(double[] xs)
        {
            double l = 0;
            for (int row = 0, e = 0; e < 3; e++)
                for (int k = 0; k < lengths[e]; k++, row++)
                    for (int d = 0; d < D; d++) l += Math.Tanh(xs[row * D + d] * (e + 1)) * cv[row * D + d];
            return l;
        }
        using var session = new Session(b.Graph);
        var r = session.Run([loss.Name, grad!.Value.Name, joinedLengths.Name], Feeds(("x", xv, [6, D])));
        Assert.Equal(Loss(D64(xv)), r[0].ToArray<float>()[0], 4);
        AssertClose(Numeric(Loss, D64(xv)), r[1].ToArray<float>(), "dL/dx");
        Assert.Equal([1L, 2L, 3L], r[2].ToArray<long>());
    }

    // ---- a gather of a loop invariant (embedding lookup) inside a loop ------------------------------------------

    /// <summary>t &lt; 4: h = tanh(h·u + W[ids[t]]) with W [6, 3] a variable: the gradient of W is accumulated over the
    /// backward iterations as IndexedSlices (TF's AddBackpropIndexedSlicesAccumulator), its dense form matches central
    /// differences, and a GradientDescent step updates exactly the looked-up rows.</summary>
    [Fact]
    public void EmbeddingLookupInsideALoop_GradientIsAccumulatedAsIndexedSlices_AndMatchesFiniteDifferences()
    {
        const int V = 6, E = 3, Steps = 4;
        int[] ids = [1, 4, 4, 0, 1, 2, 4, 1]; // [Steps, B]: rows 3 and 5 are never looked up
        var rng = new Random(50);
        var wv = Rand(rng, V * E, 0.8);
        var uv = Rand(rng, E * E, 0.6);
        var cv = Rand(rng, B * E, 1.0);

        var b = new GraphBuilder();
        var idsIn = b.Placeholder(DataType.DtInt32, [Steps, B], "ids");
        var u = b.Placeholder(DataType.DtFloat, [E, E], "u");
        var w = b.Variable(Tensor.Create(wv, V, E), "embedding");
        var steps = b.Constant(Steps, "steps");
        var idsTa = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtInt32, [B]), idsIn);
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v => [b.Add(v[0], 1), b.Tanh(b.Add(b.MatMul(v[1], u), b.Gather(w.Snapshot, b.TensorArrayRead(idsTa, v[0]))))],
            [b.Constant(0), b.Splat(0, DataType.DtFloat, [B, E], "h0")]);
        var loss = b.ReduceSum(b.Multiply(exits[1], b.Constant(cv, [B, E], "c")), [0, 1]);
        var grad = Gradients.Compute(b, [loss], [w.Snapshot])[0]!.Value;
        Assert.True(SparseGradients.TryGet(b, grad, out var slices), "the loop-invariant gather's gradient should stay IndexedSlices");
        Assert.Equal("Exit", b.Graph.GetNode(slices.Indices.NodeName).Op);
        Assert.Equal("Exit", b.Graph.GetNode(slices.Values.NodeName).Op);

        double Loss(double[] wd, double[] ud)
        {
            var h = new double[B * E];
            for (int t = 0; t < Steps; t++)
            {
                var next = new double[B * E];
                for (int bi = 0; bi < B; bi++)
                    for (int k = 0; k < E; k++)
                    {
                        double z = wd[ids[t * B + bi] * E + k];
                        for (int m = 0; m < E; m++) z += h[bi * E + m] * ud[m * E + k];
                        next[bi * E + k] = Math.Tanh(z);
                    }
                h = next;
            }
            return Enumerable.Range(0, B * E).Sum(n => cv[n] * h[n]);
        }
        const double lr = 0.1;
        var train = new GradientDescentOptimizer(lr).Minimize(b, loss);
        // The optimizer takes the sparse path (TF's _apply_sparse_duplicate_indices: ScatterSub of the accumulated rows).
        var scatter = b.Graph.Nodes.Single(n => n.Op == "ScatterSub");
        Assert.Equal("Exit", b.Graph.GetNode(scatter.Inputs[1].NodeName).Op);
        using var session = new Session(b.Graph);
        session.RunTargets(b.GlobalVariablesInitializer().Name);
        var feeds = new Dictionary<string, Tensor> { ["ids:0"] = Tensor.Create(ids, Steps, B), ["u:0"] = Tensor.Create(uv, E, E) };
        var r = session.Run([loss.Name, grad.Name, slices.Indices.Name], feeds);
        double[] wd = D64(wv), ud = D64(uv);
        Assert.Equal(Loss(wd, ud), r[0].ToArray<float>()[0], 5);
        var numeric = Numeric(p => Loss(p, ud), wd);
        AssertClose(numeric, r[1].ToArray<float>(), "dL/dembedding");
        // One zero row at index 0 to start, then the B ids of every step (in backward order).
        Assert.Equal(1 + Steps * B, r[2].ToArray<int>().Length);

        session.Run([], feeds, [train.Name]);
        var after = session.Run(w.Snapshot.Name).ToArray<float>();
        for (int i = 0; i < V * E; i++)
        {
            int row = i / E;
            if (row is 3 or 5) Assert.Equal(wv[i], after[i]);
            else Assert.True(Math.Abs(after[i] - (wd[i] - lr * numeric[i])) <= 1e-5, $"embedding[{i}]: expected {wd[i] - lr * numeric[i]}, got {after[i]}");
        }
    }
}
