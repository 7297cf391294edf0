using TypedGraph.Protos;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.FunctionDefs;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// A TF2 <c>StatelessWhile</c> (while_v2's layout: cond and body FunctionDefs run through FunctionRunner) with four
/// loop vars — a counter, a bound passed through, and two float vectors computed every iteration — allocates nothing
/// per iteration: the computed loop vars live in two buffers per var used in turn and the bodies' frames reuse their
/// pooled buffers. A run of 2N iterations allocates (on the calling thread) no more than a run of N; per-run costs (the
/// request, the two buffer sets, the fetched results) cancel out in the difference. Values are checked against the same
/// loop written in C#.
/// </summary>
[Collection(nameof(SteadyStateAllocationTests))]
public class WhileLoopAllocationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const DataType F = DataType.DtFloat;
    private const DataType I = DataType.DtInt32;
    private const int Width = 64;

    /// <summary>
    /// <c>i, h, acc = 0, x, zeros; while i &lt; n: h = h * 0.5 + i; acc = acc + h; i += 1</c> with loop vars
    /// (i, n, h, acc), n passed through unchanged as while_v2 passes its maximum_iterations. With
    /// <paramref name="throughViews"/> the new h goes through Reshape [W/2, 2] → ExpandDims 0 → Squeeze [0] → Reshape [-1]
    /// first (same values; four view ops per iteration).
    /// </summary>
    internal static Graph DecayLoop(bool throughViews = false)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([Width]))));
        g.Node.Add(C("i0", Tensor.FromScalar(0)));
        g.Node.Add(C("acc0", Tensor.Zeros(F, new TensorShape(Width))));
        g.Node.Add(StatelessWhile("while", ["i0", "n", "x", "acc0"], [I, I, F, F], "cond", "body"));
        var args = new[] { ("i", I), ("n_arg", I), ("h", F), ("acc", F) };
        g.Library.Function.Add(Function("cond", args, [("identity", DataType.DtBool, "Less:z:0")], N("Less", "Less", ["i", "n_arg"], T(I))));
        g.Library.Function.Add(Function("body", args,
            [("identity", I, "add:z:0"), ("identity_1", I, "n_arg"), ("identity_2", F, throughViews ? "flat:output:0" : "h_next:z:0"), ("identity_3", F, "acc_next:z:0")],
            C("half", Tensor.FromScalar(0.5f)),
            N("Cast", "Cast", ["i"], ("SrcT", Type(I)), ("DstT", Type(F))),
            N("mul", "Mul", ["h", "half:output:0"], T(F)),
            N("h_next", "AddV2", ["mul:z:0", "Cast:y:0"], T(F)),
            C("pairs", Tensor.Create(new[] { Width / 2, 2 }, 2)),
            C("minus_one", Tensor.Create(new[] { -1 }, 1)),
            C("zero", Tensor.FromScalar(0)),
            N("paired", "Reshape", ["h_next:z:0", "pairs:output:0"], T(F), ("Tshape", Type(I))),
            N("expanded", "ExpandDims", ["paired:output:0", "zero:output:0"], T(F), ("Tdim", Type(I))),
            N("squeezed", "Squeeze", ["expanded:output:0"], T(F), ("squeeze_dims", Ints(0))),
            N("flat", "Reshape", ["squeezed:output:0", "minus_one:output:0"], T(F), ("Tshape", Type(I))),
            N("acc_next", "AddV2", ["acc", throughViews ? "flat:output:0" : "h_next:z:0"], T(F)),
            C("one", Tensor.FromScalar(1)),
            N("add", "AddV2", ["i", "one:output:0"], T(I))));
        return new Graph(g);
    }

    /// <summary>The loop of <see cref="DecayLoop"/> in C#, in the graph's order of float operations.</summary>
    internal static (float[] H, float[] Acc) DecayReference(float[] x, int n)
    {
        var h = (float[])x.Clone();
        var acc = new float[x.Length];
        for (int i = 0; i < n; i++)
            for (int k = 0; k < h.Length; k++)
            {
                h[k] = h[k] * 0.5f + i;
                acc[k] += h[k];
            }
        return (h, acc);
    }

    [Fact]
    public void StatelessWhileWithFourLoopVars_AllocatesNothingPerIteration_AndMatchesACSharpLoop()
        => Assert.True(PerIteration(throughViews: false) == 0, "bytes per iteration (nothing is stored)");

    /// <summary>Reshape, ExpandDims and Squeeze read their shape inputs into stack buffers and reuse the context's
    /// shape: each allocates only the view object itself (a new <see cref="Tensor"/> over its input's buffer).</summary>
    [Fact]
    public void ViewOpsInALoopBody_AllocateOnlyTheirViewObjects()
    {
        var x = Tensor.Create(new float[Width], Width);
        var shape = new TensorShape(Width / 2, 2);
        x.Reshape(shape);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int k = 0; k < 64; k++) x.Reshape(shape);
        long view = (GC.GetAllocatedBytesForCurrentThread() - before) / 64;
        long perIteration = PerIteration(throughViews: true);
        Assert.True(perIteration <= 4 * view, $"{perIteration} bytes per iteration; four views of {view} B each");
    }

    private long PerIteration(bool throughViews)
    {
        using var s = new Session(DecayLoop(throughViews));
        var xs = Enumerable.Range(0, Width).Select(k => 0.125f * k - 2f).ToArray();
        var x = Tensor.Create(xs, Width);
        var feeds = new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(0), ["x:0"] = x };
        string[] fetches = ["while:2", "while:3"];
        Tensor[] Run(int n)
        {
            feeds["n:0"] = Tensor.FromScalar(n);
            return s.Run(fetches, feeds);
        }
        const int Count = 200;
        foreach (int n in new[] { 0, 1, Count, 2 * Count })
        {
            var r = Run(n);
            var (h, acc) = DecayReference(xs, n);
            Assert.Equal(h, r[0].ToArray<float>());
            Assert.Equal(acc, r[1].ToArray<float>());
        }

        long perIteration = (Support.Allocations.LeastOfThree(() => Run(2 * Count)) - Support.Allocations.LeastOfThree(() => Run(Count))) / Count;
        output.WriteLine($"StatelessWhile, 4 loop vars (2 computed float[{Width}], 1 counter, 1 passed through){(throughViews ? ", 4 view ops" : "")}: {perIteration} B/iteration");
        return perIteration;
    }
}
