using System.Net;
using System.Text.Json;

namespace TypedGraph.Server.Tests;

/// <summary>
/// The REST API called as TF Serving's REST docs do (api_rest.md): status, metadata, row and columnar predict,
/// multi-output and multi-input signatures, b64 bytes, NaN tokens; answers checked against <see cref="TestModel.Predict"/>.
/// </summary>
public sealed class PredictApiTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-serve-").FullName;
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        TestModel.WriteSavedModel(Path.Combine(_dir, "1"), 1);
        _server = await RunningServer.StartAsync(_dir);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    internal static float[] Floats(JsonElement e)
    {
        var list = new List<float>();
        void Walk(JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Array) foreach (var i in v.EnumerateArray()) Walk(i);
            else list.Add(v.GetSingle());
        }
        Walk(e);
        return [.. list];
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"[{i}] {expected[i]} vs {actual[i]}");
    }

    [Fact]
    public async Task Model_status_lists_version_1_as_available_with_ok_status()
    {
        var (status, body, _) = await _server.GetAsync("v1/models/mlp");
        Assert.Equal(HttpStatusCode.OK, status);
        var versions = body.GetProperty("model_version_status");
        Assert.Equal(1, versions.GetArrayLength());
        var v = versions[0];
        Assert.Equal("1", v.GetProperty("version").GetString());
        Assert.Equal("AVAILABLE", v.GetProperty("state").GetString());
        Assert.Equal("OK", v.GetProperty("status").GetProperty("error_code").GetString());
        Assert.Equal("", v.GetProperty("status").GetProperty("error_message").GetString());
        var (s1, b1, _) = await _server.GetAsync("v1/models/mlp/versions/1");
        Assert.Equal(HttpStatusCode.OK, s1);
        Assert.Equal("1", b1.GetProperty("model_version_status")[0].GetProperty("version").GetString());
    }

    [Fact]
    public async Task Metadata_gives_model_spec_and_each_signature_with_dtype_shape_and_tensor_name()
    {
        var (status, body, text) = await _server.GetAsync("v1/models/mlp/metadata");
        Assert.Equal(HttpStatusCode.OK, status);
        var spec = body.GetProperty("model_spec");
        Assert.Equal("mlp", spec.GetProperty("name").GetString());
        Assert.Equal("1", spec.GetProperty("version").GetString());
        Assert.Equal("", spec.GetProperty("signature_name").GetString());
        var sigs = body.GetProperty("metadata").GetProperty("signature_def").GetProperty("signature_def");
        Assert.Equal(["both", "echo", "serving_default", "two_inputs"], sigs.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        var sd = sigs.GetProperty("serving_default");
        Assert.Equal("tensorflow/serving/predict", sd.GetProperty("method_name").GetString());
        var x = sd.GetProperty("inputs").GetProperty("x");
        Assert.Equal("DT_FLOAT", x.GetProperty("dtype").GetString());
        Assert.Equal("x:0", x.GetProperty("name").GetString());
        var dims = x.GetProperty("tensor_shape").GetProperty("dim");
        Assert.Equal(["-1", "3"], dims.EnumerateArray().Select(d => d.GetProperty("size").GetString()));
        Assert.False(x.GetProperty("tensor_shape").GetProperty("unknown_rank").GetBoolean());
        Assert.Equal("DT_STRING", sigs.GetProperty("echo").GetProperty("inputs").GetProperty("text").GetProperty("dtype").GetString());
    }

    [Fact]
    public async Task Row_format_instances_give_one_prediction_list_per_instance()
    {
        float[] x = [1, 2, 3, -4, 0.5f, 6];
        var (status, body, text) = await _server.PostAsync("v1/models/mlp:predict", "{\"instances\": [[1.0, 2.0, 3.0], [-4, 0.5, 6]]}");
        Assert.True(status == HttpStatusCode.OK, text);
        var p = body.GetProperty("predictions");
        Assert.Equal(2, p.GetArrayLength());
        Assert.Equal(2, p[0].GetArrayLength());
        AssertClose(TestModel.Predict(1, x), Floats(p));
    }

    [Fact]
    public async Task Columnar_inputs_give_outputs_and_the_version_url_selects_the_same_model()
    {
        float[] x = [0.5f, 0.25f, -1];
        var (status, body, text) = await _server.PostAsync("v1/models/mlp/versions/1:predict", "{\"signature_name\": \"serving_default\", \"inputs\": {\"x\": [[0.5, 0.25, -1]]}}");
        Assert.True(status == HttpStatusCode.OK, text);
        AssertClose(TestModel.Predict(1, x), Floats(body.GetProperty("outputs")));
        Assert.Equal(JsonValueKind.Array, body.GetProperty("outputs")[0].ValueKind);
        // The single-input shortcut: "inputs" is the tensor itself.
        var (s2, b2, _) = await _server.PostAsync("v1/models/mlp:predict", "{\"inputs\": [[0.5, 0.25, -1]]}");
        Assert.Equal(HttpStatusCode.OK, s2);
        AssertClose(TestModel.Predict(1, x), Floats(b2.GetProperty("outputs")));
    }

    [Fact]
    public async Task Several_outputs_come_back_as_objects_per_row_and_an_object_of_columns()
    {
        float[] x = [1, 0, -1, 2, 2, 2];
        var y = TestModel.Predict(1, x);
        var (status, body, text) = await _server.PostAsync("v1/models/mlp:predict", "{\"signature_name\": \"both\", \"instances\": [[1, 0, -1], [2, 2, 2]]}");
        Assert.True(status == HttpStatusCode.OK, text);
        var rows = body.GetProperty("predictions");
        for (int r = 0; r < 2; r++)
        {
            AssertClose(y[(r * 2)..(r * 2 + 2)], Floats(rows[r].GetProperty("y")));
            float a = y[r * 2], b = y[r * 2 + 1], m = Math.Max(a, b);
            float ea = MathF.Exp(a - m), eb = MathF.Exp(b - m);
            AssertClose([ea / (ea + eb), eb / (ea + eb)], Floats(rows[r].GetProperty("probs")));
        }
        var (s2, b2, _) = await _server.PostAsync("v1/models/mlp:predict", "{\"signature_name\": \"both\", \"inputs\": {\"x\": [[1, 0, -1], [2, 2, 2]]}}");
        Assert.Equal(HttpStatusCode.OK, s2);
        AssertClose(y, Floats(b2.GetProperty("outputs").GetProperty("y")));
    }

    [Fact]
    public async Task Two_named_inputs_in_row_objects_and_in_columns_are_added()
    {
        var (status, body, text) = await _server.PostAsync("v1/models/mlp:predict",
            "{\"signature_name\": \"two_inputs\", \"instances\": [{\"a\": [1, 2, 3], \"c\": [10, 20, 30]}, {\"a\": [0, 0, 1], \"c\": [1, 1, 1]}]}");
        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal([11f, 22, 33, 1, 1, 2], Floats(body.GetProperty("predictions")));
        var (s2, b2, t2) = await _server.PostAsync("v1/models/mlp:predict",
            "{\"signature_name\": \"two_inputs\", \"inputs\": {\"a\": [[1, 2, 3]], \"c\": [[-1, -2, -3]]}}");
        Assert.True(s2 == HttpStatusCode.OK, t2);
        Assert.Equal([0f, 0, 0], Floats(b2.GetProperty("outputs")));
    }

    [Fact]
    public async Task B64_strings_go_in_as_bytes_and_bytes_outputs_come_back_as_b64()
    {
        byte[] raw = [0, 0xff, 0x80, (byte)'h', (byte)'i'];
        var utf8 = "héllo"u8.ToArray();
        var json = $"{{\"signature_name\": \"echo\", \"instances\": [{{\"b64\": \"{Convert.ToBase64String(raw)}\"}}, {{\"b64\": \"{Convert.ToBase64String(utf8)}\"}}]}}";
        var (status, body, text) = await _server.PostAsync("v1/models/mlp:predict", json);
        Assert.True(status == HttpStatusCode.OK, text);
        var rows = body.GetProperty("predictions");
        Assert.Equal(raw, Convert.FromBase64String(rows[0].GetProperty("out_bytes").GetProperty("b64").GetString()!));
        Assert.Equal(utf8, Convert.FromBase64String(rows[1].GetProperty("out_bytes").GetProperty("b64").GetString()!));
        Assert.Equal("héllo", rows[1].GetProperty("out").GetString());
        // Plain JSON strings are taken as UTF-8 text.
        var (s2, b2, _) = await _server.PostAsync("v1/models/mlp:predict", "{\"signature_name\": \"echo\", \"inputs\": {\"text\": [\"foo\", \"bar\"]}}");
        Assert.Equal(HttpStatusCode.OK, s2);
        Assert.Equal(["foo", "bar"], b2.GetProperty("outputs").GetProperty("out").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task NaN_and_Infinity_tokens_are_accepted_and_written_back_as_tokens()
    {
        var (status, _, text) = await _server.PostAsync("v1/models/mlp:predict", "{\"instances\": [[NaN, 0, 0], [Infinity, 0, 0]]}");
        Assert.True(status == HttpStatusCode.OK, text);
        var doc = Json.JsonValue.Parse(System.Text.Encoding.UTF8.GetBytes(text));
        var rows = doc.Find("predictions")!.Items;
        Assert.True(double.IsNaN(rows[0].Items[0].Double) && double.IsNaN(rows[0].Items[1].Double));
        // x = [inf, 0, 0]: y = inf·W[0,:] + b = [+inf, -inf] for W[0,:] = [1, -2].
        Assert.Equal(double.PositiveInfinity, rows[1].Items[0].Double);
        Assert.Equal(double.NegativeInfinity, rows[1].Items[1].Double);
    }
}
