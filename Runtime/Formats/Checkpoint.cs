using System.Text.RegularExpressions;

namespace TypedGraph.Formats;

/// <summary>Finding checkpoints on disk, following TF's <c>checkpoint_management.py</c>.</summary>
public static partial class Checkpoint
{
    /// <summary>TF's <c>latest_checkpoint</c>: the prefix named by <c>&lt;directory&gt;/checkpoint</c> (relative
    /// paths resolved against the directory), or null when there is no state file, it cannot be parsed,
    /// or the checkpoint it names does not exist (no <c>.index</c>, and no V1 file).</summary>
    public static string? Latest(string directory)
    {
        CheckpointState? state;
        try
        {
            state = CheckpointState.Read(directory);
        }
        catch (CheckpointFormatException)
        {
            return null; // TF logs and returns None on a bad state file.
        }
        if (state == null) return null;
        var prefix = CheckpointState.Resolve(directory, state.ModelCheckpointPath);
        return File.Exists(prefix + ".index") || File.Exists(prefix) ? prefix : null;
    }

    /// <summary>Turns what a user typed into a V2 checkpoint prefix: a prefix, its <c>.index</c>,
    /// <c>.data-*</c> or <c>.meta</c> path, a directory holding a <c>checkpoint</c> state file (its latest
    /// checkpoint), or a SavedModel directory (<c>variables/variables</c>).</summary>
    /// <exception cref="CheckpointFormatException">Nothing usable there; the message says why.</exception>
    public static string ResolvePrefix(string prefixOrDirectory)
    {
        var p = prefixOrDirectory;
        if (Directory.Exists(p))
        {
            var savedModelVariables = Path.Combine(p, "variables", "variables");
            if (!File.Exists(Path.Combine(p, CheckpointState.FileName)) && File.Exists(savedModelVariables + ".index"))
                return savedModelVariables; // a SavedModel directory
            var state = CheckpointState.Read(p)
                ?? throw new CheckpointFormatException(Path.Combine(p, CheckpointState.FileName), "the directory has no 'checkpoint' state file; pass a checkpoint prefix instead");
            var prefix = CheckpointState.Resolve(p, state.ModelCheckpointPath);
            if (!File.Exists(prefix + ".index"))
                throw new CheckpointFormatException(Path.Combine(p, CheckpointState.FileName),
                    $"the state file names checkpoint '{state.ModelCheckpointPath}', but '{prefix}.index' does not exist");
            return prefix;
        }
        if (File.Exists(p + ".index")) return p;
        if (p.EndsWith(".index", StringComparison.Ordinal) && File.Exists(p)) return p[..^".index".Length];
        if (p.EndsWith(".meta", StringComparison.Ordinal) && File.Exists(p[..^".meta".Length] + ".index")) return p[..^".meta".Length];
        var m = DataSuffix().Match(p);
        if (m.Success && File.Exists(p[..m.Index] + ".index")) return p[..m.Index];
        if (File.Exists(p) && !p.EndsWith(".meta", StringComparison.Ordinal))
            throw new CheckpointFormatException(p, "this is not a V2 checkpoint (no '.index' beside it); V1 checkpoints are not supported");
        throw new CheckpointFormatException(p + ".index", "no such checkpoint (expected a prefix like 'dir/model-1000', its .index file, or a directory with a 'checkpoint' file)");
    }

    /// <summary>TF's <c>meta_graph_filename</c>: the prefix without a <c>-NNNNN-of-NNNNN</c> shard suffix, plus <c>.meta</c>.</summary>
    public static string MetaGraphPath(string prefix) => ShardSuffix().Replace(prefix, "") + ".meta";

    [GeneratedRegex(@"\.data-\d{5}-of-\d{5}$")]
    private static partial Regex DataSuffix();

    [GeneratedRegex(@"-[\d\?]+-of-\d+$")]
    private static partial Regex ShardSuffix();
}
