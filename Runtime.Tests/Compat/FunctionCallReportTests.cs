using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Cli.Commands;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>TF 2.x-compat graphs with a FunctionDefLibrary and StatefulPartitionedCall: reported by node name as
/// unsupported (inspect and Session), and the library survives a read/write byte for byte.</summary>
public sealed class FunctionCallReportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-fn").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static MetaGraphDef Build()
    {
        var g = new ExecGraphDef();
        var meta = new MetaGraphDef { MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "2.3.1" }, GraphDef = g.Def };
        g.Add("x", "Placeholder", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([-1, 2])));
        g.Add("dense/kernel", "VarHandleOp", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape([2, 1])), ("shared_name", Str("dense/kernel")));
        var call = g.Add("StatefulPartitionedCall", "StatefulPartitionedCall", ["x", "dense/kernel"]);
        call.Attr["f"] = new AttrValue { Func = new NameAttrList { Name = "__inference_call_91" } };
        call.Attr["Tin"] = Types(DataType.DtFloat, DataType.DtResource);
        call.Attr["Tout"] = Types(DataType.DtFloat);
        g.Add("Identity", "Identity", ["StatefulPartitionedCall"], T(DataType.DtFloat));
        var fn = new FunctionDef { Signature = new OpDef { Name = "__inference_call_91" } };
        // A body field we do not model (node_def = 3) must survive unchanged.
        var extra = new NodeDef { Name = "MatMul", Op = "MatMul" };
        var raw = new byte[] { 0x1A }.Concat(Varint(extra.CalculateSize())).Concat(extra.ToByteArray()).ToArray();
        var merged = FunctionDef.Parser.ParseFrom(fn.ToByteArray().Concat(raw).ToArray());
        meta.GraphDef.Library = new FunctionDefLibrary();
        meta.GraphDef.Library.Function.Add(merged);
        return meta;
    }

    private static byte[] Varint(int v)
    {
        var l = new List<byte>();
        while (v >= 0x80) { l.Add((byte)(v | 0x80)); v >>= 7; }
        l.Add((byte)v);
        return [.. l];
    }

    [Fact]
    public void InspectListsFunctionCallsByNodeName()
    {
        var path = Path.Combine(_dir, "tf2.meta");
        var bytes = Build().ToByteArray();
        File.WriteAllBytes(path, bytes);
        var meta = MetaGraph.Load(path);
        Assert.Equal(bytes, meta.Proto.ToByteArray()); // the opaque function body round-trips

        var o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["inspect", path], o, new StringWriter()));
        var text = o.ToString();
        Assert.Contains("function library: 1 function(s): __inference_call_91", text);
        Assert.Contains("function call (unsupported: function bodies are not executed): StatefulPartitionedCall op=StatefulPartitionedCall calls=[__inference_call_91]", text);

        o = new StringWriter();
        Assert.Equal(0, CliApp.Run(["inspect", path, "--json"], o, new StringWriter()));
        using var doc = JsonDocument.Parse(o.ToString());
        var call = doc.RootElement.GetProperty("functionCalls")[0];
        Assert.Equal("StatefulPartitionedCall", call.GetProperty("nodeName").GetString());
        Assert.Equal("__inference_call_91", call.GetProperty("functions")[0].GetString());
        Assert.Contains("StatefulPartitionedCall", doc.RootElement.GetProperty("unsupportedOps").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void SessionNamesTheCallingNode()
    {
        var meta = MetaGraph.Parse(Build().ToByteArray(), "tf2.meta");
        using var session = new Session(meta.Graph);
        var e = Assert.Throws<UnsupportedOpException>(() => session.Run("Identity:0", ("x", Tensor.Create(new float[2], 1, 2))));
        Assert.Equal("StatefulPartitionedCall", e.NodeName);
        Assert.Contains("FunctionDefLibrary", e.Message);
    }

    /// <summary>Adds NodeDefs to a GraphDef without validating inputs.</summary>
    private sealed class ExecGraphDef
    {
        public GraphDef Def { get; } = new() { Versions = new VersionDef { Producer = 440 } };

        public NodeDef Add(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
        {
            var n = new NodeDef { Name = name, Op = op };
            n.Input.AddRange(inputs);
            foreach (var (k, v) in attrs) n.Attr[k] = v;
            Def.Node.Add(n);
            return n;
        }
    }
}
