using TypedGraph.Protos;

namespace TypedGraph.Formats;

/// <summary>
/// TF's <c>MergeV2Checkpoints</c> (<c>MergeBundles</c> in <c>tensor_bundle.cc</c>): combines several
/// bundles — typically one per device from a sharded save — into one prefix. Data files are moved and
/// renumbered (shard ids in first-seen order, walking the inputs in order and each index in key order,
/// exactly as TF's <c>MergeOneBundle</c> so the merged index has TF's bytes),
/// and one sorted index is written with <c>num_shards</c> = the total and the first input's endianness
/// and version.
/// </summary>
public static class CheckpointMerger
{
    /// <summary>Merges <paramref name="prefixes"/> into <paramref name="destination"/>.</summary>
    /// <param name="prefixes">Input bundles, in order.</param>
    /// <param name="destination">Output prefix.</param>
    /// <param name="deleteInputs">Move the data files and delete the input indexes (TF's behaviour);
    /// false copies the data files and leaves the inputs alone.</param>
    /// <exception cref="CheckpointFormatException">An input is unreadable, or two inputs hold the same tensor.</exception>
    public static void Merge(IReadOnlyList<string> prefixes, string destination, bool deleteInputs = true)
    {
        if (prefixes.Count == 0) throw new ArgumentException("Nothing to merge.", nameof(prefixes));
        var merged = new SortedDictionary<byte[], BundleEntryProto>(BytewiseComparer.Instance);
        var shardIds = new Dictionary<string, int>(StringComparer.Ordinal); // input data file → new shard id
        BundleHeaderProto? first = null;
        foreach (var prefix in prefixes)
        {
            using var reader = CheckpointReader.Open(prefix, verifyCrc: false);
            first ??= reader.Header;
            foreach (var (key, proto) in reader.RawEntries)
            {
                var copy = proto.Clone();
                if (merged.TryGetValue(key, out var existing))
                {
                    // A partitioned tensor saved by several devices: its slice lists are combined.
                    if (copy.Slices.Count == 0 || existing.Slices.Count == 0 || existing.Dtype != copy.Dtype || !existing.Shape.Equals(copy.Shape))
                        throw new CheckpointFormatException(reader.IndexPath, $"tensor '{TableReader.KeyText(key)}' is also in an earlier input");
                    existing.Slices.Add(copy.Slices);
                    continue;
                }
                // As TF, every new entry — even a sliced tensor's metadata entry, whose shard_id is 0 —
                // claims an id for the data file it names; that id is written into the merged index.
                var file = CheckpointReader.DataPath(reader.Prefix, copy.ShardId, reader.NumShards);
                if (!shardIds.TryGetValue(file, out int id)) shardIds.Add(file, id = shardIds.Count);
                copy.ShardId = id;
                merged.Add(key, copy);
            }
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(destination));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        int total = shardIds.Count;
        foreach (var (file, id) in shardIds)
        {
            var target = CheckpointReader.DataPath(destination, id, total);
            if (deleteInputs) File.Move(file, target, overwrite: true);
            else File.Copy(file, target, overwrite: true);
        }
        var header = first!.Clone();
        header.NumShards = Math.Max(total, 1);
        if (total == 0) File.WriteAllBytes(CheckpointReader.DataPath(destination, 0, 1), []);
        var indexPath = destination + ".index";
        var temp = CheckpointWriter.TempName(indexPath);
        try
        {
            CheckpointWriter.WriteIndex(temp, header, merged.Select(kv => (kv.Key, kv.Value)));
            File.Move(temp, indexPath, overwrite: true);
        }
        finally
        {
            CheckpointWriter.TryDelete(temp);
        }
        if (deleteInputs)
            foreach (var p in prefixes)
                if (!string.Equals(Path.GetFullPath(p), Path.GetFullPath(destination), StringComparison.Ordinal))
                    CheckpointWriter.TryDelete(p + ".index");
    }
}
