using System.Net;
using System.Text;
using System.Text.Json;
using TypedGraph.Formats;

namespace TypedGraph.Server.Tests;

/// <summary>
/// The real TF 2.15 Keras SavedModel <c>../shared/fixtures/two_tower_savedmodel_tf2</c> (string inputs through
/// HashTableV2 lookups inside function bodies) served over REST: metadata shows its serving_default signature, and
/// row and columnar :predict answer what a direct <see cref="SavedModelBundle"/> Session run gives for the same
/// strings, including ids outside the vocabulary.
/// </summary>
public sealed class TwoTowerFixtureTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    internal static string FixtureDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir != null && !File.Exists(Path.Combine(dir.FullName, "TypedGraph.sln"))) dir = dir.Parent;
            Assert.True(dir != null, "TypedGraph.sln not found above the test binaries.");
            var path = Path.GetFullPath(Path.Combine(dir!.FullName, "..", "shared", "fixtures", "two_tower_savedmodel_tf2"));
            Assert.True(File.Exists(Path.Combine(path, "saved_model.pb")), $"fixture missing: {path}");
            return path;
        }
    }

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(FixtureDir, name: "ranking");

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static string[] Vocabulary(SavedModelBundle b, string constName)
        => TensorProtos.ToTensor(b.MetaGraph.Graph.GetNode(constName).GetTensor("value"), constName).Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();

    /// <summary>The direct run: serving_default on our Session, no HTTP.</summary>
    private static float[] DirectRun(string[] users, string[] movies)
    {
        using var bundle = SavedModelBundle.Load(FixtureDir, "serve");
        var result = bundle.Run(new Dictionary<string, Tensor>
        {
            ["user_id"] = Tensor.FromStrings(users, users.Length),
            ["movie_title"] = Tensor.FromStrings(movies, movies.Length),
        })["output_1"];
        Assert.Equal([users.Length, 1], result.Shape.ToArray());
        return result.ToArray<float>();
    }

    private static (string[] Users, string[] Movies) Inputs()
    {
        using var bundle = SavedModelBundle.Load(FixtureDir, "serve");
        // Const_3: user ids, Const_1: movie titles (the tables' keys; see SOURCE.md and TwoTowerSavedModelTests).
        var users = Vocabulary(bundle, "Const_3");
        var movies = Vocabulary(bundle, "Const_1");
        return ([users[0], users[500], "no-such-user", users[942]], [movies[3], "no-such-movie", movies[1663], movies[100]]);
    }

    private static void AssertSame(float[] expected, JsonElement predictions)
    {
        var rows = predictions.EnumerateArray().ToList();
        Assert.Equal(expected.Length, rows.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            var row = rows[i].EnumerateArray().Select(v => v.GetSingle()).ToArray(); // output_1 is [-1, 1]: each row is [y]
            Assert.Single(row);
            // TF Serving prints floats with 6 significant digits (%g), so compare to that precision.
            Assert.True(Math.Abs(row[0] - expected[i]) <= 1e-5f * Math.Max(1, Math.Abs(expected[i])), $"row {i}: REST {row[0]} vs Session {expected[i]}");
        }
        Assert.True(expected.Distinct().Count() > 1, "the inputs should give different scores");
    }

    [Fact]
    public async Task Metadata_lists_serving_default_with_two_string_inputs_and_the_float_output()
    {
        var (status, body, text) = await _server.GetAsync("v1/models/ranking/metadata");
        Assert.Equal(HttpStatusCode.OK, status);
        var sig = body.GetProperty("metadata").GetProperty("signature_def").GetProperty("signature_def").GetProperty("serving_default");
        Assert.Equal("tensorflow/serving/predict", sig.GetProperty("method_name").GetString());
        var inputs = sig.GetProperty("inputs");
        Assert.Equal("DT_STRING", inputs.GetProperty("user_id").GetProperty("dtype").GetString());
        Assert.Equal("serving_default_user_id:0", inputs.GetProperty("user_id").GetProperty("name").GetString());
        Assert.Equal("DT_STRING", inputs.GetProperty("movie_title").GetProperty("dtype").GetString());
        var output = sig.GetProperty("outputs").GetProperty("output_1");
        Assert.Equal("DT_FLOAT", output.GetProperty("dtype").GetString());
        Assert.Equal(["-1", "1"], output.GetProperty("tensor_shape").GetProperty("dim").EnumerateArray().Select(d => d.GetProperty("size").GetString()));
    }

    [Fact]
    public async Task Row_predict_equals_a_direct_Session_run_including_out_of_vocabulary_ids()
    {
        var (users, movies) = Inputs();
        var expected = DirectRun(users, movies);
        var instances = users.Zip(movies, (u, m) => new Dictionary<string, string> { ["user_id"] = u, ["movie_title"] = m }).ToArray();
        var json = JsonSerializer.Serialize(new { signature_name = "serving_default", instances });
        var (status, body, text) = await _server.PostAsync("v1/models/ranking:predict", json);
        Assert.True(status == HttpStatusCode.OK, text);
        AssertSame(expected, body.GetProperty("predictions"));
    }

    [Fact]
    public async Task Columnar_predict_equals_a_direct_Session_run_and_a_missing_input_is_a_400_naming_it()
    {
        var (users, movies) = Inputs();
        var expected = DirectRun(users, movies);
        var json = JsonSerializer.Serialize(new { inputs = new { user_id = users, movie_title = movies } });
        var (status, body, text) = await _server.PostAsync("v1/models/ranking:predict", json);
        Assert.True(status == HttpStatusCode.OK, text);
        AssertSame(expected, body.GetProperty("outputs"));

        var (s2, b2, t2) = await _server.PostAsync("v1/models/ranking:predict", JsonSerializer.Serialize(new { inputs = new { user_id = users } }));
        Assert.Equal(HttpStatusCode.BadRequest, s2);
        Assert.Contains("movie_title", b2.GetProperty("error").GetString());
    }
}
