using System.Text;
using TypedGraph.Building;
using TypedGraph.Onnx.Tests.Support;
using TypedGraph.Protos;
using Xunit.Abstractions;

namespace TypedGraph.Onnx.Tests;

/// <summary>
/// Hash-table lookups (LookupTableFindV2) exported as ai.onnx.ml LabelEncoders holding the tables' contents, on graphs
/// built in TF's layouts: TF1's <c>index_table_from_file</c> (HashTableV2 + InitializeTableFromTextFileV2) and
/// HashTableV2 + InitializeTableV2 tables of each key/value dtype pair. ORT is compared with our session, and the ids
/// with a dictionary lookup written here.
/// </summary>
public class LookupTableExportTests(ITestOutputHelper log)
{
    private static Output Table(GraphBuilder b, string name, DataType key, DataType value) =>
        b.OutputOf(b.AddOperation("HashTableV2", [], new Dictionary<string, AttrValue>
        {
            ["key_dtype"] = Attrs.Type(key),
            ["value_dtype"] = Attrs.Type(value),
        }, name));

    private static Node Init(GraphBuilder b, Output table, Tensor keys, Tensor values) =>
        b.AddOperation("InitializeTableV2", [table, b.Constant(keys, "keys"), b.Constant(values, "values")], name: "table_init");

    private static Output Find(GraphBuilder b, Output table, Output keys, Tensor dflt, string name) =>
        b.OutputOf(b.AddOperation("LookupTableFindV2", [table, keys, b.Constant(dflt, name + "_default")], name: name));

    private void Report(OrtCheck.Result r)
    {
        foreach (var (name, err) in r.MaxError) log.WriteLine($"{name}: max error {err:E2}");
    }

    [Fact]
    public void IndexTableFromFileLookupAndEmbeddingMatchOrtAndTheVocabularyLineNumbers()
    {
        var dir = Directory.CreateTempSubdirectory("tg-vocab-");
        try
        {
            string[] words = ["the", "café", "naïve", "zebra", "", "a b"];
            var vocab = Path.Combine(dir.FullName, "vocab.txt");
            File.WriteAllText(vocab, string.Join("\n", words) + "\n", new UTF8Encoding(false));

            var b = new GraphBuilder();
            var keys = b.Placeholder(DataType.DtString, [-1], "keys");
            var table = b.IndexTableFromFile(vocab, words.Length, defaultValue: -1);
            var ids = b.LookupTableFind(table, keys);
            // An embedding of the ids, the OOV id -1 shifted to row 0, as a model would use them.
            var emb = b.Constant(OrtCheck.RandomFloats(5, -1, 1, words.Length + 1, 3), "embeddings");
            var rows = b.Gather(emb, b.Add(ids, b.Constant(Tensor.FromScalar(1L), "one")));
            using var session = new Session(b.Graph);
            session.Run([], new Dictionary<string, Tensor>(), [b.TablesInitializer().Name]);

            string[] fed = ["zebra", "café", "unknown", "the", "", "a b", "Café", "naïve"];
            var model = OnnxExporter.Export(session, [keys.Name], [ids.Name, rows.Name]);
            Assert.Single(model.Graph.Node, n => n.OpType == "LabelEncoder");
            var r = OrtCheck.Compare(model, session, [(keys.Name, Tensor.FromStrings(fed, fed.Length))], [ids.Name, rows.Name]);
            Report(r);
            var expected = fed.Select(w => (long)Array.IndexOf(words, w)).ToArray(); // line number, or -1 when absent
            Assert.Equal(expected, r.Ours[ids.Name].ToArray<long>());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void TablesOfEveryLabelEncoderDtypePairMatchOrtAndADictionaryLookup()
    {
        var b = new GraphBuilder();
        var k32 = b.Placeholder(DataType.DtInt32, [-1, 2], "k32");
        var k64 = b.Placeholder(DataType.DtInt64, [-1], "k64");
        var ks = b.Placeholder(DataType.DtString, [-1], "ks");

        int[] intKeys = [3, -8, 100, 0, 41];
        int[] intValues = [30, -80, 1000, 7, 410];
        var t1 = Table(b, "int32_to_int32", DataType.DtInt32, DataType.DtInt32);
        var t2 = Table(b, "int64_to_float", DataType.DtInt64, DataType.DtFloat);
        var t3 = Table(b, "int64_to_string", DataType.DtInt64, DataType.DtString);
        var t4 = Table(b, "string_to_float", DataType.DtString, DataType.DtFloat);
        var t5 = Table(b, "empty_int64_to_int64", DataType.DtInt64, DataType.DtInt64);
        var inits = new[]
        {
            Init(b, t1, Tensor.Create(intKeys, 5), Tensor.Create(intValues, 5)),
            Init(b, t2, Tensor.Create(intKeys.Select(k => (long)k * 1_000_000_007L).ToArray(), 5), Tensor.Create(new[] { 0.5f, -2.25f, 1e-7f, 3e8f, -0f }, 5)),
            Init(b, t3, Tensor.Create(new long[] { 1, 2, 3 }, 3), Tensor.FromStrings(["one", "two", "drei"], 3)),
            Init(b, t4, Tensor.FromStrings(["x", "yy", "zzz"], 3), Tensor.Create(new[] { 1.5f, -1.5f, 9f }, 3)),
            Init(b, t5, Tensor.Create(Array.Empty<long>(), 0), Tensor.Create(Array.Empty<long>(), 0)),
        };
        var o1 = Find(b, t1, k32, Tensor.FromScalar(-7), "find_int32");
        var o2 = Find(b, t2, b.Multiply(k64, b.Constant(Tensor.FromScalar(1_000_000_007L), "scale")), Tensor.FromScalar(0.25f), "find_float");
        var o3 = Find(b, t3, k64, Tensor.FromString("none"), "find_string");
        var o4 = Find(b, t4, ks, Tensor.FromScalar(-1f), "find_by_string");
        var o5 = Find(b, t5, k64, Tensor.FromScalar(42L), "find_in_empty");
        using var session = new Session(b.Graph);
        session.Run([], new Dictionary<string, Tensor>(), inits.Select(n => n.Name).ToList());

        var outputs = new[] { o1.Name, o2.Name, o3.Name, o4.Name, o5.Name };
        var model = OnnxExporter.Export(session, [k32.Name, k64.Name, ks.Name], outputs);
        Assert.Equal(4, model.Graph.Node.Count(n => n.OpType == "LabelEncoder")); // the empty table is an Expand of its default
        var feeds = new List<(string, Tensor)>
        {
            (k32.Name, Tensor.Create(new[] { 3, 4, -8, 41, 0, 1000 }, 3, 2)),
            (k64.Name, Tensor.Create(new long[] { 100, 2, -8, 3, 5, 1, 0 }, 7)),
            (ks.Name, Tensor.FromStrings(["zzz", "x", "X", "", "yy"], 5)),
        };
        var r = OrtCheck.Compare(model, session, feeds, outputs);
        Report(r);

        var map1 = intKeys.Zip(intValues).ToDictionary(p => p.First, p => p.Second);
        Assert.Equal(new[] { 3, 4, -8, 41, 0, 1000 }.Select(k => map1.GetValueOrDefault(k, -7)), r.Ours[o1.Name].ToArray<int>());
        float[] floatValues = [0.5f, -2.25f, 1e-7f, 3e8f, -0f];
        var map2 = intKeys.Zip(floatValues).ToDictionary(p => (long)p.First, p => p.Second);
        Assert.Equal(new long[] { 100, 2, -8, 3, 5, 1, 0 }.Select(k => map2.GetValueOrDefault(k, 0.25f)), r.Ours[o2.Name].ToArray<float>());
        Assert.Equal(["none", "two", "none", "drei", "none", "one", "none"], r.Ours[o3.Name].Strings.Select(s => Encoding.UTF8.GetString(s)));
        Assert.Equal([9f, 1.5f, -1f, -1f, -1.5f], r.Ours[o4.Name].ToArray<float>());
        Assert.Equal(Enumerable.Repeat(42L, 7), r.Ours[o5.Name].ToArray<long>());
    }

    [Fact]
    public void ALookupInATableNobodyInitializedIsRefusedNamingTheNodeAndTheTable()
    {
        var b = new GraphBuilder();
        var keys = b.Placeholder(DataType.DtString, [-1], "keys");
        var table = Table(b, "vocabulary", DataType.DtString, DataType.DtInt64);
        Init(b, table, Tensor.FromStrings(["a"], 1), Tensor.Create(new[] { 1L }, 1));
        var ids = Find(b, table, keys, Tensor.FromScalar(0L), "lookup");
        using var session = new Session(b.Graph); // table_init never run
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, [keys.Name], [ids.Name]));
        log.WriteLine(e.Message);
        Assert.StartsWith("Cannot export node 'lookup' (op LookupTableFindV2) to ONNX: its table 'vocabulary' (node 'vocabulary', op HashTableV2) is not initialized", e.Message);
    }

    [Fact]
    public void ATableWhoseValuesHaveNoLabelEncoderFormIsRefusedNamingTheDtypes()
    {
        var b = new GraphBuilder();
        var keys = b.Placeholder(DataType.DtInt64, [-1], "keys");
        var table = Table(b, "weights", DataType.DtInt64, DataType.DtDouble);
        var init = Init(b, table, Tensor.Create(new[] { 1L }, 1), Tensor.Create(new[] { 0.5 }, 1));
        var found = Find(b, table, keys, Tensor.FromScalar(0.0), "lookup");
        using var session = new Session(b.Graph);
        session.Run([], new Dictionary<string, Tensor>(), [init.Name]);
        var e = Assert.Throws<OnnxExportException>(() => OnnxExporter.Export(session, [keys.Name], [found.Name]));
        log.WriteLine(e.Message);
        Assert.StartsWith("Cannot export node 'lookup' (op LookupTableFindV2) to ONNX: its table 'weights' maps int64 to float64", e.Message);
    }
}
