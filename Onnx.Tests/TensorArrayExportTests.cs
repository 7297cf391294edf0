using Microsoft.ML.OnnxRuntime;
using TypedGraph.Building;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// TF1 TensorArrays built with <see cref="GraphBuilder"/> in tensor_array_ops.py's layout (TensorArrayV3 handle + flow,
/// unstack = Range + TensorArrayScatterV3, stack = Size + Range + TensorArrayGatherV3) inside TF1 while loops, exported
/// as ONNX sequences and run by ONNX Runtime against our Session; our values are also checked against plain C# here.
/// </summary>
public class TensorArrayExportTests(ITestOutputHelper log)
{
    [Fact]
    public void MapFnOverTensorArraysMatchesOrtAndAPlainLoop()
    {
        // tf.map_fn(lambda e: tanh(e·w) + sum(e), x): unstack x, read row i, write f(row) at i, stack.
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var wv = new float[] { 0.5f, -1, 0.25f, 2, 0, -0.5f };
        var w = b.Constant(wv, [3, 2], "w");
        var y = b.MapFn(e => b.Add(b.Tanh(b.Squeeze(b.MatMul(b.ExpandDims(e, 0), w), [0])), b.ReduceSum(e, [0])), x);
        var output = b.Identity(y, "y").Name;
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0"], [output]);
        Assert.Single(model.Graph.Node, n => n.OpType == "Loop");
        Assert.Contains(model.Graph.Node, n => n.OpType == "SplitToSequence");

        foreach (int n in new[] { 1, 5 })
        {
            var xv = OrtCheck.RandomFloats(30 + n, -2, 2, n, 3);
            var r = OrtCheck.Compare(model, session, [("x:0", xv)], [output]);
            log.WriteLine($"map_fn n = {n}: max error {r.Worst:E2}");
            var xs = xv.ToArray<float>();
            var ours = r.Ours[output].ToArray<float>();
            Assert.Equal(n * 2, ours.Length);
            for (int i = 0; i < n; i++)
                for (int j = 0; j < 2; j++)
                {
                    float dot = 0, sum = 0;
                    for (int k = 0; k < 3; k++) (dot, sum) = (dot + xs[i * 3 + k] * wv[k * 2 + j], sum + xs[i * 3 + k]);
                    Assert.Equal(MathF.Tanh(dot) + sum, ours[i * 2 + j], 5);
                }
        }
    }

    /// <summary>
    /// map_fn over an empty batch: TF stacks the empty result array to [0, element_shape…] when the stack's element
    /// shape is fully defined (TensorArrayPackOrGatherOp). ORT's ConcatFromSequence refuses an empty sequence, so the
    /// export stacks through If(SequenceLength == 0, ConstantOfShape([0, 3]), ConcatFromSequence); both batches match.
    /// </summary>
    [Fact]
    public void MapFnOverAnEmptyBatchStacksToShapeZeroByThreeLikeTf()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var y = b.MapFn(e => b.Add(b.Multiply(e, 2.0), b.Constant(1f, "one")), x);
        var output = b.Identity(y, "y").Name;
        var gather = b.Graph.Nodes.Single(n => n.Op == "TensorArrayGatherV3" && n.Name.StartsWith("map/TensorArrayStack", StringComparison.Ordinal));
        Assert.Equal([3L], gather.GetShape("element_shape")!.Dim.Select(d => d.Size)); // the shape TF would have inferred
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0"], [output]);
        Assert.Contains(model.Graph.Node, n => n.OpType == "If");

        foreach (int n in new[] { 0, 2 })
        {
            var xv = OrtCheck.RandomFloats(60 + n, -2, 2, n, 3);
            var r = OrtCheck.Compare(model, session, [("x:0", xv)], [output]);
            log.WriteLine($"map_fn n = {n}: max error {r.Worst:E2}");
            Assert.Equal([n, 3], r.Ours[output].Shape.ToArray());
            Assert.Equal(xv.ToArray<float>().Select(v => v * 2 + 1), r.Ours[output].ToArray<float>());
        }
    }

    /// <summary>
    /// ta.split(x, lengths) with fed lengths, a read of element 1, and ta.concat(): Split → SplitToSequence with the
    /// lengths, Concat → ConcatFromSequence(axis 0). Element 1 is rows lengths[0] … of x and the concat gives x back
    /// (checked here); an empty split (x of 0 rows, no lengths) concatenates to [0, 2] as in TF.
    /// </summary>
    [Fact]
    public void SplitReadAndConcatMatchOrtAndTheRowsOfTheSplitTensor()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2], "x");
        var lens = b.Placeholder(DataType.DtInt32, [-1], "lens");
        var n = b.Gather(b.Shape(lens), b.Constant(0, "zero"), name: "n");
        // Element 1 is read and then concatenated: TF requires clear_after_read = false for reading it twice.
        var ta = b.TensorArray(n, DataType.DtFloat, elementShape: [-1, 2], clearAfterRead: false, name: "pieces");
        var split = b.TensorArraySplit(ta, x, lens);
        var second = b.Identity(b.TensorArrayRead(split, b.Constant(1, "one")), "second").Name;
        var joined = b.Identity(b.Multiply(b.TensorArrayConcat(split).Value, 3.0), "joined").Name;
        using var session = new Session(b.Graph);
        // The probe run needs lengths that sum to the probe batch (2 rows) and an element 1.
        var probe = new OnnxExportOptions { ProbeInputs = new Dictionary<string, Tensor> { ["lens:0"] = Tensor.Create(new[] { 1, 1 }, 2) } };
        var model = OnnxExporter.Export(session, ["x:0", "lens:0"], [second, joined], probe);
        Assert.Contains(model.Graph.Node, n => n.OpType == "SplitToSequence");

        foreach (var lengths in new[] { new[] { 2, 1, 2 }, new[] { 1, 4 } })
        {
            int rows = lengths.Sum();
            var xv = OrtCheck.RandomFloats(70 + rows, -1, 1, rows, 2);
            var r = OrtCheck.Compare(model, session, [("x:0", xv), ("lens:0", Tensor.Create(lengths, lengths.Length))], [second, joined]);
            log.WriteLine($"split [{string.Join(", ", lengths)}]: max error {r.Worst:E2}");
            var xs = xv.ToArray<float>();
            Assert.Equal(xs.Skip(lengths[0] * 2).Take(lengths[1] * 2), r.Ours[second].ToArray<float>());
            Assert.Equal(xs.Select(v => v * 3), r.Ours[joined].ToArray<float>());
        }

        var concatOnly = OnnxExporter.Export(session, ["x:0", "lens:0"], [joined], probe);
        var empty = OrtCheck.Compare(concatOnly, session, [("x:0", Tensor.Create(Array.Empty<float>(), 0, 2)), ("lens:0", Tensor.Create(Array.Empty<int>(), 0))], [joined]);
        Assert.Equal([0, 2], empty.Ours[joined].Shape.ToArray());
    }

    [Fact]
    public void AConcatWhoseLengthsOutputIsUsedIsRefusedNamingTheNode()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2], "x");
        var lens = b.Placeholder(DataType.DtInt64, [-1], "lens");
        var ta = b.TensorArray(b.Gather(b.Shape(lens), b.Constant(0, "zero")), DataType.DtFloat, elementShape: [-1, 2], name: "pieces");
        var (_, lengths) = b.TensorArrayConcat(b.TensorArraySplit(ta, x, lens), "concat");
        using var session = new Session(b.Graph);
        var probe = new OnnxExportOptions { ProbeInputs = new Dictionary<string, Tensor> { ["lens:0"] = Tensor.Create(new[] { 2L }, 1) } };
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0", "lens:0"], [b.Identity(lengths, "lengths").Name], probe));
        log.WriteLine(e.Message);
        Assert.StartsWith("Cannot export node 'concat' (op TensorArrayConcatV3) to ONNX: its lengths output 'concat:1' is used", e.Message);
    }

    [Fact]
    public void AGradientTensorArrayIsRefusedNamingTheNodeAndSayingItIsTheBackwardPass()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2], "x");
        var ta = b.TensorArrayUnstack(b.TensorArray(b.Gather(b.Shape(x), b.Constant(0, "zero")), DataType.DtFloat, name: "rows"), x);
        var grad = b.AddOperation("TensorArrayGradV3", [ta.Handle, ta.Flow], new Dictionary<string, AttrValue> { ["source"] = Attrs.String("gradients") }, "grad");
        var size = b.OutputOf(b.AddOperation("TensorArraySizeV3", [b.OutputOf(grad, 0), b.OutputOf(grad, 1)], name: "grad_size"));
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [size.Name]));
        log.WriteLine(e.Message);
        Assert.StartsWith("Cannot export node 'grad' (op TensorArrayGradV3) to ONNX", e.Message);
        Assert.Contains("gradient TensorArray belongs to the backward pass", e.Message);
    }

    /// <summary>A growing array (dynamic_size) written in a loop: its size after the loop is one past the last write
    /// (a SequenceLength), and a gather with arbitrary, repeated indices (fed; clear_after_read off, as TF requires for
    /// reading an element twice) picks rows of the stacked elements.</summary>
    [Fact]
    public void GrowingArraySizeAndGatherWithFedIndicesMatchOrt()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2], "x");
        var idx = b.Placeholder(DataType.DtInt32, [-1], "idx");
        var n = b.Gather(b.Shape(x), b.Constant(0, "zero"), name: "n");
        var ta = b.TensorArray(b.Constant(0, "initial_size"), DataType.DtFloat, dynamicSize: true, clearAfterRead: false, name: "acc");
        var res = b.WhileLoop(
            v => b.Less(v[0], n),
            v =>
            {
                var row = b.Gather(x, v[0], name: "row");
                var written = b.TensorArrayWrite(ta.WithFlow(v[1]), v[0], b.Multiply(row, b.Cast(b.Add(v[0], 1), DataType.DtFloat)));
                return [b.Add(v[0], 1), written.Flow];
            },
            [b.Constant(0, "i0"), ta.Flow]);
        var done = ta.WithFlow(res[1]);
        var size = b.Identity(b.TensorArraySize(done), "size").Name;
        var picked = b.Identity(b.TensorArrayGather(done, idx), "picked").Name;
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0", "idx:0"], [size, picked]);
        Assert.Contains(model.Graph.Node, n => n.OpType == "SequenceLength");

        var xv = OrtCheck.RandomFloats(41, -1, 1, 4, 2);
        var idxv = Tensor.Create(new[] { 3, 0, 1, 3, 2 }, 5);
        var r = OrtCheck.Compare(model, session, [("x:0", xv), ("idx:0", idxv)], [size, picked]);
        log.WriteLine($"growing array: max error {r.Worst:E2}");
        Assert.Equal(4, r.Ours[size].Scalar<int>());
        var xs = xv.ToArray<float>();
        var expected = idxv.ToArray<int>().SelectMany(i => new[] { xs[i * 2] * (i + 1), xs[i * 2 + 1] * (i + 1) }).ToArray();
        Assert.Equal(expected, r.Ours[picked].ToArray<float>());
    }

    /// <summary>
    /// Writes in another order than 0, 1, 2, … (here n−1 down to 0) are valid TF but cannot be sequence appends; the
    /// export's SequenceInsert at the written index then fails in ONNX Runtime (position past the end) rather than
    /// producing a different array. Our session gives the reversed rows.
    /// </summary>
    [Fact]
    public void OutOfOrderWritesFailInOrtInsteadOfGivingADifferentArray()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [-1, 2], "x");
        var n = b.Gather(b.Shape(x), b.Constant(0, "zero"), name: "n");
        var ta = b.TensorArray(n, DataType.DtFloat, name: "acc");
        var res = b.WhileLoop(
            v => b.Less(v[0], n),
            v =>
            {
                var written = b.TensorArrayWrite(ta.WithFlow(v[1]), b.Subtract(b.Subtract(n, v[0]), b.Constant(1, "one")), b.Gather(x, v[0], name: "row"));
                return [b.Add(v[0], 1), written.Flow];
            },
            [b.Constant(0, "i0"), ta.Flow]);
        var y = b.Identity(b.TensorArrayStack(ta.WithFlow(res[1])), "y").Name;
        using var session = new Session(b.Graph);
        var model = OnnxExporter.Export(session, ["x:0"], [y]);

        var xv = OrtCheck.RandomFloats(43, -1, 1, 3, 2);
        var ours = session.Run([y], new Dictionary<string, Tensor> { ["x:0"] = xv })[0].ToArray<float>();
        var xs = xv.ToArray<float>();
        Assert.Equal(new[] { xs[4], xs[5], xs[2], xs[3], xs[0], xs[1] }, ours);
        Assert.ThrowsAny<OnnxRuntimeException>(() => OrtCheck.RunOrt(Google.Protobuf.MessageExtensions.ToByteArray(model), [("x:0", xv)], [y]));
        // One row is written at index 0 of an empty array: an append, so ORT agrees.
        OrtCheck.Compare(model, session, [("x:0", OrtCheck.RandomFloats(44, -1, 1, 1, 2))], [y]);
    }

    [Fact]
    public void ScatterToIndicesOtherThanAnUnstackIsRefusedNamingTheNode()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [2, 3], "x");
        var ta = b.TensorArray(b.Constant(2, "size"), DataType.DtFloat, name: "ta");
        var scattered = b.TensorArrayScatter(ta, b.Constant(new[] { 1, 0 }, "indices"), x, name: "swap");
        var y = b.Identity(b.TensorArrayRead(scattered, b.Constant(0, "first")), "y");
        using var session = new Session(b.Graph);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, ["x:0"], [y.Name]));
        log.WriteLine(e.Message);
        Assert.Contains("'swap/TensorArrayScatterV3'", e.Message);
        Assert.Contains("[1, 0]", e.Message);
    }
}
