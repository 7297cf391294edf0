using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Lookup tables as session resources, after TF's lookup_table_op.cc / lookup_table_init_op.cc / lookup_util.cc:
/// defaults for missing keys, uninitialized HashTable errors, duplicate keys, mutable insert/remove/import/export,
/// text-file initializers with TF's -2 (whole line) / -1 (line number) indices, and Session.Initialize running them.
/// </summary>
public class LookupTableTests
{
    private static (string, AttrValue) A(string k, AttrValue v) => (k, v);

    private static ExecGraph Table(string op, DataType key, DataType value, out string name)
    {
        var g = new ExecGraph();
        name = g.Op("table", op, [], A("key_dtype", ExecGraph.Type(key)), A("value_dtype", ExecGraph.Type(value)), A("shared_name", ExecGraph.Str("")), A("container", ExecGraph.Str("")));
        return g;
    }

    private static string[] Text(Tensor t) => t.Strings.Select(b => Encoding.UTF8.GetString(b)).ToArray();

    [Fact]
    public void HashTable_FindsValues_MissingKeysTakeTheDefault_AndSessionInitializeRunsTheInitializer()
    {
        var g = Table("HashTableV2", DataType.DtString, DataType.DtInt64, out var t);
        g.Const("keys", Tensor.FromStrings(["apple", "pear", "fig"], 3));
        g.Const("values", Tensor.Create(new long[] { 10, 20, 30 }, 3));
        g.Op("init", "InitializeTableV2", [t, "keys", "values"], A("Tkey", ExecGraph.Type(DataType.DtString)), A("Tval", ExecGraph.Type(DataType.DtInt64)));
        g.Placeholder("q", DataType.DtString, [-1]);
        g.Const("dflt", Tensor.FromScalar(-1L));
        g.Op("find", "LookupTableFindV2", [t, "q", "dflt"], A("Tin", ExecGraph.Type(DataType.DtString)), A("Tout", ExecGraph.Type(DataType.DtInt64)));
        g.Op("size", "LookupTableSizeV2", [t]);
        using var s = new Session(g.Graph);
        var feeds = new Dictionary<string, Tensor> { ["q"] = Tensor.FromStrings(["fig", "kiwi", "apple", ""], 4) };
        var e = Assert.ThrowsAny<GraphExecutionException>(() => s.Run(["find"], feeds));
        Assert.Contains("not initialized", e.Message);
        s.Initialize();
        Assert.Equal(new long[] { 30, -1, 10, -1 }, s.Run(["find"], feeds)[0].ToArray<long>());
        Assert.Equal(3L, s.Run(["size"], new Dictionary<string, Tensor>())[0].Scalar<long>());
        s.Initialize(); // same data again: allowed
    }

    [Fact]
    public void HashTable_DuplicateKeyWithDifferentValues_IsAnError_AndWrongKeyTypeNamesTheTable()
    {
        var g = Table("HashTableV2", DataType.DtInt64, DataType.DtFloat, out var t);
        g.Const("keys", Tensor.Create(new long[] { 1, 1 }, 2));
        g.Const("values", Tensor.Create(new[] { 1f, 2f }, 2));
        g.Op("init", "InitializeTableV2", [t, "keys", "values"]);
        using var s = new Session(g.Graph);
        var e = Assert.ThrowsAny<GraphExecutionException>(() => s.Run([], new Dictionary<string, Tensor>(), ["init"]));
        Assert.Contains("different value for same key", e.Message);
    }

    [Fact]
    public void MutableHashTable_InsertOverwrites_RemoveDrops_ExportListsSortedEntries_ImportReplaces()
    {
        var g = Table("MutableHashTableV2", DataType.DtInt64, DataType.DtString, out var t);
        g.Placeholder("k", DataType.DtInt64, [-1]);
        g.Placeholder("v", DataType.DtString, [-1]);
        g.Op("insert", "LookupTableInsertV2", [t, "k", "v"]);
        g.Op("remove", "LookupTableRemoveV2", [t, "k"]);
        g.Op("import", "LookupTableImportV2", [t, "k", "v"]);
        g.Op("export", "LookupTableExportV2", [t], A("Tkeys", ExecGraph.Type(DataType.DtInt64)), A("Tvalues", ExecGraph.Type(DataType.DtString)));
        g.Const("dflt", Tensor.FromString("?"));
        g.Op("find", "LookupTableFindV2", [t, "k", "dflt"]);
        using var s = new Session(g.Graph);
        Dictionary<string, Tensor> Kv(long[] k, string[] v) => new Dictionary<string, Tensor> { ["k"] = Tensor.Create(k, k.Length), ["v"] = Tensor.FromStrings(v, v.Length) };
        s.Run([], Kv([5, 2, 9], ["five", "two", "nine"]), ["insert"]);
        s.Run([], Kv([2], ["TWO"]), ["insert"]);
        s.Run([], new Dictionary<string, Tensor> { ["k"] = Tensor.Create(new long[] { 9, 100 }, 2) }, ["remove"]);
        var ex = s.Run(["export", "export:1"], new Dictionary<string, Tensor>());
        Assert.Equal(new long[] { 2, 5 }, ex[0].ToArray<long>());
        Assert.Equal(["TWO", "five"], Text(ex[1]));
        Assert.Equal(["?", "five"], Text(s.Run(["find"], new Dictionary<string, Tensor> { ["k"] = Tensor.Create(new long[] { 9, 5 }, 2) })[0]));
        s.Run([], Kv([7], ["seven"]), ["import"]);
        Assert.Equal(new long[] { 7 }, s.Run(["export"], new Dictionary<string, Tensor>())[0].ToArray<long>());
    }

    [Fact]
    public void TextFileInitializer_WholeLineKeys_LineNumberValues_AndBadColumnsNameTheFile()
    {
        var vocab = Path.Combine(Path.GetTempPath(), "tg-vocab-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(vocab, "red\ngreen\nblue\n");
        try
        {
            var g = Table("HashTableV2", DataType.DtString, DataType.DtInt64, out var t);
            g.Const("file", Tensor.FromString(vocab));
            g.Op("init", "InitializeTableFromTextFileV2", [t, "file"], A("key_index", ExecGraph.Int(-2)), A("value_index", ExecGraph.Int(-1)), A("vocab_size", ExecGraph.Int(-1)), A("delimiter", ExecGraph.Str("\t")));
            g.Placeholder("q", DataType.DtString, [-1]);
            g.Const("dflt", Tensor.FromScalar(-1L));
            g.Op("find", "LookupTableFindV2", [t, "q", "dflt"]);
            using var s = new Session(g.Graph);
            s.Initialize();
            Assert.Equal(new long[] { 2, 0, -1, 1 }, s.Run(["find"], new Dictionary<string, Tensor> { ["q"] = Tensor.FromStrings(["blue", "red", "pink", "green"], 4) })[0].ToArray<long>());

            var bad = Table("HashTableV2", DataType.DtString, DataType.DtInt64, out var t2);
            bad.Const("file", Tensor.FromString(vocab));
            bad.Op("init", "InitializeTableFromTextFileV2", [t2, "file"], A("key_index", ExecGraph.Int(0)), A("value_index", ExecGraph.Int(1)));
            using var s2 = new Session(bad.Graph);
            var e = Assert.ThrowsAny<GraphExecutionException>(() => s2.Initialize());
            Assert.Contains(vocab, e.Message);
            Assert.Contains("line 0", e.Message);
        }
        finally { File.Delete(vocab); }
    }

    [Fact]
    public void MutableDenseHashTable_RejectsTheEmptyKey()
    {
        var g = new ExecGraph();
        g.Const("empty", Tensor.FromScalar(-1L));
        g.Const("deleted", Tensor.FromScalar(-2L));
        g.Op("table", "MutableDenseHashTableV2", ["empty", "deleted"], A("key_dtype", ExecGraph.Type(DataType.DtInt64)), A("value_dtype", ExecGraph.Type(DataType.DtFloat)));
        g.Const("k", Tensor.Create(new long[] { 3, -1 }, 2));
        g.Const("v", Tensor.Create(new[] { 1f, 2f }, 2));
        g.Op("insert", "LookupTableInsertV2", ["table", "k", "v"]);
        using var s = new Session(g.Graph);
        var e = Assert.ThrowsAny<GraphExecutionException>(() => s.Run([], new Dictionary<string, Tensor>(), ["insert"]));
        Assert.Contains("empty_key", e.Message);
    }
}
