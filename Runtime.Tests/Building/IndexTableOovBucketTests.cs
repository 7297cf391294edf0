using System.Text;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Building;

/// <summary>
/// <c>index_table_from_file(..., num_oov_buckets=N)</c>: TF 1.15's IdTableWithHashBuckets (lookup_ops.py) gives a key
/// in the vocabulary its line number and any other key <c>vocab_size + Fingerprint64(key) % N</c>.
/// </summary>
public sealed class IndexTableOovBucketTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "typedgraph-oov-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void OutOfVocabularyKeys_GoToHashBucketsAfterTheVocabulary()
    {
        Directory.CreateDirectory(_dir);
        string[] vocab = ["apple", "banana", "cherry"];
        var file = Path.Combine(_dir, "vocab.txt");
        File.WriteAllText(file, string.Join("\n", vocab) + "\n");
        const long buckets = 5;
        var b = new GraphBuilder();
        var keys = b.Placeholder(DataType.DtString, [-1], "keys");
        var table = b.IndexTableFromFile(file, vocab.Length, -1, "string_to_index", numOovBuckets: buckets);
        var ids = b.LookupTableFind(table, keys);
        using var session = new Session(b.Graph);
        session.Initialize();
        string[] input = ["banana", "durian", "apple", "", "cherry", "elderberry", "fig", "grape", "durian"];
        var result = session.Run([ids.Name], new Dictionary<string, Tensor> { [keys.Name] = Tensor.FromStrings(input, input.Length) })[0];
        var expected = input.Select(k => Array.IndexOf(vocab, k) is var i && i >= 0
            ? i
            : vocab.Length + (long)(FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(k)) % (ulong)buckets)).ToArray();
        Assert.Equal(expected, result.ToArray<long>());
        // Every out-of-vocabulary key lands in [vocab_size, vocab_size + buckets).
        for (int i = 0; i < input.Length; i++)
            if (!vocab.Contains(input[i])) Assert.InRange(result.ToArray<long>()[i], vocab.Length, vocab.Length + buckets - 1);
        // TF 1.15's layout under the lookup scope.
        var names = b.Graph.Def.Node.Select(n => (n.Name, n.Op)).ToList();
        Assert.Contains(("hash_table_Lookup/hash_bucket", "StringToHashBucketFast"), names);
        Assert.Contains(("hash_table_Lookup/hash_table_Lookup/LookupTableFindV2", "LookupTableFindV2"), names);
        Assert.Contains(("hash_table_Lookup/hash_table_Size/LookupTableSizeV2", "LookupTableSizeV2"), names);
        Assert.Contains(("hash_table_Lookup/Select", "Select"), names);
    }

    [Fact]
    public void OovBuckets_NeedDefaultMinusOne()
    {
        var b = new GraphBuilder();
        Assert.Throws<ArgumentException>(() => b.IndexTableFromFile("vocab.txt", 3, 0, "t", numOovBuckets: 2));
        Assert.Throws<ArgumentException>(() => b.IndexTableFromFile("vocab.txt", 3, -1, "t2", numOovBuckets: -1));
    }
}
