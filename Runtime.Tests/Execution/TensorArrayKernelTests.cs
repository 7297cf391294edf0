using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

/// <summary>The TensorArrayV3 family against TF's semantics (tensor_array.h / tensor_array_ops.cc), graphs laid out as tf.TensorArray writes them.</summary>
public class TensorArrayKernelTests
{
    private static readonly (string, AttrValue) F32 = ("dtype", Type(DataType.DtFloat));

    private static string NewArray(ExecGraph g, string name, int size, long[]? elementShape = null, bool dynamic = false, bool clearAfterRead = true, bool identical = false)
    {
        g.Const(name + "/size", Tensor.FromScalar(size));
        return g.Op(name, "TensorArrayV3", [name + "/size"], F32, ("element_shape", Shape(elementShape)), ("dynamic_size", Bool(dynamic)),
            ("clear_after_read", Bool(clearAfterRead)), ("identical_element_shapes", Bool(identical)), ("tensor_array_name", Str("")));
    }

    private static string Write(ExecGraph g, string name, string array, string flow, int index, string value)
    {
        g.Const(name + "/index", Tensor.FromScalar(index));
        return g.Op(name, "TensorArrayWriteV3", [array, name + "/index", value, flow], T(DataType.DtFloat));
    }

    private static string Read(ExecGraph g, string name, string array, string flow, int index)
    {
        g.Const(name + "/index", Tensor.FromScalar(index));
        return g.Op(name, "TensorArrayReadV3", [array, name + "/index", flow], F32);
    }

    private static Dictionary<string, Tensor> Feeds(params (string, Tensor)[] f) => f.ToDictionary(p => p.Item1, p => p.Item2);

    [Fact]
    public void WrittenValuesComeBackFromReadAndGather_EvenFromPooledIntermediates()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [2]);
        g.Const("one", Tensor.Create(new[] { 1f, 1f }));
        // Values computed in the run (pooled buffers the plan recycles after their last reader).
        g.Op("v0", "Add", ["x", "one"], T(DataType.DtFloat));
        g.Op("v1", "Mul", ["x", "x"], T(DataType.DtFloat));
        g.Op("v2", "Sub", ["x", "one"], T(DataType.DtFloat));
        NewArray(g, "ta", 3);
        Write(g, "w0", "ta", "ta:1", 0, "v0");
        Write(g, "w1", "ta", "w0", 1, "v1");
        Write(g, "w2", "ta", "w1", 2, "v2");
        g.Op("after", "Add", ["v2", "v1"], T(DataType.DtFloat)); // reuses freed buffers after the writes
        g.Const("idx", Tensor.Create(new[] { 2, 0, 1 }));
        g.Op("gather", "TensorArrayGatherV3", ["ta", "idx", "w2"], F32, ("element_shape", Shape(null)));
        g.Op("size", "TensorArraySizeV3", ["ta", "w2"]);
        using var s = new Session(g.Graph);
        var r = s.Run(["gather:0", "size:0", "after:0"], Feeds(("x", Tensor.Create(new[] { 2f, -3f }))));
        Assert.Equal([1f, -4f, 3f, -2f, 4f, 9f], r[0].ToArray<float>());
        Assert.Equal([3, 2], r[0].Shape.ToArray());
        Assert.Equal(3, r[1].Scalar<int>());
        Assert.Equal([5f, 5f], r[2].ToArray<float>());
    }

    [Fact]
    public void WritingAnIndexTwice_IsTfsError()
    {
        var g = new ExecGraph();
        g.Const("v", Tensor.Create(new[] { 1f }));
        NewArray(g, "ta", 2);
        Write(g, "w0", "ta", "ta:1", 1, "v");
        Write(g, "w1", "ta", "w0", 1, "v");
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("w1:0"));
        Assert.Contains("Could not write to TensorArray index 1 because it has already been written to", e.Message);
        Assert.Contains("'w1'", e.Message);
    }

    [Fact]
    public void WritingOutsideAFixedSizeArray_IsTfsError()
    {
        var g = new ExecGraph();
        g.Const("v", Tensor.Create(new[] { 1f }));
        NewArray(g, "ta", 2);
        Write(g, "w", "ta", "ta:1", 2, "v");
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("w:0"));
        Assert.Contains("Tried to write to index 2 but array is not resizeable and size is: 2", e.Message);
    }

    [Fact]
    public void DynamicSizeArrayGrowsOnWrite_AndUnwrittenElementsReadAsZerosOfTheKnownShape()
    {
        var g = new ExecGraph();
        g.Const("v", Tensor.Create(new[] { 7f, 8f }));
        NewArray(g, "ta", 0, elementShape: [2], dynamic: true);
        Write(g, "w", "ta", "ta:1", 4, "v");
        g.Op("size", "TensorArraySizeV3", ["ta", "w"]);
        Read(g, "r1", "ta", "w", 1);
        Read(g, "r4", "ta", "w", 4);
        using var s = new Session(g.Graph);
        var r = s.Run(["size:0", "r1:0", "r4:0"]);
        Assert.Equal(5, r[0].Scalar<int>());
        Assert.Equal([0f, 0f], r[1].ToArray<float>());
        Assert.Equal([7f, 8f], r[2].ToArray<float>());
    }

    [Fact]
    public void ReadingAnUnwrittenElementWithAnUnknownShape_IsTfsError()
    {
        var g = new ExecGraph();
        NewArray(g, "ta", 3, elementShape: [-1, 2]);
        Read(g, "r", "ta", "ta:1", 0);
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("r:0"));
        Assert.Contains("Could not read from TensorArray index 0.  Furthermore, the element shape is not fully defined: [?,2]", e.Message);
    }

    [Fact]
    public void ClearAfterRead_MakesASecondReadFail_WhileReadManyArraysAllowIt()
    {
        foreach (bool clear in new[] { true, false })
        {
            var g = new ExecGraph();
            g.Const("v", Tensor.Create(new[] { 3f }));
            NewArray(g, "ta", 1, clearAfterRead: clear);
            Write(g, "w", "ta", "ta:1", 0, "v");
            Read(g, "r0", "ta", "w", 0);
            g.Op("r0id", "Identity", ["r0"], T(DataType.DtFloat));
            g.Const("r1/index", Tensor.FromScalar(0), "r0id");
            g.Op("r1", "TensorArrayReadV3", ["ta", "r1/index", "w"], F32);
            using var s = new Session(g.Graph);
            if (clear)
            {
                var e = Assert.Throws<GraphExecutionException>(() => s.Run(["r0:0", "r1:0"]));
                Assert.Contains("Could not read index 0 twice because it was cleared after a previous read", e.Message);
            }
            else
            {
                var r = s.Run(["r0:0", "r1:0"]);
                Assert.Equal(3f, r[0].ToArray<float>()[0]);
                Assert.Equal(3f, r[1].ToArray<float>()[0]);
            }
        }
    }

    [Fact]
    public void WritingAfterARead_IsTfsError()
    {
        var g = new ExecGraph();
        g.Const("v", Tensor.Create(new[] { 3f }));
        NewArray(g, "ta", 1, elementShape: [1]);
        Read(g, "r", "ta", "ta:1", 0); // zeros: the shape is known
        g.Const("w/index", Tensor.FromScalar(0), "r");
        g.Op("w", "TensorArrayWriteV3", ["ta", "w/index", "v", "ta:1"], T(DataType.DtFloat));
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("w:0"));
        Assert.Contains("because it has already been read", e.Message);
    }

    [Fact]
    public void IdenticalElementShapes_FixesTheShapeAtTheFirstWrite_ElementShapeAttrIsChecked()
    {
        var g = new ExecGraph();
        g.Const("a", Tensor.Create(new[] { 1f, 2f }));
        g.Const("b", Tensor.Create(new[] { 1f, 2f, 3f }));
        NewArray(g, "ta", 2, identical: true);
        Write(g, "w0", "ta", "ta:1", 0, "a");
        Write(g, "w1", "ta", "w0", 1, "b");
        NewArray(g, "tb", 2, elementShape: [3]);
        Write(g, "x0", "tb", "tb:1", 0, "a");
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("w1:0"));
        Assert.Contains("value shape is [3] which is incompatible with the TensorArray's inferred element shape: [2]", e.Message);
        var e2 = Assert.Throws<GraphExecutionException>(() => s.Run("x0:0"));
        Assert.Contains("incompatible with the TensorArray's inferred element shape: [3]", e2.Message);
    }

    [Fact]
    public void ScatterSplitConcatGather_MoveRowsAsTfDoes()
    {
        var g = new ExecGraph();
        var rows = Tensor.Create(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 3, 2);
        g.Const("rows", rows);
        g.Const("idx", Tensor.Create(new[] { 2, 0, 1 }));
        NewArray(g, "ta", 3);
        g.Op("scatter", "TensorArrayScatterV3", ["ta", "idx", "rows", "ta:1"], T(DataType.DtFloat));
        g.Op("concat", "TensorArrayConcatV3", ["ta", "scatter"], F32, ("element_shape_except0", Shape(null)));
        // Split [a b c d e f] (rows of 1 float) with lengths 1, 3, 2, then gather everything back.
        g.Const("flat", Tensor.Create(new[] { 10f, 20f, 30f, 40f, 50f, 60f }, 6, 1));
        g.Const("lengths", Tensor.Create(new[] { 1L, 3L, 2L }));
        NewArray(g, "tb", 3);
        g.Op("split", "TensorArraySplitV3", ["tb", "flat", "lengths", "tb:1"], T(DataType.DtFloat));
        g.Op("concat2", "TensorArrayConcatV3", ["tb", "split"], F32, ("element_shape_except0", Shape([1])));
        using var s = new Session(g.Graph);
        var r = s.Run(["concat:0", "concat:1", "concat2:0", "concat2:1"]);
        // Element i holds rows[j] where idx[j] = i: element0 = row1, element1 = row2, element2 = row0.
        // Concat joins the [2]-shaped elements along their first dimension.
        Assert.Equal([3f, 4f, 5f, 6f, 1f, 2f], r[0].ToArray<float>());
        Assert.Equal([6], r[0].Shape.ToArray());
        Assert.Equal([2L, 2L, 2L], r[1].ToArray<long>());
        Assert.Equal([10f, 20f, 30f, 40f, 50f, 60f], r[2].ToArray<float>());
        Assert.Equal([1L, 3L, 2L], r[3].ToArray<long>());
    }

    [Fact]
    public void ScatteredRowsOfAPooledValue_SurviveTheBuffersReuse_RunAfterRun()
    {
        // The scattered elements are views of the (held) pooled value, not copies: the ops after the scatter, which would
        // reuse its buffer if it were let go, must not change them — in the first run and in the steady state.
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [3, 2]);
        g.Const("two", Tensor.FromScalar(2f));
        g.Const("one", Tensor.FromScalar(1f));
        g.Op("y", "Mul", ["x", "two"], T(DataType.DtFloat));
        g.Const("idx", Tensor.Create(new[] { 2, 0, 1 }));
        NewArray(g, "ta", 3, [2]);
        g.Op("scatter", "TensorArrayScatterV3", ["ta", "idx", "y", "ta:1"], T(DataType.DtFloat));
        // Same-sized intermediates after the scatter (y's last reader): each could take y's buffer.
        g.Op("z1", "Add", ["x", "one", "^scatter"], T(DataType.DtFloat));
        g.Op("z2", "Mul", ["z1", "z1"], T(DataType.DtFloat));
        g.Op("z3", "Sub", ["z2", "x"], T(DataType.DtFloat));
        g.Op("z4", "Neg", ["z3"], T(DataType.DtFloat));
        g.Const("order", Tensor.Create(new[] { 0, 1, 2 }), "z4");
        g.Op("gather", "TensorArrayGatherV3", ["ta", "order", "scatter"], F32, ("element_shape", Shape([2])));
        using var s = new Session(g.Graph);
        var run = s.Prepare(["gather:0", "z4:0"], ["x"]);
        for (int round = 0; round < 3; round++)
        {
            var x = Enumerable.Range(0, 6).Select(i => (float)(i + 10 * round)).ToArray();
            var r = run.Run([Tensor.Create(x, 3, 2)]);
            // Row j of y goes to element idx[j]: element 0 = row 1, element 1 = row 2, element 2 = row 0.
            float[] want = [2 * x[2], 2 * x[3], 2 * x[4], 2 * x[5], 2 * x[0], 2 * x[1]];
            Assert.Equal(want, r[0].ToArray<float>());
            Assert.Equal(x.Select(v => -((v + 1) * (v + 1) - v)).ToArray(), r[1].ToArray<float>());
        }
    }

    [Fact]
    public void ScatteredRowsOfAFeed_AreTheFeedsValues_AndAFetchedElementIsTheCallers()
    {
        // The elements are views of the caller's feed during the run; what the caller fetches must not change when the
        // caller reuses its feed buffer for the next run.
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat, [3, 2]);
        g.Const("idx", Tensor.Create(new[] { 1, 2, 0 }));
        NewArray(g, "ta", 3, [2]);
        g.Op("scatter", "TensorArrayScatterV3", ["ta", "idx", "x", "ta:1"], T(DataType.DtFloat));
        Read(g, "r0", "ta", "scatter", 0);
        g.Const("rest", Tensor.Create(new[] { 1, 2 }));
        g.Op("gather", "TensorArrayGatherV3", ["ta", "rest", "scatter"], F32, ("element_shape", Shape([2])));
        using var s = new Session(g.Graph);
        var feed = new float[] { 1, 2, 3, 4, 5, 6 };
        var x = Tensor.Create(feed, 3, 2);
        var r = s.Run(["r0:0", "gather:0"], Feeds(("x", x)));
        Assert.Equal([5f, 6f], r[0].ToArray<float>()); // row 2 went to element 0
        Assert.Equal([1f, 2f, 3f, 4f], r[1].ToArray<float>());
        x.AsSpan<float>().Fill(-1);
        Assert.Equal([5f, 6f], r[0].ToArray<float>());
        Assert.Equal([-1f, -1f], s.Run(["r0:0"], Feeds(("x", x)))[0].ToArray<float>());
    }

    [Fact]
    public void ScatteredRowsOfAVariable_KeepTheValuesOfTheScatter_WhenTheVariableIsUpdatedInPlaceLater()
    {
        // TF's scatter copies every element, so an ApplyGradientDescent later in the same run must not change what the
        // array holds. Here the elements are views of the variable's value; that is safe because a plan holding
        // TensorArrays does not lease variables (VariableLeasePolicy.MayKeepInputs), so the read marks the value escaped
        // and the update publishes a new tensor (and CanAlias copies any value an optimizer could still update in place).
        var g = new ExecGraph();
        g.Variable("v", DataType.DtFloat, 2, 2);
        g.Const("init", Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 2, 2));
        g.Op("assign", "Assign", ["v", "init"], T(DataType.DtFloat));
        g.Op("read", "Identity", ["v"], T(DataType.DtFloat));
        g.Const("idx", Tensor.Create(new[] { 0, 1 }));
        NewArray(g, "ta", 2, [2]);
        g.Op("scatter", "TensorArrayScatterV3", ["ta", "idx", "read", "ta:1"], T(DataType.DtFloat));
        g.Const("alpha", Tensor.FromScalar(1f));
        g.Const("delta", Tensor.Create(new[] { 10f, 10f, 10f, 10f }, 2, 2));
        g.Op("apply", "ApplyGradientDescent", ["v", "alpha", "delta", "^scatter"], T(DataType.DtFloat));
        g.Const("order", Tensor.Create(new[] { 0, 1 }), "apply");
        g.Op("gather", "TensorArrayGatherV3", ["ta", "order", "scatter"], F32, ("element_shape", Shape([2])));
        using var s = new Session(g.Graph);
        s.Run([], targets: ["assign"]);
        var r = s.Run(["gather:0"]);
        Assert.Equal([1f, 2f, 3f, 4f], r[0].ToArray<float>());
        Assert.Equal([-9f, -8f, -7f, -6f], s.Run(["read:0"])[0].ToArray<float>());
        // The second step scatters the updated value and updates it again.
        Assert.Equal([-9f, -8f, -7f, -6f], s.Run(["gather:0"])[0].ToArray<float>());
    }

    [Fact]
    public void SplitWhoseLengthsDoNotSumToTheRows_IsTfsError()
    {
        var g = new ExecGraph();
        g.Const("flat", Tensor.Create(new[] { 1f, 2f, 3f }, 3, 1));
        g.Const("lengths", Tensor.Create(new[] { 1L, 1L }));
        NewArray(g, "tb", 2);
        g.Op("split", "TensorArraySplitV3", ["tb", "flat", "lengths", "tb:1"], T(DataType.DtFloat));
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("split:0"));
        Assert.Contains("Expected sum of lengths to be equal to values.shape[0], but sum of lengths is 2", e.Message);
    }

    [Fact]
    public void GradientArrays_AreKeyedBySource_StartAsZerosOfTheForwardShapes_AndAggregateWrites()
    {
        var g = new ExecGraph();
        g.Const("a", Tensor.Create(new[] { 1f, 2f }));
        g.Const("b", Tensor.Create(new[] { 10f, 20f }));
        NewArray(g, "ta", 2);
        Write(g, "w0", "ta", "ta:1", 0, "a");
        Write(g, "w1", "ta", "w0", 1, "a");
        // Two grad ops with source "gradients" share one array; "gradients_1" gets its own.
        g.Op("grad", "TensorArrayGradV3", ["ta", "w1"], ("source", Str("gradients")));
        g.Op("grad_again", "TensorArrayGradV3", ["ta", "w1"], ("source", Str("gradients")));
        g.Op("grad_other", "TensorArrayGradV3", ["ta", "w1"], ("source", Str("gradients_1")));
        Write(g, "gw0", "grad", "grad:1", 0, "b");
        Write(g, "gw0b", "grad_again", "gw0", 0, "b"); // aggregates: 2·b
        Read(g, "g0", "grad", "gw0b", 0);
        Read(g, "g1", "grad", "gw0b", 1); // never written: zeros of the forward element's shape
        g.Const("other/index", Tensor.FromScalar(0), "g0");
        g.Op("other", "TensorArrayReadV3", ["grad_other", "other/index", "grad_other:1"], F32);
        using var s = new Session(g.Graph);
        var r = s.Run(["g0:0", "g1:0", "other:0"]);
        Assert.Equal([20f, 40f], r[0].ToArray<float>());
        Assert.Equal([0f, 0f], r[1].ToArray<float>());
        Assert.Equal([0f, 0f], r[2].ToArray<float>());
    }

    [Fact]
    public void GradWithShape_PrependsTheShapeToTheForwardElements()
    {
        var g = new ExecGraph();
        g.Const("a", Tensor.Create(new[] { 1f, 2f }));
        NewArray(g, "ta", 1);
        Write(g, "w0", "ta", "ta:1", 0, "a");
        g.Const("prefix", Tensor.Create(new[] { 3 }));
        g.Op("grad", "TensorArrayGradWithShape", ["ta", "w0", "prefix"], ("source", Str("s")));
        Read(g, "g0", "grad", "grad:1", 0);
        using var s = new Session(g.Graph);
        var r = s.Run("g0:0");
        Assert.Equal([3, 2], r.Shape.ToArray());
        Assert.All(r.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void AClosedArray_RefusesFurtherUse()
    {
        var g = new ExecGraph();
        NewArray(g, "ta", 2);
        g.Op("close", "TensorArrayCloseV3", ["ta"]);
        g.Op("size", "TensorArraySizeV3", ["ta", "ta:1", "^close"]);
        using var s = new Session(g.Graph);
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("size:0"));
        Assert.Contains("has already been closed", e.Message);
    }

    [Fact]
    public void WrongDTypeWrite_AndNonArrayHandle_AreClearErrors()
    {
        var g = new ExecGraph();
        g.Const("i", Tensor.Create(new[] { 1 }));
        g.Const("notarray", Tensor.FromScalar(1f));
        NewArray(g, "ta", 1);
        g.Const("w/index", Tensor.FromScalar(0));
        g.Op("w", "TensorArrayWriteV3", ["ta", "w/index", "i", "ta:1"], T(DataType.DtInt32));
        g.Op("size", "TensorArraySizeV3", ["notarray", "ta:1"]);
        using var s = new Session(g.Graph);
        Assert.Contains("TensorArray dtype is float32 but Op is trying to write dtype int32", Assert.Throws<GraphExecutionException>(() => s.Run("w:0")).Message);
        Assert.Contains("is not a TensorArray handle", Assert.Throws<GraphExecutionException>(() => s.Run("size:0")).Message);
    }

    /// <summary>
    /// i = 0; while i &lt; n: ta = ta.write(i, x·i); i += 1 — then ta.stack(): the TF1 while-loop layout
    /// (handle entered as a constant, flow carried as a loop variable), one new array per run.
    /// </summary>
    [Fact]
    public void ArrayWrittenInsideAWhileLoop_StacksTheIterationsValues()
    {
        var g = new ExecGraph();
        var frame = ("frame_name", Str("while/while_context"));
        g.Placeholder("x", DataType.DtFloat, [2]);
        g.Placeholder("n", DataType.DtInt32, []);
        g.Op("ta", "TensorArrayV3", ["n"], F32, ("element_shape", Shape([2])), ("dynamic_size", Bool(false)), ("clear_after_read", Bool(true)), ("tensor_array_name", Str("")));
        g.Const("zero", Tensor.FromScalar(0));
        g.Op("while/Enter", "Enter", ["zero"], T(DataType.DtInt32), frame, ("is_constant", Bool(false)));
        g.Op("while/Enter_1", "Enter", ["ta:1"], T(DataType.DtFloat), frame, ("is_constant", Bool(false)));
        g.Op("while/Merge", "Merge", ["while/Enter", "while/NextIteration"], T(DataType.DtInt32), ("N", Int(2)));
        g.Op("while/Merge_1", "Merge", ["while/Enter_1", "while/NextIteration_1"], T(DataType.DtFloat), ("N", Int(2)));
        g.Op("while/Less/Enter", "Enter", ["n"], T(DataType.DtInt32), frame, ("is_constant", Bool(true)));
        g.Op("while/Less", "Less", ["while/Merge", "while/Less/Enter"], T(DataType.DtInt32));
        g.Op("while/LoopCond", "LoopCond", ["while/Less"]);
        g.Op("while/Switch", "Switch", ["while/Merge", "while/LoopCond"], T(DataType.DtInt32));
        g.Op("while/Switch_1", "Switch", ["while/Merge_1", "while/LoopCond"], T(DataType.DtFloat));
        g.Op("while/Identity", "Identity", ["while/Switch:1"], T(DataType.DtInt32));
        g.Op("while/Identity_1", "Identity", ["while/Switch_1:1"], T(DataType.DtFloat));
        g.Op("while/x", "Enter", ["x"], T(DataType.DtFloat), frame, ("is_constant", Bool(true)));
        g.Op("while/ta", "Enter", ["ta"], T(DataType.DtResource), frame, ("is_constant", Bool(true)));
        g.Op("while/fi", "Cast", ["while/Identity"], ("SrcT", Type(DataType.DtInt32)), ("DstT", Type(DataType.DtFloat)));
        g.Op("while/value", "Mul", ["while/x", "while/fi"], T(DataType.DtFloat));
        g.Op("while/write", "TensorArrayWriteV3", ["while/ta", "while/Identity", "while/value", "while/Identity_1"], T(DataType.DtFloat));
        g.Const("while/one", Tensor.FromScalar(1), "while/Identity");
        g.Op("while/add", "Add", ["while/Identity", "while/one"], T(DataType.DtInt32));
        g.Op("while/NextIteration", "NextIteration", ["while/add"], T(DataType.DtInt32));
        g.Op("while/NextIteration_1", "NextIteration", ["while/write"], T(DataType.DtFloat));
        g.Op("while/Exit_1", "Exit", ["while/Switch_1"], T(DataType.DtFloat));
        g.Op("size", "TensorArraySizeV3", ["ta", "while/Exit_1"]);
        g.Const("start", Tensor.FromScalar(0));
        g.Const("delta", Tensor.FromScalar(1));
        g.Op("range", "Range", ["start", "size", "delta"], ("Tidx", Type(DataType.DtInt32)));
        g.Op("stack", "TensorArrayGatherV3", ["ta", "range", "while/Exit_1"], F32, ("element_shape", Shape([2])));
        using var s = new Session(g.Graph);
        for (int n = 1; n <= 4; n++) // every run makes a fresh array (a reused one would fail: index 0 already written)
        {
            var r = s.Run(["stack:0"], Feeds(("x", Tensor.Create(new[] { 1.5f, -2f })), ("n", Tensor.FromScalar(n))))[0];
            var expected = Enumerable.Range(0, n).SelectMany(i => new[] { 1.5f * i, -2f * i }).ToArray();
            Assert.Equal(expected, r.ToArray<float>());
            Assert.Equal([n, 2], r.Shape.ToArray());
        }
    }
}
