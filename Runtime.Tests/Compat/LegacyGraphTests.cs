using System.Text;
using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// Files from TF before 1.0: a GraphDef without a <c>versions</c> field (read as producer 0, so a Placeholder
/// <c>shape {}</c> is unconstrained — TF's Placeholder shape fn for graph_def_version ≤ 21), v1 <c>Variable</c> nodes,
/// and V1 checkpoints (one table per file: metadata under the empty key, each slice under
/// <c>EncodeTensorNameSlice</c>) read and written by the <c>Save</c>/<c>SaveSlices</c>/<c>Restore</c>/<c>RestoreSlice</c>
/// ops. The V1 file here is built byte by byte after tensor_slice_writer.cc, with its keys spelled out in OrderedCode.
/// </summary>
public sealed class LegacyGraphTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-legacy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly float[] W = [0.5f, -1f, 2f, 1.5f, 0.25f, -3f]; // [2, 3]
    private static readonly float[] B = [0.1f, 0.2f, -0.3f]; // [3], saved as two slices

    // EncodeTensorNameSlice (saved_tensor_slice_util.cc) written out in OrderedCode by hand: WriteNumIncreasing(0) = 00,
    // the name then 00 01, WriteNumIncreasing(rank) = 01 rank, then per dim signed start and length, where a small
    // signed value v is the single byte 0x80 + v (so 0 → 80, 1 → 81, 2 → 82, −1 → 7f = "whole dim").
    private static byte[] Key(string name, params byte[] rankAndExtents)
        => [0x00, .. Encoding.ASCII.GetBytes(name), 0x00, 0x01, 0x01, .. rankAndExtents];

    private static TensorSliceProto Full(int rank)
    {
        var p = new TensorSliceProto();
        for (int i = 0; i < rank; i++) p.Extent.Add(new TensorSliceProto.Types.Extent());
        return p;
    }

    private static TensorSliceProto Extents(params (long Start, long Length)[] e)
    {
        var p = new TensorSliceProto();
        foreach (var (s, l) in e) p.Extent.Add(new TensorSliceProto.Types.Extent { Start = s, Length = l });
        return p;
    }

    private static byte[] Slice(string name, TensorSliceProto slice, TensorProto data)
        => new SavedTensorSlices { Data = new SavedSlice { Name = name, Slice = slice, Data = data } }.ToByteArray();

    /// <summary>A V1 checkpoint file: "w" float [2,3] in one whole slice, "b" float [3] as slices [0,1) and [1,3).</summary>
    private string WriteV1File(string fileName = "model.ckpt")
    {
        var meta = new SavedTensorSliceMeta { Versions = new VersionDef { Producer = 1 } };
        var w = new SavedSliceMeta { Name = "w", Type = DataType.DtFloat, Shape = Attrs.ShapeProto([2, 3]) };
        w.Slice.Add(Full(2));
        var b = new SavedSliceMeta { Name = "b", Type = DataType.DtFloat, Shape = Attrs.ShapeProto([3]) };
        b.Slice.Add(Extents((0, 1)));
        b.Slice.Add(Extents((1, 2)));
        meta.Tensor.Add(w);
        meta.Tensor.Add(b);
        var path = Path.Combine(_dir, fileName);
        using (var stream = File.Create(path))
        {
            var table = new TableWriter(stream);
            table.Add([], new SavedTensorSlices { Meta = meta }.ToByteArray());
            // Keys in byte order: "b" slices (start 0, then 1), then "w".
            table.Add(Key("b", 0x01, 0x80, 0x81), Slice("b", Extents((0, 1)), new TensorProto { FloatVal = { B[0] } }));
            table.Add(Key("b", 0x01, 0x81, 0x82), Slice("b", Extents((1, 2)), new TensorProto { FloatVal = { B[1], B[2] } }));
            table.Add(Key("w", 0x02, 0x80, 0x7f, 0x80, 0x7f), Slice("w", Full(2), new TensorProto { FloatVal = { W } }));
            table.Finish();
        }
        return path;
    }

    [Fact]
    public void V1CheckpointFileBuiltByteByByteIsReadWholeAndBySlice()
    {
        var reader = CheckpointV1Reader.Open(WriteV1File());
        Assert.Equal(["b", "w"], reader.Tensors.Select(t => t.Name));
        Assert.Equal([2L, 3L], reader.GetTensor("w").Shape);
        Assert.Equal(DataType.DtFloat, reader.GetTensor("b").DType);
        Assert.Equal(W, reader.Read("w").ToArray<float>());
        Assert.Equal([2, 3], reader.Read("w").Shape.ToArray());
        Assert.Equal(B, reader.Read("b").ToArray<float>()); // assembled from its two slices
        var row1 = reader.ReadSlice("w", TensorSlice.Parse("1,1:-"));
        Assert.Equal([1, 3], row1.Shape.ToArray());
        Assert.Equal(W[3..], row1.ToArray<float>());
        var col2 = reader.ReadSlice("w", TensorSlice.Parse("-:2,1"));
        Assert.Equal([W[2], W[5]], col2.ToArray<float>());
        var ex = Assert.Throws<CheckpointFormatException>(() => reader.Read("missing"));
        Assert.Contains("\"missing\" not found", ex.Message);
    }

    [Fact]
    public void AFileThatIsNotAV1TableIsACheckpointFormatErrorNamingIt()
    {
        var path = Path.Combine(_dir, "junk.ckpt");
        File.WriteAllBytes(path, Enumerable.Range(0, 100).Select(i => (byte)(i * 7)).ToArray());
        var ex = Assert.Throws<CheckpointFormatException>(() => CheckpointV1Reader.Open(path));
        Assert.Contains("junk.ckpt", ex.Message);
        Assert.Throws<CheckpointFormatException>(() => CheckpointV1Reader.Open(Path.Combine(_dir, "none-?????-of-00002")));
    }

    /// <summary>A TF 0.x graph: no versions field; x = Placeholder(shape {}); w, b = Variable (v1); y = x·w + b; the
    /// V1 Saver's nodes (save/Const, save/save = SaveSlices, save/restore_slice[_1] = RestoreSlice, save/Assign[_1],
    /// save/restore_all).</summary>
    private static (Graph Graph, SaverDef Saver) LegacyGraph(VersionDef? versions)
    {
        var b = new GraphBuilder(new Graph(new GraphDef { Versions = versions }));
        var x = b.OutputOf(b.AddOperationExact("x", "Placeholder", [], new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(DataType.DtFloat),
            ["shape"] = Attrs.Shape([]), // TF < 1.0 always wrote this for an unshaped placeholder
        }));
        Output Var(string name, long[] shape)
        {
            var v = b.OutputOf(b.AddOperationExact(name, "Variable", [], new Dictionary<string, AttrValue>
            {
                ["dtype"] = Attrs.Type(DataType.DtFloat),
                ["shape"] = Attrs.Shape(shape),
            }));
            return b.OutputOf(b.AddOperationExact(name + "/read", "Identity", [v]));
        }
        var w = Var("w", [2, 3]);
        var bias = Var("b", [3]);
        b.OutputOf(b.AddOperationExact("y", "Add", [b.MatMul(x, w), bias]));

        var filename = b.OutputOf(b.AddOperationExact("save/Const", "Const", [], new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(DataType.DtString),
            ["value"] = Attrs.Tensor(ConstantEncoder.Encode(Tensor.FromString("model"))),
        }));
        Output StringsConst(string name, bool scalar, params string[] s) => b.OutputOf(b.AddOperationExact(name, "Const", [], new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(DataType.DtString),
            ["value"] = Attrs.Tensor(ConstantEncoder.Encode(scalar ? Tensor.FromString(s[0]) : Tensor.FromStrings(s, s.Length))),
        }));
        var names = StringsConst("save/save/tensor_names", false, "b", "w");
        var specs = StringsConst("save/save/shapes_and_slices", false, "", "");
        var refB = b.GetTensor("b");
        var refW = b.GetTensor("w");
        var save = b.AddOperationExact("save/save", "SaveSlices", [filename, names, specs, refB, refW],
            new Dictionary<string, AttrValue> { ["T"] = Attrs.Types([DataType.DtFloat, DataType.DtFloat]) });
        b.AddOperationExact("save/control_dependency", "Identity", [filename], null, [save.Name]);
        var assigns = new List<string>();
        foreach (var (v, i) in new[] { ("b", 0), ("w", 1) })
        {
            var suffix = i == 0 ? "" : "_" + i;
            var tname = StringsConst($"save/restore_slice{suffix}/tensor_name", true, v);
            var spec = StringsConst($"save/restore_slice{suffix}/shape_and_slice", true, "");
            var restored = b.OutputOf(b.AddOperationExact($"save/restore_slice{suffix}", "RestoreSlice", [filename, tname, spec],
                new Dictionary<string, AttrValue> { ["dt"] = Attrs.Type(DataType.DtFloat) }));
            assigns.Add(b.AddOperationExact($"save/Assign{suffix}", "Assign", [b.GetTensor(v), restored]).Name);
        }
        b.AddOperationExact("save/restore_all", "NoOp", [], null, assigns);
        var saver = new SaverDef
        {
            FilenameTensorName = "save/Const:0", SaveTensorName = "save/control_dependency:0", RestoreOpName = "save/restore_all",
            MaxToKeep = 5, Version = SaverDef.Types.CheckpointFormatVersion.V1,
        };
        return (b.Graph, saver);
    }

    [Fact]
    public void PreV1GraphWithoutVersionsRestoresAV1CheckpointAndTakesAMatrixForAnEmptyShapePlaceholder()
    {
        var ckpt = WriteV1File();
        var (graph, saver) = LegacyGraph(versions: null);
        using var session = new Session(graph);
        session.Restore(ckpt, saver);
        // x has shape attr {} but, in a graph without versions, accepts a [2, 2] matrix.
        float[] x = [1f, 2f, -1f, 0.5f];
        var y = session.Run(["y:0"], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(x, 2, 2) })[0];
        Assert.Equal([2, 3], y.Shape.ToArray());
        var expected = new float[6];
        for (int r = 0; r < 2; r++)
            for (int c = 0; c < 3; c++)
                expected[r * 3 + c] = x[r * 2] * W[c] + x[r * 2 + 1] * W[3 + c] + B[c];
        Assert.Equal(expected, y.ToArray<float>());
    }

    [Fact]
    public void FromProducer22OnAnEmptyPlaceholderShapeIsAScalarAndAMatrixFeedIsRefused()
    {
        var (graph, saver) = LegacyGraph(new VersionDef { Producer = 22 });
        using var session = new Session(graph);
        session.Restore(WriteV1File(), saver);
        var ex = Assert.ThrowsAny<GraphExecutionException>(() => session.Run(["y:0"], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(new float[4], 2, 2) }));
        Assert.Contains("Cannot feed a value of shape [2, 2] to 'x:0'", ex.Message);
        // Producer 21 still reads it as unconstrained (TF's constant_op_test imports exactly such a graph).
        var (graph21, saver21) = LegacyGraph(new VersionDef { Producer = 21 });
        using var s21 = new Session(graph21);
        s21.Restore(WriteV1File("m21.ckpt"), saver21);
        Assert.Equal([2, 3], s21.Run(["y:0"], new Dictionary<string, Tensor> { ["x:0"] = Tensor.Create(new float[4], 2, 2) })[0].Shape.ToArray());
    }

    [Fact]
    public void SaveSlicesWritesAV1FileThatRestoreAndOurReaderReadBack()
    {
        var (graph, saver) = LegacyGraph(versions: null);
        using var session = new Session(graph);
        session.Restore(WriteV1File(), saver);
        // Change w, save through the graph's own SaveSlices op, read it back.
        session.Run([], new Dictionary<string, Tensor> { ["save/restore_slice_1:0"] = Tensor.Create(W.Select(v => v * 10).ToArray(), 2, 3) }, ["save/Assign_1"]);
        var saved = Path.Combine(_dir, "out", "model.ckpt");
        session.Run([saver.SaveTensorName], new Dictionary<string, Tensor> { [saver.FilenameTensorName] = Tensor.FromString(saved) });
        var reader = CheckpointV1Reader.Open(saved);
        Assert.Equal(W.Select(v => v * 10), reader.Read("w").ToArray<float>());
        Assert.Equal(B, reader.Read("b").ToArray<float>());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(saved)!, ".*")); // no temporary left behind

        // A Restore op (whole tensor, v1) and a RestoreSlice of a part read the same file.
        var g = new GraphBuilder();
        var file = g.Constant(saved, "file");
        var restore = g.OutputOf(g.AddOperation("Restore", [file, g.Constant("w", "name")], new Dictionary<string, AttrValue> { ["dt"] = Attrs.Type(DataType.DtFloat) }));
        var part = g.OutputOf(g.AddOperation("RestoreSlice", [file, g.Constant("w", "name2"), g.Constant("2 3 1,1:0,2", "spec")], new Dictionary<string, AttrValue> { ["dt"] = Attrs.Type(DataType.DtFloat) }));
        var wrong = g.OutputOf(g.AddOperation("Restore", [file, g.Constant("w", "name3")], new Dictionary<string, AttrValue> { ["dt"] = Attrs.Type(DataType.DtInt32) }));
        using var s = new Session(g.Graph);
        var got = s.Run([restore.Name, part.Name]);
        Assert.Equal(W.Select(v => v * 10), got[0].ToArray<float>());
        Assert.Equal([W[3] * 10, W[4] * 10], got[1].ToArray<float>());
        Assert.Equal([1, 2], got[1].Shape.ToArray());
        var ex = Assert.ThrowsAny<GraphExecutionException>(() => s.Run([wrong.Name]));
        Assert.Contains("float", ex.Message);
    }
    [Fact]
    public void RestoreV2FallsBackToTheV1ReaderWhenThePrefixHasNoIndex()
    {
        var file = WriteV1File();
        var g = new GraphBuilder();
        var node = g.AddOperation("RestoreV2", [g.Constant(file, "prefix"), g.Constant(Tensor.FromStrings(["w", "b"], 2), "tensor_names"),
            g.Constant(Tensor.FromStrings(["", "3 1,2"], 2), "shape_and_slices")],
            new Dictionary<string, AttrValue> { ["dtypes"] = Attrs.Types([DataType.DtFloat, DataType.DtFloat]) });
        using var s = new Session(g.Graph);
        var got = s.Run([g.OutputOf(node, 0).Name, g.OutputOf(node, 1).Name]);
        Assert.Equal(W, got[0].ToArray<float>());
        Assert.Equal(B[1..], got[1].ToArray<float>()); // the slice [1, 3) of b: its second saved slice
    }
}
