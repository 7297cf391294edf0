using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

/// <summary>StackV2/Push/Pop/Close (TF's stack.cc), ReverseSequence (reverse_sequence_op.cc) and ScatterSub/Add/Update (scatter_op.cc).</summary>
public class StackAndReverseSequenceTests
{
    private static string NewStack(ExecGraph g, string name, int maxSize, DataType type = DataType.DtFloat)
    {
        g.Const(name + "/max_size", Tensor.FromScalar(maxSize));
        return g.Op(name, "StackV2", [name + "/max_size"], ("elem_type", Type(type)), ("stack_name", Str("")));
    }

    [Fact]
    public void PushedValuesPopInReverseOrder()
    {
        var g = new ExecGraph();
        g.Const("a", Tensor.Create(new[] { 1f, 2f }));
        g.Const("b", Tensor.Create(new[] { 3f }));
        NewStack(g, "st", -1);
        g.Op("p0", "StackPushV2", ["st", "a"], T(DataType.DtFloat), ("swap_memory", Bool(false)));
        g.Op("p1", "StackPushV2", ["st", "b", "^p0"], T(DataType.DtFloat), ("swap_memory", Bool(false)));
        g.Op("q0", "StackPopV2", ["st", "^p1"], ("elem_type", Type(DataType.DtFloat)));
        g.Op("q1", "StackPopV2", ["st", "^q0"], ("elem_type", Type(DataType.DtFloat)));
        g.Op("q2", "StackPopV2", ["st", "^q1"], ("elem_type", Type(DataType.DtFloat)));
        using var s = new Session(g.Graph);
        var r = s.Run(["p1:0", "q0:0", "q1:0"]);
        Assert.Equal([3f], r[0].ToArray<float>()); // push outputs its element
        Assert.Equal([3f], r[1].ToArray<float>());
        Assert.Equal([1f, 2f], r[2].ToArray<float>());
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("q2:0"));
        Assert.Contains("is empty when calling Pop()", e.Message);
    }

    [Fact]
    public void PushBeyondMaxSize_WrongType_AndUseAfterClose_AreTfsErrors()
    {
        var g = new ExecGraph();
        g.Const("a", Tensor.Create(new[] { 1f }));
        g.Const("i", Tensor.Create(new[] { 1 }));
        NewStack(g, "st", 1);
        g.Op("p0", "StackPushV2", ["st", "a"], T(DataType.DtFloat));
        g.Op("p1", "StackPushV2", ["st", "a", "^p0"], T(DataType.DtFloat));
        g.Op("pi", "StackPushV2", ["st", "i"], T(DataType.DtInt32));
        g.Op("close", "StackCloseV2", ["st"]);
        g.Op("pc", "StackPushV2", ["st", "a", "^close"], T(DataType.DtFloat));
        using var s = new Session(g.Graph);
        Assert.Contains("overflowed its max_size (1)", Assert.Throws<GraphExecutionException>(() => s.Run("p1:0")).Message);
        Assert.Contains("Must have type float32 but got int32", Assert.Throws<GraphExecutionException>(() => s.Run("pi:0")).Message);
        Assert.Contains("has already been closed", Assert.Throws<GraphExecutionException>(() => s.Run("pc:0")).Message);
    }

    /// <summary>The reference: out[.., b, .., s, ..] = in[.., b, .., len[b]-1-s, ..] for s &lt; len[b], else in itself.</summary>
    private static float[] NaiveReverse(float[] x, int[] shape, int[] lengths, int seqDim, int batchDim)
    {
        var strides = new int[shape.Length];
        strides[^1] = 1;
        for (int d = shape.Length - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int s = i / strides[seqDim] % shape[seqDim], b = i / strides[batchDim] % shape[batchDim];
            int src = s < lengths[b] ? i + (lengths[b] - 1 - 2 * s) * strides[seqDim] : i;
            y[i] = x[src];
        }
        return y;
    }

    [Theory]
    [InlineData(new[] { 5, 3, 2 }, 0, 1)] // time-major [T, B, D]: bidirectional_dynamic_rnn's layout
    [InlineData(new[] { 3, 5, 2 }, 1, 0)] // batch-major [B, T, D]
    [InlineData(new[] { 2, 4, 3, 2 }, 2, 1)] // extra leading and trailing dims
    public void ReverseSequenceMatchesTheNaiveDefinition(int[] shape, int seqDim, int batchDim)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var x = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        var rng = new Random(3);
        var lengths = Enumerable.Range(0, shape[batchDim]).Select(_ => rng.Next(0, shape[seqDim] + 1)).ToArray();
        lengths[0] = shape[seqDim];
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat);
        g.Placeholder("len", DataType.DtInt64);
        g.Op("rev", "ReverseSequence", ["x", "len"], T(DataType.DtFloat), ("Tlen", Type(DataType.DtInt64)), ("seq_dim", Int(seqDim)), ("batch_dim", Int(batchDim)));
        using var s = new Session(g.Graph);
        var r = s.Run("rev:0", ("x", Tensor.Create(x, shape)), ("len", Tensor.Create(lengths.Select(l => (long)l).ToArray())));
        Assert.Equal(NaiveReverse(x, shape, lengths, seqDim, batchDim), r.ToArray<float>());
        Assert.Equal(shape, r.Shape.ToArray());
    }

    [Fact]
    public void ReverseSequenceRejectsLengthsTheInputCannotHold()
    {
        var g = new ExecGraph();
        g.Placeholder("x", DataType.DtFloat);
        g.Placeholder("len", DataType.DtInt32);
        g.Op("rev", "ReverseSequence", ["x", "len"], T(DataType.DtFloat), ("Tlen", Type(DataType.DtInt32)), ("seq_dim", Int(1)), ("batch_dim", Int(0)));
        using var s = new Session(g.Graph);
        var x = Tensor.Create(new float[6], 2, 3);
        Assert.Contains("seq_lens(1) > input.dims(1)", Assert.Throws<GraphExecutionException>(() => s.Run("rev:0", ("x", x), ("len", Tensor.Create(new[] { 1, 4 })))).Message);
        Assert.Contains("Length of seq_lengths != input.dims(0), (3 vs. 2)", Assert.Throws<GraphExecutionException>(() => s.Run("rev:0", ("x", x), ("len", Tensor.Create(new[] { 1, 1, 1 })))).Message);
        Assert.Contains("seq_lens(0) < 0", Assert.Throws<GraphExecutionException>(() => s.Run("rev:0", ("x", x), ("len", Tensor.Create(new[] { -1, 1 })))).Message);
    }

    [Fact]
    public void ScatterSubAddsUpRepeatedIndices_ScatterUpdateAssigns_OutOfRangeIsAnError()
    {
        var g = new ExecGraph();
        g.Variable("v", DataType.DtFloat, 3, 2);
        g.Const("init", Tensor.Create(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 3, 2));
        g.Op("assign", "Assign", ["v", "init"], T(DataType.DtFloat));
        g.Placeholder("idx", DataType.DtInt32);
        g.Placeholder("upd", DataType.DtFloat);
        g.Op("sub", "ScatterSub", ["v", "idx", "upd"], T(DataType.DtFloat), ("Tindices", Type(DataType.DtInt32)), ("use_locking", Bool(false)));
        g.Op("set", "ScatterUpdate", ["v", "idx", "upd"], T(DataType.DtFloat), ("Tindices", Type(DataType.DtInt32)));
        using var s = new Session(g.Graph);
        s.RunTargets("assign");
        var r = s.Run("sub:0", ("idx", Tensor.Create(new[] { 2, 0, 2 })), ("upd", Tensor.Create(new[] { 1f, 1f, 10f, 10f, 2f, 3f }, 3, 2)));
        Assert.Equal([-9f, -8f, 3f, 4f, 2f, 2f], r.ToArray<float>());
        var u = s.Run("set:0", ("idx", Tensor.Create(new[] { 1 })), ("upd", Tensor.Create(new[] { 7f, 8f }, 1, 2)));
        Assert.Equal([-9f, -8f, 7f, 8f, 2f, 2f], u.ToArray<float>());
        var e = Assert.Throws<GraphExecutionException>(() => s.Run("sub:0", ("idx", Tensor.Create(new[] { 3 })), ("upd", Tensor.Create(new[] { 1f, 1f }, 1, 2))));
        Assert.Contains("indices[0] = 3 is not in [0, 3)", e.Message);
    }
}
