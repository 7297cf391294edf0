using System.Text;
using TypedGraph.Formats;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Models;

/// <summary>
/// The real TF 2.15 Keras SavedModel <c>two_tower_savedmodel_tf2</c> (see its SOURCE.md): serving_default runs end to
/// end — its two HashTableV2 filled by the LookupTableImportV2 initializer functions of <c>__saved_model_init_op</c>,
/// the StringLookup's LookupTableFindV2 and the embeddings' ResourceGather inside function bodies, the dense layers —
/// and equals a plain computation from the graph's vocabulary Consts and the checkpoint's variables.
/// </summary>
public class TwoTowerSavedModelTests
{
    private static string Dir => Fixtures.Path("two_tower_savedmodel_tf2");

    private static Tensor Const(SavedModelBundle b, string name) => TensorProtos.ToTensor(b.MetaGraph.Graph.GetNode(name).GetTensor("value"), name);

    [Fact]
    public void ServingDefault_EqualsLookupEmbeddingAndDenseLayersComputedByHand_IncludingUnknownIds()
    {
        using var bundle = SavedModelBundle.Load(Dir, "serve");
        // Top-level wiring (StatefulPartitionedCall inputs): user ids → hash_table_1 (filled from Const_3 → Const_2,
        // default Const_5) → embedding_6; movie titles → hash_table (Const_1 → Const, default Const_4) → embedding_7.
        var userKeys = Const(bundle, "Const_3").Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();
        var userIds = Const(bundle, "Const_2").ToArray<long>();
        var movieKeys = Const(bundle, "Const_1").Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();
        var movieIds = Const(bundle, "Const").ToArray<long>();
        long userDefault = Const(bundle, "Const_5").Scalar<long>(), movieDefault = Const(bundle, "Const_4").Scalar<long>();
        var userVocab = userKeys.Zip(userIds).ToDictionary(p => p.First, p => p.Second);
        var movieVocab = movieKeys.Zip(movieIds).ToDictionary(p => p.First, p => p.Second);
        // Keras StringLookup (num_oov_indices=1, no mask): vocabulary ids start at 1, the OOV default is 0.
        Assert.Equal(0, userDefault);
        Assert.Equal(0, movieDefault);
        Assert.Equal(1, userIds.Min());

        string[] users = [userKeys[0], userKeys[500], "no-such-user"];
        string[] movies = [movieKeys[3], "no-such-movie", movieKeys[1663]];
        var result = bundle.Run(new Dictionary<string, Tensor>
        {
            ["user_id"] = Tensor.FromStrings(users, 3),
            ["movie_title"] = Tensor.FromStrings(movies, 3),
        })["output_1"];
        Assert.Equal([3, 1], result.Shape.ToArray());

        using var ckpt = CheckpointReader.Open(Path.Combine(Dir, "variables", "variables"));
        float[] V(int i) => ckpt.Read($"variables/{i}/.ATTRIBUTES/VARIABLE_VALUE").ToArray<float>();
        var userEmb = V(0); var movieEmb = V(1);
        var w9 = V(2); var b9 = V(3); var w10 = V(4); var b10 = V(5); var w11 = V(6); var b11 = V(7);
        for (int r = 0; r < 3; r++)
        {
            long u = userVocab.GetValueOrDefault(users[r], userDefault), m = movieVocab.GetValueOrDefault(movies[r], movieDefault);
            var x = userEmb.AsSpan((int)u * 32, 32).ToArray().Concat(movieEmb.AsSpan((int)m * 32, 32).ToArray()).ToArray();
            var h1 = Dense(x, w9, b9, 256, relu: true);
            var h2 = Dense(h1, w10, b10, 64, relu: true);
            var y = Dense(h2, w11, b11, 1, relu: false);
            Assert.True(Math.Abs(y[0] - result.ToArray<float>()[r]) <= 1e-4f * Math.Max(1, Math.Abs(y[0])), $"row {r}: expected {y[0]}, got {result.ToArray<float>()[r]}");
        }
        Assert.Equal(0, userVocab.GetValueOrDefault("no-such-user", userDefault)); // the OOV row really was row 0
    }

    [Fact]
    public void TablesHoldTheImportedVocabularies()
    {
        using var bundle = SavedModelBundle.Load(Dir, "serve");
        var tables = bundle.Session.Run(["hash_table", "hash_table_1"], new Dictionary<string, Tensor>());
        var movies = (TypedGraph.Kernels.Lookup.LookupTable)tables[0].Handle;
        var users = (TypedGraph.Kernels.Lookup.LookupTable)tables[1].Handle;
        Assert.Equal(1664, movies.Count);
        Assert.Equal(943, users.Count);
        Assert.True(users.IsInitialized);
    }

    private static float[] Dense(float[] x, float[] w, float[] b, int n, bool relu)
    {
        var y = new float[n];
        for (int j = 0; j < n; j++)
        {
            double s = b[j];
            for (int i = 0; i < x.Length; i++) s += (double)x[i] * w[i * n + j];
            y[j] = relu ? Math.Max(0, (float)s) : (float)s;
        }
        return y;
    }
}
