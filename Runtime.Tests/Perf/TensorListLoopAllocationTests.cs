using TypedGraph.Kernels.Lists;
using TypedGraph.Protos;
using Xunit;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.FunctionDefs;

namespace TypedGraph.Tests.Perf;

/// <summary>
/// A TF2 <c>StatelessWhile</c> (while_v2's layout: cond/body FunctionDefs run by FunctionRunner, not the TF1 loop
/// executor) whose body writes one row per iteration into a TensorList accumulator. TensorListSetItem changes the
/// list in place (as TF's kernel does when it can forward its input), so the bytes allocated grow with the stored
/// rows, not with rows × list length: a copying SetItem would allocate 8 B × list length per iteration, i.e. grow
/// quadratically, and the N vs 2N difference below would be ~3× larger per iteration at 2N than at N.
/// </summary>
[Collection(nameof(SteadyStateAllocationTests))]
public class TensorListLoopAllocationTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const DataType F = DataType.DtFloat;
    private const DataType I = DataType.DtInt32;
    private const DataType V = DataType.DtVariant;
    private const int Width = 64;

    /// <summary>
    /// <c>ta = TensorArray(float, size=n, element_shape=[Width]); for i in range(n): ta = ta.write(i, x * i)</c>, as
    /// while_v2 writes it: loop vars (i, n, ta, x), the list read back by TensorListStack after the loop. With
    /// <see cref="Write.PushBack"/> the list starts empty and grows by TensorListPushBack (an accumulator's layout); with
    /// <see cref="Write.None"/> the body computes the row but passes the list through untouched (the loop's cost
    /// without the list).
    /// </summary>
    internal static Graph AccumulatorLoop(Write write) => new(AccumulatorLoopDef(write));

    /// <summary>The GraphDef of <see cref="AccumulatorLoop"/>.</summary>
    internal static GraphDef AccumulatorLoopDef(Write write)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 1645 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("n", "Placeholder", [], ("dtype", Type(I)), ("shape", Shape([]))));
        g.Node.Add(N("x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([Width]))));
        g.Node.Add(C("element_shape", Tensor.Create(new[] { Width }, 1)));
        g.Node.Add(C("i0", Tensor.FromScalar(0)));
        bool push = write == Write.PushBack;
        if (push)
        {
            g.Node.Add(C("max", Tensor.FromScalar(-1)));
            g.Node.Add(N("list", "EmptyTensorList", ["element_shape", "max"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        }
        else
        {
            g.Node.Add(N("list", "TensorListReserve", ["element_shape", "n"], ("element_dtype", Type(F)), ("shape_type", Type(I))));
        }
        var shapes = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var s in new long[][] { [], [], [], [Width] }) shapes.List.Shape.Add(Shape(s).Shape);
        g.Node.Add(N("while", "StatelessWhile", ["i0", "n", "list", "x"], ("T", Types(I, I, V, F)), ("cond", new AttrValue { Func = new NameAttrList { Name = "cond" } }),
            ("body", new AttrValue { Func = new NameAttrList { Name = "body" } }), ("output_shapes", shapes), ("parallel_iterations", Int(10)), ("_num_original_outputs", Int(4))));
        g.Node.Add(N("stack", "TensorListStack", ["while:2", "element_shape"], ("element_dtype", Type(F)), ("num_elements", Int(-1))));

        var args = new[] { ("i", I), ("n_arg", I), ("ta", V), ("x_arg", F) };
        g.Library.Function.Add(Function("cond", args, [("identity", DataType.DtBool, "Less:z:0")],
            N("Less", "Less", ["i", "n_arg"], T(I))));
        var body = Function("body", args,
            [("identity", I, "add:z:0"), ("identity_1", I, "n_arg"), ("identity_2", V, write == Write.None ? "ta" : "write:output_handle:0"), ("identity_3", F, "x_arg")],
            N("Cast", "Cast", ["i"], ("SrcT", Type(I)), ("DstT", Type(F))),
            N("mul", "Mul", ["x_arg", "Cast:y:0"], T(F)),
            push
                ? N("write", "TensorListPushBack", ["ta", "mul:z:0"], ("element_dtype", Type(F)))
                : N("write", "TensorListSetItem", ["ta", "i", "mul:z:0"], ("element_dtype", Type(F))),
            C("one", Tensor.FromScalar(1)),
            N("add", "AddV2", ["i", "one:output:0"], T(I)));
        // Without the list, the row is still computed (a control return), so the two loops differ only by the list.
        if (write == Write.None) body.ControlRet["mul"] = "mul";
        g.Library.Function.Add(body);
        return g;
    }

    private static long AllocatedBy(Action run) => TypedGraph.Tests.Support.Allocations.LeastOfThree(run);

    /// <summary>What the loop body does with the list.</summary>
    public enum Write { None, SetItem, PushBack }

    private static long PerIteration(Write write, int count, out float[] x, out Func<int, float[]> run)
    {
        var s = new Session(AccumulatorLoop(write));
        var xs = Enumerable.Range(0, Width).Select(k => 0.25f * k - 3f).ToArray();
        var xt = Tensor.Create(xs, Width);
        float[] Run(int n) => s.Run(["stack:0"], new Dictionary<string, Tensor> { ["n:0"] = Tensor.FromScalar(n), ["x:0"] = xt })[0].ToArray<float>();
        Run(count);
        Run(2 * count);
        x = xs;
        run = Run;
        return (AllocatedBy(() => Run(2 * count)) - AllocatedBy(() => Run(count))) / count;
    }

    [Theory]
    [InlineData(Write.SetItem)]
    [InlineData(Write.PushBack)]
    public void StatelessWhileTensorListAccumulator_GrowsByTheStoredRowsNotTheListLength(Write write)
    {
        const int Count = 200;
        long perIteration = PerIteration(write, Count, out var x, out var run);
        foreach (int count in new[] { Count, 2 * Count })
        {
            var values = run(count);
            Assert.Equal(count * Width, values.Length);
            for (int t = 0; t < count; t++)
                for (int k = 0; k < Width; k++)
                    Assert.Equal(x[k] * t, values[t * Width + k]);
        }

        // The same loop with the list passed through untouched: what calling cond and body costs per iteration.
        long loopOnly = PerIteration(Write.None, Count, out _, out var runLoopOnly);
        Assert.All(runLoopOnly(Count), v => Assert.Equal(0f, v)); // a reserved list never set stacks to zeros

        // Stored per iteration, beyond the loop without the list: the row's copy in the list, the list version
        // SetItem / PushBack returns and the variant tensor holding it (TF likewise makes a new output tensor per op).
        // Each is measured here, on the same objects, rather than assumed; PushBack's store also doubles its element
        // array now and then (≤ 2 × 8 B per element, amortized).
        var row = Tensor.Create(x, Width);
        long rowCopy = BytesPer(() => row.Clone());
        var version = new TensorList(F, [Width], new Tensor?[1]);
        long listVersion = BytesPer(() => version = version.SetItem(0, row));
        long handle = BytesPer(() => Tensor.FromHandle(V, version));
        long stored = rowCopy + listVersion + handle + (write == Write.PushBack ? 16 : 0);
        output.WriteLine($"StatelessWhile + TensorList{write}: {perIteration} B/iteration; the loop alone {loopOnly} B; " +
            $"stored {stored} B (row copy {rowCopy}, list version {listVersion}, variant tensor {handle})");
        // A SetItem that copied the element array would add 8 B × list length per iteration (1.6–3.2 KB here).
        Assert.True(perIteration - loopOnly <= stored + Slack, $"{perIteration} - {loopOnly} bytes per iteration, stored {stored}");
        // The loop alone: the stacked zeros row and the test's ToArray of it (2 × Width × 4 B), the reserved list's
        // slot (8 B) and TensorListStack's index (4 B) per element; calling cond and body through FunctionRunner costs
        // nothing per iteration (WhileLoopAllocationTests; it was 612 B before loop vars got their own buffers, and the
        // stack 256 B more before it came from the pool). Bounded so call overhead cannot creep back unnoticed.
        Assert.True(loopOnly - 2 * Width * sizeof(float) <= LoopCallBudget, $"the loop alone allocates {loopOnly} bytes per iteration");
    }

    private static long BytesPer(Action make)
    {
        const int Reps = 64;
        make();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Reps; i++) make();
        return (GC.GetAllocatedBytesForCurrentThread() - before) / Reps;
    }

    /// <summary>Slack for allocations that are not per iteration but do not divide evenly (a list doubling once).</summary>
    private const int Slack = 32;

    /// <summary>Per iteration of the loop alone, beyond the stacked row: the list slot and the stack's index (see the test).</summary>
    private const int LoopCallBudget = 12 + Slack;
}
