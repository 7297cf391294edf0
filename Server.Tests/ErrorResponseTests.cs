using System.Net;
using System.Text.Json;

namespace TypedGraph.Server.Tests;

/// <summary>Bad requests get TF Serving's error shape <c>{ "error": "…" }</c> with the HTTP status of the TF error code and its message.</summary>
public sealed class ErrorResponseTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-serve-err-").FullName;
    private RunningServer _server = null!;

    public async Task InitializeAsync()
    {
        TestModel.WriteSavedModel(Path.Combine(_dir, "1"), 1);
        _server = await RunningServer.StartAsync(_dir, maxBody: 4096);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_dir, true);
    }

    private static string Error(JsonElement body, string text)
    {
        Assert.True(body.ValueKind == JsonValueKind.Object, text);
        var props = body.EnumerateObject().ToList();
        Assert.Single(props);
        Assert.Equal("error", props[0].Name);
        return props[0].Value.GetString()!;
    }

    private async Task<string> PostError(string path, string json, HttpStatusCode expected)
    {
        var (status, body, text) = await _server.PostAsync(path, json);
        Assert.True(expected == status, $"{status}: {text}");
        return Error(body, text);
    }

    [Fact]
    public async Task Unknown_model_is_404_servable_not_found()
    {
        Assert.Equal("Servable not found for request: Latest(half)", await PostError("v1/models/half:predict", "{\"instances\": [[1,2,3]]}", HttpStatusCode.NotFound));
        Assert.Equal("Servable not found for request: Specific(mlp, 7)", await PostError("v1/models/mlp/versions/7:predict", "{\"instances\": [[1,2,3]]}", HttpStatusCode.NotFound));
        var (status, body, text) = await _server.GetAsync("v1/models/half");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Could not find any versions of model half", Error(body, text));
        var (s2, b2, t2) = await _server.GetAsync("v1/models/mlp/versions/3");
        Assert.Equal(HttpStatusCode.NotFound, s2);
        Assert.Equal("Could not find version 3 of model mlp", Error(b2, t2));
    }

    [Fact]
    public async Task Unknown_signature_is_400_naming_it()
    {
        Assert.Equal("Serving signature name: \"nope\" not found in signature def",
            await PostError("v1/models/mlp:predict", "{\"signature_name\": \"nope\", \"instances\": [[1,2,3]]}", HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Unknown_or_missing_input_names_are_400()
    {
        var msg = await PostError("v1/models/mlp:predict", "{\"signature_name\": \"two_inputs\", \"instances\": [{\"a\": [1,2,3], \"zz\": [1,2,3]}]}", HttpStatusCode.BadRequest);
        Assert.Equal("Failed to process element: 0 key: zz of 'instances' list. Error: INVALID_ARGUMENT: JSON object: does not have named input: zz", msg);
        var missing = await PostError("v1/models/mlp:predict", "{\"signature_name\": \"two_inputs\", \"inputs\": {\"a\": [[1,2,3]]}}", HttpStatusCode.BadRequest);
        Assert.Equal("Missing named input: c in 'inputs' object.", missing);
        var plain = await PostError("v1/models/mlp:predict", "{\"signature_name\": \"two_inputs\", \"instances\": [[1,2,3]]}", HttpStatusCode.BadRequest);
        Assert.StartsWith("instances is a plain list, but expecting list of objects", plain);
    }

    [Fact]
    public async Task Malformed_json_is_400_json_parse_error_with_offset()
    {
        var msg = await PostError("v1/models/mlp:predict", "{\"instances\": [[1,2,3]", HttpStatusCode.BadRequest);
        Assert.Equal("JSON Parse error: Missing a comma or ']' after an array element. at offset: 22", msg);
        Assert.Equal("JSON Parse error: The document is empty", await PostError("v1/models/mlp:predict", "", HttpStatusCode.BadRequest));
        Assert.Equal("Missing 'inputs' or 'instances' key", await PostError("v1/models/mlp:predict", "{\"foo\": 1}", HttpStatusCode.BadRequest));
        Assert.Contains("Not formatted correctly expecting only one of 'inputs' or 'instances' keys to exist",
            await PostError("v1/models/mlp:predict", "{\"inputs\": [[1,2,3]], \"instances\": [[1,2,3]]}", HttpStatusCode.BadRequest));
    }

    [Fact]
    public async Task Wrong_shapes_and_types_are_400_with_the_reason()
    {
        var ragged = await PostError("v1/models/mlp:predict", "{\"instances\": [[1,2,3], [4,5]]}", HttpStatusCode.BadRequest);
        Assert.Equal("Failed to process element: 1 of 'instances' list. Error: INVALID_ARGUMENT: Expecting tensor size: 3 but got: 2", ragged);
        var width = await PostError("v1/models/mlp:predict", "{\"instances\": [[1,2], [4,5]]}", HttpStatusCode.BadRequest);
        Assert.Equal("Signature 'serving_default' input 'x' (x:0) has shape [?,3], but the request gives a tensor of shape [2,2].", width);
        var type = await PostError("v1/models/mlp:predict", "{\"instances\": [[\"a\",2,3]]}", HttpStatusCode.BadRequest);
        Assert.Equal("Failed to process element: 0 of 'instances' list. Error: INVALID_ARGUMENT: JSON Value: \"a\" Type: String is not of expected type: float", type);
        var level = await PostError("v1/models/mlp:predict", "{\"inputs\": [[1,2,3], 4]}", HttpStatusCode.BadRequest);
        Assert.Equal("JSON Value: 4 found at incorrect level: 2 in the JSON DOM. Expected at level: 2", level);
    }

    [Fact]
    public async Task Bodies_over_the_limit_are_413_and_unknown_paths_400_malformed_request()
    {
        var big = "{\"instances\": [" + string.Join(",", Enumerable.Repeat("[1.0,2.0,3.0]", 1000)) + "]}";
        var (status, body, text) = await _server.PostAsync("v1/models/mlp:predict", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("4096", Error(body, text));
        var (s2, b2, t2) = await _server.GetAsync("v1/models/mlp:predict");
        Assert.Equal(HttpStatusCode.BadRequest, s2);
        Assert.Equal("Malformed request: GET /v1/models/mlp:predict", Error(b2, t2));
    }
}
