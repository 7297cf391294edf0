using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Kernels;
using TypedGraph.Kernels.Linalg;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Training;

/// <summary>
/// The dense optimizer kernels update a variable in place when nobody else can observe its old value, as TF does when a
/// resource variable's buffer is not shared (tensorflow/core/kernels/training_op_helpers.h, PrepareToUpdateVariable), and
/// copy otherwise (see <see cref="VariableSlot"/>). Values are compared bit for bit with TF's Adam / gradient-descent
/// formulas (training_ops.cc, ApplyAdamNonCuda) evaluated here element by element in the variable's type; the tensor a
/// slot holds shows whether a step went in place (same tensor) or copied (a new one).
/// </summary>
[Collection("Gemm")] // the packed-weight test reads MatMul packing counts; GemmTests switches the micro-kernel width
public sealed class InPlaceApplyTests
{
    private static float[] Random(int seed, int length, double scale = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => (float)((r.NextDouble() * 2 - 1) * scale)).ToArray();
    }

    /// <summary>A ref variable w (with Adam slots m, v) trained by ApplyAdam on a fed gradient; the same run reads w
    /// first (Sum(w·x), fetched) and the update waits for that read.</summary>
    private sealed class AdamGraph
    {
        public const float Lr = 0.01f, B1 = 0.9f, B2 = 0.999f, Eps = 1e-7f;
        public readonly Graph Graph;
        public readonly string Train, Dot, Read;

        public AdamGraph(int n, float[] w0)
        {
            var b = new GraphBuilder();
            var w = b.Variable(Tensor.Create(w0, n), "w");
            var m = b.Variable(Tensor.Create(new float[n], n), "m");
            var v = b.Variable(Tensor.Create(new float[n], n), "v");
            var x = b.Placeholder(DataType.DtFloat, [n], "x");
            var dot = b.ReduceSum(b.Multiply(w.Snapshot, x), [0], name: "dot");
            var ins = new List<Output> { w.Ref, m.Ref, v.Ref };
            ins.AddRange(new[] { "b1p", "b2p" }.Select(s => b.Placeholder(DataType.DtFloat, [], s)));
            ins.AddRange(new[] { Lr, B1, B2, Eps }.Select(c => b.Constant(c)));
            ins.Add(b.Placeholder(DataType.DtFloat, [n], "g"));
            var apply = b.AddOperation("ApplyAdam", ins, name: "adam", controlInputs: [dot.NodeName]);
            b.GlobalVariablesInitializer();
            Graph = b.Graph;
            Train = apply.Name;
            Dot = dot.Name;
            Read = w.Snapshot.Name;
        }
    }

    /// <summary>TF's ApplyAdam on one element, in float, in training_ops.cc's order.</summary>
    private static void ReferenceAdam(float[] w, float[] m, float[] v, float[] g, float b1p, float b2p)
    {
        float lrT = AdamGraph.Lr * MathF.Sqrt(1 - b2p) / (1 - b1p);
        for (int i = 0; i < w.Length; i++)
        {
            m[i] += (g[i] - m[i]) * (1 - AdamGraph.B1);
            v[i] += (g[i] * g[i] - v[i]) * (1 - AdamGraph.B2);
            w[i] -= lrT * m[i] / (MathF.Sqrt(v[i]) + AdamGraph.Eps);
        }
    }

    private static Tensor? Current(Session s, string name) => s.State.FindVariable(name)!.Current;

    [Fact]
    public void Adam_steps_update_in_place_and_match_TFs_formula_bit_for_bit()
    {
        const int n = 37; // not a multiple of any vector width: the scalar tail runs too
        var w0 = Random(1, n);
        var g = new AdamGraph(n, w0);
        using var s = new Session(g.Graph);
        s.Initialize();
        var x = Random(2, n);
        float[] w = (float[])w0.Clone(), m = new float[n], v = new float[n];
        float b1p = 1, b2p = 1;
        Tensor? firstW = null, firstM = null;
        for (int step = 0; step < 25; step++)
        {
            b1p *= AdamGraph.B1;
            b2p *= AdamGraph.B2;
            var grad = Random(100 + step, n);
            double expectedDot = 0;
            for (int i = 0; i < n; i++) expectedDot += (double)w[i] * x[i];
            var feeds = new Dictionary<string, Tensor>
            {
                ["x:0"] = Tensor.Create(x, n), ["g:0"] = Tensor.Create(grad, n),
                ["b1p:0"] = Tensor.FromScalar(b1p), ["b2p:0"] = Tensor.FromScalar(b2p),
            };
            var dot = s.Run([g.Dot], feeds, [g.Train])[0].Scalar<float>();
            Assert.Equal(expectedDot, dot, 4); // the read saw the value before this step's update
            ReferenceAdam(w, m, v, grad, b1p, b2p);
            Assert.Equal(w, Current(s, "w")!.ToArray<float>());
            Assert.Equal(m, Current(s, "m")!.ToArray<float>());
            Assert.Equal(v, Current(s, "v")!.ToArray<float>());
            if (step == 0)
            {
                // The first update copies (the values came from Assign); later ones write into that copy.
                firstW = Current(s, "w");
                firstM = Current(s, "m");
            }
            else
            {
                Assert.Same(firstW, Current(s, "w"));
                Assert.Same(firstM, Current(s, "m"));
            }
        }
        Assert.Equal(24, firstW!.Version);
    }

    [Fact]
    public void Fetched_and_read_values_never_change_after_later_steps()
    {
        const int n = 64;
        var w0 = Random(3, n);
        var g = new AdamGraph(n, w0);
        using var s = new Session(g.Graph);
        s.Initialize();
        var x = Tensor.Create(Random(4, n), n);
        var kept = new List<(Tensor Value, float[] Copy)>();
        float b1p = 1, b2p = 1;
        Tensor? previous = null;
        for (int step = 0; step < 12; step++)
        {
            b1p *= AdamGraph.B1;
            b2p *= AdamGraph.B2;
            var feeds = new Dictionary<string, Tensor>
            {
                ["x:0"] = x, ["g:0"] = Tensor.Create(Random(200 + step, n), n),
                ["b1p:0"] = Tensor.FromScalar(b1p), ["b2p:0"] = Tensor.FromScalar(b2p),
            };
            var before = Current(s, "w");
            switch (step % 4)
            {
                case 0: // the read fetched by the training run itself: a live fetched slot holds it, so the step copies
                    var fetched = s.Run([g.Read], feeds, [g.Train])[0];
                    kept.Add((fetched, fetched.ToArray<float>()));
                    Assert.NotSame(before, Current(s, "w"));
                    break;
                case 1: // the public Value: the caller holds the tensor itself, so the next step must copy
                    var held = s.State.Variable("w").Value!;
                    kept.Add((held, held.ToArray<float>()));
                    s.Run([], feeds, [g.Train]);
                    Assert.NotSame(held, Current(s, "w"));
                    break;
                case 2: // a fetch of the variable itself (copied out) leaves it private, but the read escaped
                    var ofVariable = s.Run("w:0");
                    kept.Add((ofVariable, ofVariable.ToArray<float>()));
                    s.Run([], feeds, [g.Train]);
                    break;
                default: // nothing kept: in place
                    s.Run([g.Dot], feeds, [g.Train]);
                    Assert.Same(before, Current(s, "w"));
                    break;
            }
            foreach (var (value, copy) in kept) Assert.Equal(copy, value.ToArray<float>());
            previous = Current(s, "w");
        }
        Assert.NotNull(previous);
    }

    [Fact]
    public async Task Concurrent_readers_see_a_whole_old_or_whole_new_value()
    {
        // Every element of w starts at 0 and gradient descent subtracts 1 from each per step, so a whole value has all
        // elements equal; a reader that saw an update half done would see two different ones.
        const int n = 1 << 15;
        var b = new GraphBuilder();
        var w = b.Variable(Tensor.Create(new float[n], n), "w");
        var apply = b.AddOperation("ApplyGradientDescent", [w.Ref, b.Constant(1f), b.Constant(Tensor.Create(Enumerable.Repeat(1f, n).ToArray(), n))], name: "sgd");
        var doubled = b.Multiply(w.Snapshot, b.Constant(2f), "doubled");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        s.RunTargets(apply.Name); // the first update copies the assigned value; later ones may go in place
        var tensorAfterFirst = Current(s, "w");
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        int inPlace = 0;
        using var stop = new CancellationTokenSource();
        var trainer = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var before = Current(s, "w");
                s.RunTargets(apply.Name);
                if (ReferenceEquals(before, Current(s, "w"))) Interlocked.Increment(ref inPlace);
            }
        });
        var readers = Enumerable.Range(0, 2).Select(t => Task.Run(() =>
        {
            var run = s.Prepare([doubled.Name, w.Snapshot.Name], []);
            for (int r = 0; r < 150; r++)
            {
                var outs = run.Run();
                var d = outs[0].AsSpan<float>();
                var read = outs[1].AsSpan<float>();
                float first = read[0];
                for (int i = 0; i < n; i++)
                    if (read[i] != first || d[i] != 2 * first) { errors.Enqueue($"reader {t} run {r}: element {i} is {read[i]} (doubled {d[i]}), element 0 is {first}"); break; }
            }
        })).ToArray();
        await Task.WhenAll(readers);
        stop.Cancel();
        await trainer;
        Assert.Empty(errors);
        // Between readers the trainer had the value to itself at least sometimes (not a proof of anything above, but
        // without it the test would not have exercised an in-place update next to the readers).
        Assert.True(inPlace > 0 || !ReferenceEquals(tensorAfterFirst, Current(s, "w")), "no step ran");
    }

    [Fact]
    public void Packed_weights_are_rebuilt_after_an_in_place_update()
    {
        const int m = 24, k = 96, n = 64;
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [m, k], "x");
        var w = b.Variable(Tensor.Create(Random(5, k * n), k, n), "w");
        b.MatMul(x, w.Snapshot, name: "mm");
        var grad = b.Placeholder(DataType.DtFloat, [k, n], "g");
        var apply = b.AddOperation("ApplyGradientDescent", [w.Ref, b.Constant(0.5f), grad], name: "sgd");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph, new SessionOptions { FuseKernels = false });
        s.Initialize();
        var xv = Random(6, m * k);
        var feedX = ("x:0", Tensor.Create(xv, m, k));
        var kernel = (MatMulKernel)s.KernelFor(b.Graph.GetNode("mm"));
        s.Run([], new Dictionary<string, Tensor> { ["g:0"] = Tensor.Create(Random(7, k * n), k, n) }, [apply.Name]);
        var tensor = Current(s, "w")!;
        for (int step = 0; step < 4; step++)
        {
            var wv = tensor.ToArray<float>();
            for (int run = 0; run < 3; run++) AssertProduct(xv, wv, m, n, k, s.Run("mm:0", feedX).AsSpan<float>(), $"step {step} run {run}");
            Assert.Equal(step + 1, kernel.PackedB.Packings); // packed on the second sighting of each version
            s.Run([], new Dictionary<string, Tensor> { ["g:0"] = Tensor.Create(Random(8 + step, k * n), k, n) }, [apply.Name]);
            Assert.Same(tensor, Current(s, "w")); // in place: same tensor, new version
            Assert.NotEqual(wv, tensor.ToArray<float>());
        }
    }

    [Fact]
    public void A_steady_training_step_allocates_almost_nothing()
    {
        // Adam on a 256×256 variable (256 KiB, and its two slots): the copy-on-write update allocated 768 KiB a step.
        const int n = 256 * 256;
        var g = new AdamGraph(n, Random(9, n));
        using var s = new Session(g.Graph);
        s.Initialize();
        var run = s.Prepare([], ["x:0", "g:0", "b1p:0", "b2p:0"], [g.Train]);
        var feeds = new[] { Tensor.Create(Random(10, n), n), Tensor.Create(Random(11, n, 0.01), n), Tensor.FromScalar(0.9f), Tensor.FromScalar(0.999f) };
        for (int i = 0; i < 5; i++) run.Run(feeds, []);
        var tensor = Current(s, "w");
        long perStep = Allocations.LeastOfThree(() => { for (int i = 0; i < 10; i++) run.Run(feeds, []); }) / 10;
        Assert.Same(tensor, Current(s, "w"));
        Assert.True(perStep < 4096, $"{perStep} bytes per step");
    }

    [Fact]
    public void A_gradient_that_is_the_variable_itself_is_read_whole()
    {
        // ApplyGradientDescent(w, 0.25, w): TF's var -= alpha · delta with delta the variable's old value, w · 0.75.
        var b = new GraphBuilder();
        var w0 = Random(12, 33);
        var w = b.Variable(Tensor.Create(w0, 33), "w");
        var apply = b.AddOperation("ApplyGradientDescent", [w.Ref, b.Constant(0.25f), w.Snapshot], name: "sgd");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        var expected = (float[])w0.Clone();
        for (int step = 0; step < 3; step++)
        {
            s.RunTargets(apply.Name);
            for (int i = 0; i < expected.Length; i++) expected[i] -= 0.25f * expected[i];
            Assert.Equal(expected, Current(s, "w")!.ToArray<float>());
        }
    }

    [Fact]
    public void Plans_with_steps_that_may_keep_inputs_do_not_lease_and_their_reads_escape()
    {
        Assert.False(VariableLeasePolicy.MayKeepInputs(NodeOf("MatMul", ("T", Attrs.Type(DataType.DtFloat)))));
        Assert.False(VariableLeasePolicy.MayKeepInputs(NodeOf("Identity", ("T", Attrs.Type(DataType.DtFloat)))));
        Assert.False(VariableLeasePolicy.MayKeepInputs(NodeOf("ApplyAdam", ("T", Attrs.Type(DataType.DtFloat)))));
        Assert.False(VariableLeasePolicy.MayKeepInputs(NodeOf("_FusedMatMul", ("T", Attrs.Type(DataType.DtFloat)))));
        Assert.True(VariableLeasePolicy.MayKeepInputs(NodeOf("Identity", ("T", Attrs.Type(DataType.DtVariant)))));
        Assert.True(VariableLeasePolicy.MayKeepInputs(NodeOf("TensorArrayWriteV3", ("T", Attrs.Type(DataType.DtFloat)))));
        Assert.True(VariableLeasePolicy.MayKeepInputs(NodeOf("StackPushV2", ("T", Attrs.Type(DataType.DtFloat)))));
        Assert.True(VariableLeasePolicy.MayKeepInputs(NodeOf("NoSuchOp")));

        // A run whose plan may keep a value (a StackPush of w's read) marks w's value escaped, so the next step copies.
        var b = new GraphBuilder();
        var w = b.Variable(Tensor.Create(new[] { 1f, 2f }, 2), "w");
        var apply = b.AddOperation("ApplyGradientDescent", [w.Ref, b.Constant(1f), b.Constant(new[] { 1f, 1f })], name: "sgd");
        var stack = b.AddOperation("StackV2", [b.Constant(-1)], new Dictionary<string, AttrValue> { ["elem_type"] = Attrs.Type(DataType.DtFloat) }, name: "stack");
        var push = b.AddOperation("StackPushV2", [new Output(stack.Name, 0, DataType.DtResource), w.Snapshot], new Dictionary<string, AttrValue> { ["T"] = Attrs.Type(DataType.DtFloat) }, name: "push");
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        s.RunTargets(apply.Name);
        var tensor = Current(s, "w")!;
        s.RunTargets(apply.Name);
        Assert.Same(tensor, Current(s, "w")); // nothing read it: in place
        s.RunTargets(push.Name);
        s.RunTargets(apply.Name);
        Assert.NotSame(tensor, Current(s, "w"));
        Assert.Equal(new[] { -1f, 0f }, tensor.ToArray<float>()); // what the stack holds is still the value it was given
        Assert.Equal(new[] { -2f, -1f }, Current(s, "w")!.ToArray<float>());
    }

    private static Node NodeOf(string op, params (string Name, AttrValue Value)[] attrs)
    {
        var def = new NodeDef { Name = "n", Op = op };
        foreach (var (name, value) in attrs) def.Attr[name] = value;
        return new Node(def, 0);
    }

    private static void AssertProduct(float[] a, float[] b, int m, int n, int k, ReadOnlySpan<float> c, string what)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double sum = 0, abs = 0;
                for (int p = 0; p < k; p++)
                {
                    double t = (double)a[i * k + p] * b[p * n + j];
                    sum += t;
                    abs += Math.Abs(t);
                }
                double bound = (k + 2) * 6e-8 * abs + 1e-30;
                if (Math.Abs(c[i * n + j] - sum) > bound) Assert.Fail($"{what}: c[{i},{j}] = {c[i * n + j]}, expected {sum} (bound {bound:E2}).");
            }
    }
}
