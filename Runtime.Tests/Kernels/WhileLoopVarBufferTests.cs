using TypedGraph.Protos;
using TypedGraph.Tests.Perf;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.FunctionDefs;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// A TF2 <c>StatelessWhile</c> keeps its computed loop vars in two buffers per var used in turn (LoopVarBuffers). These
/// tests build loops whose values would come out wrong if a buffer were overwritten while something still holds it — a
/// body returning an arg unchanged or as a view in another position, a loop var stored in a TensorList and carried on,
/// a nested loop's outputs, outputs fetched after the loop, loop vars changing shape, concurrent runs — and compare
/// every value with the same loop written in C#.
/// </summary>
public sealed class WhileLoopVarBufferTests
{
    private const DataType F = DataType.DtFloat;
    private const DataType I = DataType.DtInt32;
    private const DataType V = DataType.DtVariant;
    private const DataType B = DataType.DtBool;
    private const int Width = 8;

    private static GraphDef NewGraph() => new() { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };

    private static FunctionDef LessCond(string name, (string Name, DataType Type)[] args)
        => Function(name, args, [("identity", B, "Less:z:0")], N("Less", "Less", [args[0].Name, args[1].Name], T(I)));

    private static NodeDef[] Increment(string i) => [C("one", Tensor.FromScalar(1)), N("add", "AddV2", [i, "one:output:0"], T(I))];

    private static float[] Values(int seed, int count) => Enumerable.Range(0, count).Select(k => 0.25f * ((k * 7 + seed * 3) % 11) - 1f).ToArray();

    /// <summary>
    /// Fibonacci on vectors, <c>a, b = b, a + b</c> (or, <paramref name="sumFirst"/>, <c>a, b = a + b, a</c>): one new
    /// value is an old arg itself (kept as is) or, with <paramref name="asView"/>, a Reshape view of its buffer (copied
    /// after the sum when the sum comes first) — either way the sum must not be written into that arg's buffer.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void BodyReturningAnArgInAnotherPosition_KeepsBothValues(bool asView, bool sumFirst)
    {
        var g = NewGraph();
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("a0", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([Width]))));
        g.Node.Add(N("b0", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([Width]))));
        g.Node.Add(C("i0", Tensor.FromScalar(0)));
        g.Node.Add(StatelessWhile("while", ["i0", "n", "a0", "b0"], [I, I, F, F], "cond", "body"));
        var args = new[] { ("i", I), ("n_arg", I), ("a", F), ("b", F) };
        g.Library.Function.Add(LessCond("cond", args));
        g.Library.Function.Add(Function("body", args,
            sumFirst
                ? [("o0", I, "add:z:0"), ("o1", I, "n_arg"), ("o2", F, "sum:z:0"), ("o3", F, asView ? "flat:output:0" : "a")]
                : [("o0", I, "add:z:0"), ("o1", I, "n_arg"), ("o2", F, asView ? "flat:output:0" : "b"), ("o3", F, "sum:z:0")],
            [.. Increment("i"),
             N("sum", "AddV2", ["a", "b"], T(F)),
             C("pairs", Tensor.Create(new[] { Width / 2, 2 }, 2)),
             C("line", Tensor.Create(new[] { Width }, 1)),
             N("paired", "Reshape", [sumFirst ? "a" : "b", "pairs:output:0"], T(F), ("Tshape", Type(I))),
             N("flat", "Reshape", ["paired:output:0", "line:output:0"], T(F), ("Tshape", Type(I)))]));
        using var s = new Session(new Graph(g));
        var a0 = Values(1, Width);
        var b0 = Values(2, Width);
        foreach (int n in new[] { 0, 1, 2, 3, 7, 20 })
        {
            var r = s.Run(["while:2", "while:3"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["a0:0"] = Tensor.Create(a0, Width), ["b0:0"] = Tensor.Create(b0, Width) });
            float[] a = (float[])a0.Clone(), b = (float[])b0.Clone();
            for (int t = 0; t < n; t++)
                (a, b) = sumFirst ? (a.Zip(b, (p, q) => p + q).ToArray(), a) : (b, a.Zip(b, (p, q) => p + q).ToArray());
            Assert.Equal(a, r[0].ToArray<float>());
            Assert.Equal(b, r[1].ToArray<float>());
        }
    }

    /// <summary>
    /// <c>ta[i] = h; h = h * 0.5 + i; tb[i] = h</c>: the arg h and the computed h are both stored in a list and carried
    /// on; every stored row must keep the value it had when stored.
    /// </summary>
    [Fact]
    public void LoopVarStoredInAListAndCarried_StoredRowsKeepTheirValues()
    {
        var g = NewGraph();
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([Width]))));
        g.Node.Add(C("i0", Tensor.FromScalar(0)));
        g.Node.Add(C("element_shape", Tensor.Create(new[] { Width }, 1)));
        g.Node.Add(N("ta0", "TensorListReserve", ["element_shape", "n"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        g.Node.Add(N("tb0", "TensorListReserve", ["element_shape", "n"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        g.Node.Add(StatelessWhile("while", ["i0", "n", "ta0", "tb0", "x"], [I, I, V, V, F], "cond", "body"));
        g.Node.Add(N("stack_a", "TensorListStack", ["while:2", "element_shape"], ("element_dtype", Type(F)), ("num_elements", Int(-1))));
        g.Node.Add(N("stack_b", "TensorListStack", ["while:3", "element_shape"], ("element_dtype", Type(F)), ("num_elements", Int(-1))));
        var args = new[] { ("i", I), ("n_arg", I), ("ta", V), ("tb", V), ("h", F) };
        g.Library.Function.Add(LessCond("cond", args));
        g.Library.Function.Add(Function("body", args,
            [("o0", I, "add:z:0"), ("o1", I, "n_arg"), ("o2", V, "set_a:output_handle:0"), ("o3", V, "set_b:output_handle:0"), ("o4", F, "h_next:z:0")],
            [.. Increment("i"),
             N("set_a", "TensorListSetItem", ["ta", "i", "h"], ("element_dtype", Type(F))),
             C("half", Tensor.FromScalar(0.5f)),
             N("Cast", "Cast", ["i"], ("SrcT", Type(I)), ("DstT", Type(F))),
             N("mul", "Mul", ["h", "half:output:0"], T(F)),
             N("h_next", "AddV2", ["mul:z:0", "Cast:y:0"], T(F)),
             N("set_b", "TensorListSetItem", ["tb", "i", "h_next:z:0"], ("element_dtype", Type(F)))]));
        using var s = new Session(new Graph(g));
        var x = Values(3, Width);
        foreach (int n in new[] { 1, 2, 5, 40 })
        {
            var r = s.Run(["stack_a:0", "stack_b:0", "while:4"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["x:0"] = Tensor.Create(x, Width) });
            var before = new float[n * Width];
            var after = new float[n * Width];
            var h = (float[])x.Clone();
            for (int t = 0; t < n; t++)
            {
                h.CopyTo(before, t * Width);
                for (int k = 0; k < Width; k++) h[k] = h[k] * 0.5f + t;
                h.CopyTo(after, t * Width);
            }
            Assert.Equal(before, r[0].ToArray<float>());
            Assert.Equal(after, r[1].ToArray<float>());
            Assert.Equal(h, r[2].ToArray<float>());
        }
    }

    /// <summary>
    /// An outer loop whose body runs an inner StatelessWhile for <c>i mod 3</c> steps of <c>h = h * 0.5 + j</c> (zero
    /// steps return the outer arg itself), stores the inner result in a list and carries it: the inner loop's outputs
    /// live in its own buffers, which the outer loop must copy, not adopt.
    /// </summary>
    [Fact]
    public void NestedLoops_InnerOutputsAndPassThroughs_MatchACSharpLoop()
    {
        var g = NewGraph();
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([Width]))));
        g.Node.Add(C("i0", Tensor.FromScalar(0)));
        g.Node.Add(C("element_shape", Tensor.Create(new[] { Width }, 1)));
        g.Node.Add(N("ta0", "TensorListReserve", ["element_shape", "n"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        g.Node.Add(StatelessWhile("outer", ["i0", "n", "ta0", "x"], [I, I, V, F], "outer_cond", "outer_body"));
        g.Node.Add(N("stack", "TensorListStack", ["outer:2", "element_shape"], ("element_dtype", Type(F)), ("num_elements", Int(-1))));
        g.Node.Add(C("two", Tensor.FromScalar(2f)));
        g.Node.Add(N("doubled", "Mul", ["outer:3", "two"], T(F)));
        var outerArgs = new[] { ("i", I), ("n_arg", I), ("ta", V), ("h", F) };
        g.Library.Function.Add(LessCond("outer_cond", outerArgs));
        g.Library.Function.Add(Function("outer_body", outerArgs,
            [("o0", I, "add:z:0"), ("o1", I, "n_arg"), ("o2", V, "set:output_handle:0"), ("o3", F, "inner:output:2")],
            [.. Increment("i"),
             C("three", Tensor.FromScalar(3)),
             C("j0", Tensor.FromScalar(0)),
             N("steps", "FloorMod", ["i", "three:output:0"], T(I)),
             StatelessWhile("inner", ["j0:output:0", "steps:z:0", "h"], [I, I, F], "inner_cond", "inner_body"),
             N("set", "TensorListSetItem", ["ta", "i", "inner:output:2"], ("element_dtype", Type(F)))]));
        var innerArgs = new[] { ("j", I), ("m", I), ("v", F) };
        g.Library.Function.Add(LessCond("inner_cond", innerArgs));
        g.Library.Function.Add(Function("inner_body", innerArgs,
            [("o0", I, "add:z:0"), ("o1", I, "m"), ("o2", F, "v_next:z:0")],
            [.. Increment("j"),
             C("half", Tensor.FromScalar(0.5f)),
             N("Cast", "Cast", ["j"], ("SrcT", Type(I)), ("DstT", Type(F))),
             N("mul", "Mul", ["v", "half:output:0"], T(F)),
             N("v_next", "AddV2", ["mul:z:0", "Cast:y:0"], T(F))]));
        using var s = new Session(new Graph(g));
        var x = Values(4, Width);
        foreach (int n in new[] { 1, 4, 11 })
        {
            var r = s.Run(["stack:0", "outer:3", "doubled:0"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["x:0"] = Tensor.Create(x, Width) });
            var rows = new float[n * Width];
            var h = (float[])x.Clone();
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < i % 3; j++)
                    for (int k = 0; k < Width; k++) h[k] = h[k] * 0.5f + j;
                h.CopyTo(rows, i * Width);
            }
            Assert.Equal(rows, r[0].ToArray<float>());
            Assert.Equal(h, r[1].ToArray<float>());
            Assert.Equal(h.Select(v => v * 2f).ToArray(), r[2].ToArray<float>());
        }
    }

    /// <summary>The tensors a run returned keep their values while later runs of the same loop reuse its buffers.</summary>
    [Fact]
    public void OutputsFetchedAfterTheLoop_KeepTheirValuesAcrossLaterRuns()
    {
        using var s = new Session(WhileLoopAllocationTests.DecayLoop());
        var x = Values(5, 64);
        var kept = new List<(int N, Tensor H, Tensor Acc)>();
        foreach (int n in new[] { 3, 9, 1, 30, 2 })
        {
            var r = s.Run(["while:2", "while:3"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["x:0"] = Tensor.Create(x, 64) });
            kept.Add((n, r[0], r[1]));
        }
        foreach (var (n, h, acc) in kept)
        {
            var (hRef, accRef) = WhileLoopAllocationTests.DecayReference(x, n);
            Assert.Equal(hRef, h.ToArray<float>());
            Assert.Equal(accRef, acc.ToArray<float>());
        }
    }

    /// <summary>
    /// Loop vars whose shape changes: <c>h = transpose(h) + i</c> alternates between [2,3] and [3,2], and
    /// <c>g = concat(g, [i])</c> grows by one each iteration.
    /// </summary>
    [Fact]
    public void LoopVarsChangingShape_GetBuffersOfTheirNewShape()
    {
        var g = NewGraph();
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("h0", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([2, 3]))));
        g.Node.Add(C("i0", Tensor.FromScalar(0)));
        g.Node.Add(C("g0", Tensor.Create(new[] { -1f }, 1)));
        g.Node.Add(StatelessWhile("while", ["i0", "n", "h0", "g0"], [I, I, F, F], "cond", "body"));
        var args = new[] { ("i", I), ("n_arg", I), ("h", F), ("gv", F) };
        g.Library.Function.Add(LessCond("cond", args));
        g.Library.Function.Add(Function("body", args,
            [("o0", I, "add:z:0"), ("o1", I, "n_arg"), ("o2", F, "h_next:z:0"), ("o3", F, "grown:output:0")],
            [.. Increment("i"),
             N("Cast", "Cast", ["i"], ("SrcT", Type(I)), ("DstT", Type(F))),
             C("perm", Tensor.Create(new[] { 1, 0 }, 2)),
             N("flip", "Transpose", ["h", "perm:output:0"], T(F), ("Tperm", Type(I))),
             N("h_next", "AddV2", ["flip:y:0", "Cast:y:0"], T(F)),
             C("axis", Tensor.FromScalar(0)),
             N("item", "ExpandDims", ["Cast:y:0", "axis:output:0"], T(F), ("Tdim", Type(I))),
             N("grown", "ConcatV2", ["gv", "item:output:0", "axis:output:0"], ("N", Int(2)), T(F), ("Tidx", Type(I)))]));
        using var s = new Session(new Graph(g));
        var h0 = Values(6, 6);
        foreach (int n in new[] { 0, 1, 2, 5, 12 })
        {
            var r = s.Run(["while:2", "while:3"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["h0:0"] = Tensor.Create(h0, 2, 3) });
            int rows = 2, cols = 3;
            var h = (float[])h0.Clone();
            for (int t = 0; t < n; t++)
            {
                var next = new float[h.Length];
                for (int p = 0; p < rows; p++)
                    for (int q = 0; q < cols; q++) next[q * rows + p] = h[p * cols + q] + t;
                (h, rows, cols) = (next, cols, rows);
            }
            Assert.Equal(new TensorShape(rows, cols), r[0].Shape);
            Assert.Equal(h, r[0].ToArray<float>());
            Assert.Equal([-1f, .. Enumerable.Range(0, n).Select(t => (float)t)], r[1].ToArray<float>());
        }
    }

    /// <summary>Runs of one loop on several threads at once each keep to their own buffers.</summary>
    [Fact]
    public void ConcurrentRunsOfOneLoop_EachMatchesACSharpLoop()
    {
        using var s = new Session(WhileLoopAllocationTests.DecayLoop());
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            for (int rep = 0; rep < 25; rep++)
            {
                int n = (worker * 31 + rep * 7) % 60;
                var x = Values(worker * 100 + rep, 64);
                var r = s.Run(["while:2", "while:3"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["x:0"] = Tensor.Create(x, 64) });
                var (h, acc) = WhileLoopAllocationTests.DecayReference(x, n);
                if (!h.SequenceEqual(r[0].ToArray<float>()) || !acc.SequenceEqual(r[1].ToArray<float>()))
                    failures.Add($"worker {worker} run {rep} (n={n})");
            }
        });
        Assert.Empty(failures);
    }
}
