using System.Net;
using System.Text.Json;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Server.Tests;

/// <summary>
/// <c>:classify</c> and <c>:regress</c> with tf.Example JSON, on a SavedModel laid out like a TF estimator export:
/// a string placeholder of serialized Examples → ParseExample (dense "x" float [3]) → logits = x·W + b; the classify
/// signature returns <c>classes</c> (the label names tiled per example) and <c>scores</c> (softmax), the regress
/// signature <c>outputs</c> = the sum of the logits. Answers are checked against a reference computed here.
/// </summary>
public sealed class ClassifyRegressTests : IAsyncLifetime
{
    private static readonly float[] W = [0.5f, -1, 2, 0.25f, -0.5f, 1];
    private static readonly float[] B = [0.1f, -0.2f];
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-serve-cls-").FullName;
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        WriteModel(Path.Combine(_dir, "1"));
        _server = await RunningServer.StartAsync(_dir, name: "census");
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private static NodeDef N(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }

    private static AttrValue Type(DataType t) => new() { Type = t };

    private static NodeDef Const(string name, Tensor value) => N(name, "Const", [], ("dtype", Type(value.DType)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(value) }));

    private static TensorInfo Info(string name, DataType dtype) => new() { Name = name, Dtype = dtype, TensorShape = new TensorShapeProto { UnknownRank = true } };

    private static void WriteModel(string dir)
    {
        Directory.CreateDirectory(dir);
        var F = DataType.DtFloat;
        var g = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        g.Node.Add(N("input_example_tensor", "Placeholder", [], ("dtype", Type(DataType.DtString)), ("shape", new AttrValue { Shape = new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = -1 } } } })));
        g.Node.Add(Const("ParseExample/names", new Tensor(new TensorShape(0), [])));
        g.Node.Add(Const("ParseExample/key_x", Tensor.FromString("x")));
        g.Node.Add(Const("ParseExample/default_x", Tensor.Create(new float[0], 0)));
        var shapes = new AttrValue { List = new AttrValue.Types.ListValue() };
        shapes.List.Shape.Add(new TensorShapeProto { Dim = { new TensorShapeProto.Types.Dim { Size = 3 } } });
        var tdense = new AttrValue { List = new AttrValue.Types.ListValue() };
        tdense.List.Type.Add(F);
        g.Node.Add(N("ParseExample/ParseExample", "ParseExample", ["input_example_tensor", "ParseExample/names", "ParseExample/key_x", "ParseExample/default_x"],
            ("Nsparse", new AttrValue { I = 0 }), ("Ndense", new AttrValue { I = 1 }), ("sparse_types", new AttrValue { List = new AttrValue.Types.ListValue() }),
            ("Tdense", tdense), ("dense_shapes", shapes)));
        g.Node.Add(Const("W", Tensor.Create(W, 3, 2)));
        g.Node.Add(Const("b", Tensor.Create(B, 2)));
        g.Node.Add(N("MatMul", "MatMul", ["ParseExample/ParseExample", "W"], ("T", Type(F)), ("transpose_a", new AttrValue { B = false }), ("transpose_b", new AttrValue { B = false })));
        g.Node.Add(N("logits", "Add", ["MatMul", "b"], ("T", Type(F))));
        g.Node.Add(N("scores", "Softmax", ["logits"], ("T", Type(F))));
        g.Node.Add(Const("sum/axis", Tensor.FromScalar(1)));
        g.Node.Add(N("sum", "Sum", ["logits", "sum/axis"], ("T", Type(F)), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", new AttrValue { B = false })));
        // classes: the label names tiled to [batch, 2], as an estimator's head exports them.
        g.Node.Add(Const("labels", Tensor.FromStrings(["neg", "pos"], 1, 2)));
        g.Node.Add(N("Shape", "Shape", ["logits"], ("T", Type(F)), ("out_type", Type(DataType.DtInt32))));
        g.Node.Add(Const("Slice/begin", Tensor.Create(new[] { 0 }, 1)));
        g.Node.Add(Const("Slice/size", Tensor.Create(new[] { 1 }, 1)));
        g.Node.Add(N("batch", "Slice", ["Shape", "Slice/begin", "Slice/size"], ("T", Type(DataType.DtInt32)), ("Index", Type(DataType.DtInt32))));
        g.Node.Add(Const("one", Tensor.Create(new[] { 1 }, 1)));
        g.Node.Add(Const("concat/axis", Tensor.FromScalar(0)));
        g.Node.Add(N("multiples", "ConcatV2", ["batch", "one", "concat/axis"], ("T", Type(DataType.DtInt32)), ("N", new AttrValue { I = 2 }), ("Tidx", Type(DataType.DtInt32))));
        g.Node.Add(N("classes", "Tile", ["labels", "multiples"], ("T", Type(DataType.DtString)), ("Tmultiples", Type(DataType.DtInt32))));
        var meta = new MetaGraphDef { GraphDef = g, MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { Tags = { "serve" }, TensorflowVersion = "1.15.0" } };
        var classify = new SignatureDef { MethodName = "tensorflow/serving/classify" };
        classify.Inputs["inputs"] = Info("input_example_tensor:0", DataType.DtString);
        classify.Outputs["classes"] = Info("classes:0", DataType.DtString);
        classify.Outputs["scores"] = Info("scores:0", F);
        var regress = new SignatureDef { MethodName = "tensorflow/serving/regress" };
        regress.Inputs["inputs"] = Info("input_example_tensor:0", DataType.DtString);
        regress.Outputs["outputs"] = Info("sum:0", F);
        meta.SignatureDef["serving_default"] = classify;
        meta.SignatureDef["regression"] = regress;
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(meta);
        File.WriteAllBytes(Path.Combine(dir, "saved_model.pb"), model.ToByteArray());
    }

    private static float[] Logits(float[] x)
    {
        var y = new float[2];
        for (int j = 0; j < 2; j++) y[j] = x[0] * W[j] + x[1] * W[2 + j] + x[2] * W[4 + j] + B[j];
        return y;
    }

    private static float[] Softmax(float[] l)
    {
        float m = Math.Max(l[0], l[1]);
        float a = MathF.Exp(l[0] - m), b = MathF.Exp(l[1] - m);
        return [a / (a + b), b / (a + b)];
    }

    [Fact]
    public async Task Classify_parses_each_example_and_returns_label_score_pairs()
    {
        float[][] xs = [[1, 2, 3], [-1, 0.5f, 0]];
        var (status, body, text) = await _server.PostAsync("v1/models/census:classify",
            "{\"examples\": [{\"x\": [1.0, 2.0, 3.0]}, {\"x\": [-1.0, 0.5, 0.0], \"ignored\": \"text\"}]}");
        Assert.True(status == HttpStatusCode.OK, text);
        var results = body.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        for (int i = 0; i < 2; i++)
        {
            var want = Softmax(Logits(xs[i]));
            var pairs = results[i].EnumerateArray().ToList();
            Assert.Equal(["neg", "pos"], pairs.Select(p => p[0].GetString()));
            for (int c = 0; c < 2; c++) Assert.True(Math.Abs(want[c] - pairs[c][1].GetSingle()) < 1e-5, $"{want[c]} vs {pairs[c][1]}");
        }
    }

    [Fact]
    public async Task Context_features_join_every_example()
    {
        var (status, body, text) = await _server.PostAsync("v1/models/census:classify",
            "{\"context\": {\"x\": [0.5, 0.5, 0.5]}, \"examples\": [{}, {\"other\": 1}]}");
        Assert.True(status == HttpStatusCode.OK, text);
        var want = Softmax(Logits([0.5f, 0.5f, 0.5f]));
        foreach (var r in body.GetProperty("results").EnumerateArray())
            Assert.True(Math.Abs(want[1] - r[1][1].GetSingle()) < 1e-5);
    }

    [Fact]
    public async Task Regress_returns_one_value_per_example_from_the_named_signature()
    {
        var (status, body, text) = await _server.PostAsync("v1/models/census:regress",
            "{\"signature_name\": \"regression\", \"examples\": [{\"x\": [1, 2, 3]}, {\"x\": [0.0, 0.0, 0.0]}]}");
        // Integers make an int64 feature, which the float dense feature rejects: TF's ParseExample error, as a 400.
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("x", body.GetProperty("error").GetString());
        (status, body, text) = await _server.PostAsync("v1/models/census:regress",
            "{\"signature_name\": \"regression\", \"examples\": [{\"x\": [1.0, 2.0, 3.0]}, {\"x\": [0.0, 0.0, 0.0]}]}");
        Assert.True(status == HttpStatusCode.OK, text);
        var got = body.GetProperty("results").EnumerateArray().Select(e => e.GetSingle()).ToArray();
        Assert.Equal(2, got.Length);
        Assert.True(Math.Abs(Logits([1, 2, 3]).Sum() - got[0]) < 1e-5);
        Assert.True(Math.Abs(Logits([0, 0, 0]).Sum() - got[1]) < 1e-5);
    }

    [Fact]
    public async Task Wrong_signature_method_and_bad_examples_are_400_with_TF_Serving_messages()
    {
        var (status, body, _) = await _server.PostAsync("v1/models/census:regress", "{\"examples\": [{\"x\": [1.0, 2.0, 3.0]}]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Expected regression signature method_name to be tensorflow/serving/regress. Was: tensorflow/serving/classify", body.GetProperty("error").GetString());
        (status, body, _) = await _server.PostAsync("v1/models/census:classify", "{\"examples\": [{\"x\": [1.0, \"a\"]}]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("Unexpected element type in feature: x expecting type: float", body.GetProperty("error").GetString());
        (status, body, _) = await _server.PostAsync("v1/models/census:classify", "{\"instances\": [1]}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.EndsWith("When method is classify, key 'examples' is expected and was not found", body.GetProperty("error").GetString());
    }

    [Fact]
    public void Example_json_becomes_the_tf_Example_TF_Serving_builds()
    {
        var json = Json.JsonValue.Parse("{\"age\": 42, \"ok\": true, \"w\": [0.5, 1.5], \"name\": \"ann\", \"img\": {\"b64\": \"AAH/\"}}"u8);
        var e = Example.Parser.ParseFrom(Http.TfExampleJson.Serialize(json));
        var f = e.Features.Feature;
        Assert.Equal([42L], f["age"].Int64List.Value);
        Assert.Equal([1L], f["ok"].Int64List.Value);
        Assert.Equal([0.5f, 1.5f], f["w"].FloatList.Value);
        Assert.Equal("ann", f["name"].BytesList.Value[0].ToStringUtf8());
        Assert.Equal(new byte[] { 0, 1, 0xff }, f["img"].BytesList.Value[0].ToByteArray());
    }
}
