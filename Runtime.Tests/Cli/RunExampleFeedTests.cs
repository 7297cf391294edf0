using System.Text;
using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Kernels.ExampleParsingTests;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary><c>typedgraph run --feed inputs=@examples.tfrecord</c> (or a <c>|S</c> .npy) into a ParseExample graph.</summary>
public class RunExampleFeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-run-ex").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // inputs (string [-1]) → ParseExample with one dense float feature "x" of shape [2], default [0, 0].
    private string ParseGraph()
    {
        var def = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        var ph = new NodeDef { Name = "inputs", Op = "Placeholder" };
        ph.Attr["dtype"] = ExecGraph.Type(DataType.DtString);
        ph.Attr["shape"] = ExecGraph.Shape([-1]);
        def.Node.Add(ph);
        NodeDef Const(string name, Tensor t)
        {
            var n = new NodeDef { Name = name, Op = "Const" };
            n.Attr["dtype"] = ExecGraph.Type(t.DType);
            n.Attr["value"] = new AttrValue { Tensor = TensorProtos.FromTensor(t) };
            return n;
        }
        def.Node.Add(Const("names", Tensor.FromStrings([], 0)));
        def.Node.Add(Const("key_x", Tensor.FromString("x")));
        def.Node.Add(Const("default_x", Tensor.Create(new[] { 0f, 0f }, 2)));
        var parse = new NodeDef { Name = "ParseExample/ParseExample", Op = "ParseExample", Input = { "inputs", "names", "key_x", "default_x" } };
        parse.Attr["Nsparse"] = ExecGraph.Int(0);
        parse.Attr["Ndense"] = ExecGraph.Int(1);
        parse.Attr["sparse_types"] = ExecGraph.Types();
        parse.Attr["Tdense"] = ExecGraph.Types(DataType.DtFloat);
        var shapes = new AttrValue { List = new AttrValue.Types.ListValue() };
        shapes.List.Shape.Add(new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 2 } } });
        parse.Attr["dense_shapes"] = shapes;
        def.Node.Add(parse);
        var path = Path.Combine(_dir, "parse.pb");
        File.WriteAllBytes(path, def.ToByteArray());
        return path;
    }

    [Fact]
    public void TfRecordFeed_IsAVectorOfSerializedExamples()
    {
        var records = Path.Combine(_dir, "examples.tfrecord");
        TfRecord.WriteAll(records, [Ex(("x", Floats(1.5f, -2))), Ex(), Ex(("x", Floats(3, 4)))]);
        var (code, output, err) = Run("run", ParseGraph(), "--feed", "inputs=@" + records, "--fetch", "ParseExample/ParseExample:0", "--json");
        Assert.True(code == 0, err);
        var o = JsonDocument.Parse(output).RootElement.GetProperty("outputs")[0];
        Assert.Equal([3, 2], o.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        var values = o.GetProperty("values").EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetSingle()).ToArray();
        Assert.Equal(new[] { 1.5f, -2f, 0f, 0f, 3f, 4f }, values);
    }

    [Fact]
    public void NpyOfFixedWidthBytes_FeedsEachElementWithoutTrailingNuls()
    {
        var a = Ex(("x", Floats(7, 8)));
        var b = Ex(("x", Floats(9, 10)));
        int width = Math.Max(a.Length, b.Length);
        var header = $"{{'descr': '|S{width}', 'fortran_order': False, 'shape': (2,), }}";
        header = header.PadRight(64 - 10 - 1) + "\n";
        var npy = new List<byte> { 0x93 };
        npy.AddRange("NUMPY"u8.ToArray());
        npy.Add(1); npy.Add(0);
        npy.Add((byte)(header.Length & 0xff)); npy.Add((byte)(header.Length >> 8));
        npy.AddRange(Encoding.ASCII.GetBytes(header));
        foreach (var r in new[] { a, b }) { npy.AddRange(r); npy.AddRange(new byte[width - r.Length]); }
        var path = Path.Combine(_dir, "examples.npy");
        File.WriteAllBytes(path, npy.ToArray());
        var (code, output, err) = Run("run", ParseGraph(), "--feed", "inputs=@" + path, "--fetch", "ParseExample/ParseExample:0", "--json");
        Assert.True(code == 0, err);
        var values = JsonDocument.Parse(output).RootElement.GetProperty("outputs")[0].GetProperty("values")
            .EnumerateArray().SelectMany(r => r.EnumerateArray()).Select(v => v.GetSingle()).ToArray();
        Assert.Equal(new[] { 7f, 8f, 9f, 10f }, values);
    }

    [Fact]
    public void CorruptTfRecordFeed_IsAJsonErrorNamingFileAndRecord()
    {
        var records = Path.Combine(_dir, "bad.tfrecord");
        TfRecord.WriteAll(records, [Ex(("x", Floats(1, 2)))]);
        var bytes = File.ReadAllBytes(records);
        bytes[14] ^= 0xff;
        File.WriteAllBytes(records, bytes);
        var (code, output, err) = Run("run", ParseGraph(), "--feed", "inputs=@" + records, "--fetch", "ParseExample/ParseExample:0", "--json");
        Assert.NotEqual(0, code);
        var error = JsonDocument.Parse(output).RootElement;
        Assert.Equal(nameof(TfRecordFormatException), error.GetProperty("kind").GetString());
        Assert.Contains("bad.tfrecord", error.GetProperty("error").GetString());
        Assert.Contains("record 0", error.GetProperty("error").GetString());
    }
}
