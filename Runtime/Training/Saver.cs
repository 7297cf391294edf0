using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>Progress of a long save or restore: <paramref name="Done"/> of <paramref name="Total"/> tensors,
/// the last one being <paramref name="TensorName"/>, <paramref name="Bytes"/> so far.</summary>
public readonly record struct CheckpointProgress(string Stage, string TensorName, int Done, int Total, long Bytes);

/// <summary>
/// <c>tf.train.Saver</c>: adds the TF <c>save/…</c> subgraph and a <see cref="SaverDef"/> to the graph, and saves /
/// restores V2 checkpoints of the session's variables with TF's file conventions (tf-formats.md §3): the
/// <c>-&lt;global_step&gt;</c> suffix, a <c>.meta</c> per save, the <c>checkpoint</c> state file written last,
/// <c>max_to_keep</c> deletion and <c>keep_checkpoint_every_n_hours</c>.
/// </summary>
public sealed partial class Saver
{
    private readonly GraphBuilder _builder;
    private readonly SaverOptions _options;
    private readonly List<KeyValuePair<string, Variable>> _vars;
    private readonly List<(string Path, DateTimeOffset Time)> _last = [];
    private DateTimeOffset _nextKeepTime;

    /// <summary>Builds a saver for <paramref name="builder"/>'s graph (nodes under <c>save/</c>, or <c>save_1/</c>… when taken).</summary>
    /// <exception cref="ArgumentException">No variables to save, or two variables share a checkpoint key.</exception>
    public Saver(GraphBuilder builder, SaverOptions? options = null)
    {
        _builder = builder;
        _options = options ?? new SaverOptions();
        _vars = SelectVariables(builder, _options);
        SaverDef = SaverGraph.Build(builder, _vars, _options);
        _nextKeepTime = _options.Clock() + TimeSpan.FromHours(_options.KeepCheckpointEveryNHours);
    }

    private Saver(GraphBuilder builder, SaverOptions options, List<KeyValuePair<string, Variable>> vars, SaverDef def)
    {
        _builder = builder;
        _options = options;
        _vars = vars;
        SaverDef = def;
        _nextKeepTime = _options.Clock() + TimeSpan.FromHours(_options.KeepCheckpointEveryNHours);
    }

    /// <summary>
    /// A saver over an imported graph's own <c>save/…</c> nodes (no new nodes): the checkpoint keys are read
    /// from its <c>SaveV2/tensor_names</c> Const and matched to the variables SaveV2 reads.
    /// </summary>
    /// <exception cref="GraphFormatException">The SaverDef's nodes are not laid out as TF's V2 Saver lays them out.</exception>
    public static Saver FromSaverDef(GraphBuilder builder, SaverDef saverDef, SaverOptions? options = null)
    {
        var byNode = builder.GlobalVariables.Concat(builder.Collections.GetVariables("local_variables"))
            .GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var vars = SaverDefVariables.Find(builder, saverDef, byNode);
        var o = (options ?? new SaverOptions()) with { MaxToKeep = options?.MaxToKeep ?? saverDef.MaxToKeep, KeepCheckpointEveryNHours = options?.KeepCheckpointEveryNHours ?? saverDef.KeepCheckpointEveryNHours };
        return new Saver(builder, o, vars, saverDef);
    }

    /// <summary>The SaverDef written into <c>.meta</c> files.</summary>
    public SaverDef SaverDef { get; }

    /// <summary>Checkpoint key → variable, in sorted key order (the order of the bundle and of <c>save/Assign_k</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, Variable>> Variables => _vars;

    /// <summary>The checkpoints this saver keeps track of, oldest first (what <c>checkpoint</c> lists).</summary>
    public IReadOnlyList<string> LastCheckpoints => _last.Select(l => l.Path).ToList();

    /// <summary>
    /// Replaces the tracked checkpoints with <paramref name="paths"/> (oldest first) after a restart, so max_to_keep and
    /// keep_checkpoint_every_n_hours cover checkpoints an earlier process wrote — TF's <c>Saver.recover_last_checkpoints</c>
    /// (saver.py: each path's time is the mtime of its files, <c>get_checkpoint_mtimes</c>: the V2 <c>.index</c>, else a V1
    /// file; paths without files are skipped; the list is replaced, not extended).
    /// </summary>
    public void RecoverLastCheckpoints(IEnumerable<string> paths)
    {
        var recovered = new List<(string Path, DateTimeOffset Time)>();
        foreach (var p in paths)
        {
            var file = File.Exists(p + ".index") ? p + ".index" : File.Exists(p) ? p : null;
            if (file != null) recovered.Add((p, new DateTimeOffset(File.GetLastWriteTimeUtc(file), TimeSpan.Zero)));
        }
        _last.Clear();
        _last.AddRange(recovered);
    }

    private static List<KeyValuePair<string, Variable>> SelectVariables(GraphBuilder b, SaverOptions o)
    {
        IEnumerable<KeyValuePair<string, Variable>> pairs = o.VarMap != null
            ? o.VarMap
            : (o.VarList ?? b.GlobalVariables).Select(v => new KeyValuePair<string, Variable>(v.Name, v));
        var list = pairs.ToList();
        if (list.Count == 0) throw new ArgumentException("No variables to save.");
        var dup = list.GroupBy(kv => kv.Key).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"At least two variables have the same checkpoint key '{dup.Key}'.");
        // TF sorts saveables by key (Python string order = ordinal for these names).
        return list.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>The session slot holding <paramref name="v"/>'s value.</summary>
    internal string SlotName(Variable v)
    {
        // As the executor keys variables: a non-empty shared_name wins (TF shares state by it), else the node name.
        var shared = _builder.GetOperation(v.Ref.NodeName).GetString("shared_name", "");
        return shared.Length > 0 ? shared : v.Ref.NodeName;
    }

    /// <summary>Test hook: called at "data" (before the bundle is finished), "meta" (before the .meta),
    /// "state" (before the <c>checkpoint</c> file) — throw to simulate a crash there.</summary>
    internal Action<string>? FaultInjection { get; set; }
}
