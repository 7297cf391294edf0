namespace TypedGraph.Summaries;

/// <summary>
/// What <see cref="Training.TrainingLoop"/> writes to an event file each step: the loss under <see cref="LossTag"/>,
/// each tensor of <see cref="Scalars"/> (fetched in the same run, e.g. an accuracy op), and the value of
/// <see cref="SummaryOp"/> (a graph's <c>MergeSummary</c> output) when set; after each epoch the epoch's mean loss
/// under <c>&lt;LossTag&gt;/epoch_mean</c>. Steps count on across calls (<see cref="Step"/>).
/// </summary>
public sealed class TrainingSummaries(SummaryWriter writer)
{
    /// <summary>The event file writer.</summary>
    public SummaryWriter Writer { get; } = writer ?? throw new ArgumentNullException(nameof(writer));

    /// <summary>The tag of the per-step loss.</summary>
    public string LossTag { get; init; } = "loss";

    /// <summary>More scalars to log each step: tag → scalar tensor name.</summary>
    public IReadOnlyDictionary<string, string> Scalars { get; init; } = new Dictionary<string, string>();

    /// <summary>A summary op (e.g. <c>Merge/MergeSummary:0</c>) whose value is written each step, or null.</summary>
    public string? SummaryOp { get; init; }

    /// <summary>The last step written; the next step is Step + 1.</summary>
    public long Step { get; set; }
}
