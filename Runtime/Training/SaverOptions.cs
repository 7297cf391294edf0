using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>Options of <c>Saver</c>, named after <c>tf.train.Saver</c>'s arguments.</summary>
public sealed record SaverOptions
{
    /// <summary>Variables to save, keyed by their op names (<c>var_list</c> as a list); null = every global variable.</summary>
    public IReadOnlyList<Variable>? VarList { get; init; }

    /// <summary>Checkpoint key → variable (<c>var_list</c> as a dict); restores into differently named variables.
    /// Takes precedence over <see cref="VarList"/>.</summary>
    public IReadOnlyDictionary<string, Variable>? VarMap { get; init; }

    /// <summary>How many recent checkpoints to keep (0 or less: keep all and list only the latest).</summary>
    public int MaxToKeep { get; init; } = 5;

    /// <summary>Additionally keep one checkpoint per this many hours, even beyond <see cref="MaxToKeep"/>.</summary>
    public double KeepCheckpointEveryNHours { get; init; } = 10000;

    /// <summary>Name scope of the saver's nodes (<c>save</c>, then <c>save_1</c>…).</summary>
    public string Name { get; init; } = "save";

    /// <summary>Write <c>save/filename/input</c> + <c>save/filename</c> + <c>save/Const</c> as PlaceholderWithDefault
    /// (TF ≥ 1.13), instead of a single <c>save/Const</c> Const (TF ≤ 1.8).</summary>
    public bool FilenamePlaceholder { get; init; }

    /// <summary>Store paths relative to the save directory in <c>checkpoint</c> even when the directory is absolute.</summary>
    public bool SaveRelativePaths { get; init; }

    /// <summary>Pad the global step to 8 digits (<c>model-00001000</c>).</summary>
    public bool PadStepNumber { get; init; }

    /// <summary>Clock used for keep_checkpoint_every_n_hours and timestamps (tests inject one).</summary>
    public Func<DateTimeOffset> Clock { get; init; } = () => DateTimeOffset.UtcNow;
}
