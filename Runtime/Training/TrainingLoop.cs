using TypedGraph.Execution;
using TypedGraph.Summaries;

namespace TypedGraph.Training;

/// <summary>Progress of a training loop: after step <paramref name="Step"/> of <paramref name="StepsPerEpoch"/>
/// in epoch <paramref name="Epoch"/> (1-based) of <paramref name="Epochs"/>, with that step's loss.</summary>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, float Loss);

/// <summary>
/// Runs a graph's training op over mini-batches for some epochs, fetching the loss in the same step (as
/// <c>sess.run([train_op, loss], feed)</c>), reporting each step through <see cref="IProgress{T}"/>.
/// </summary>
public static class TrainingLoop
{
    /// <summary>Trains and returns the mean loss of each epoch.</summary>
    /// <param name="session">Session over the training graph.</param>
    /// <param name="trainOp">The op to run each step (e.g. <c>"Adam"</c>, the <c>train_op</c> collection's entry).</param>
    /// <param name="loss">The loss tensor name (a scalar).</param>
    /// <param name="batches">One feed dictionary per step of an epoch.</param>
    /// <param name="epochs">Number of passes over <paramref name="batches"/>.</param>
    /// <param name="progress">Receives one report per step.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <param name="summaries">If given, each step's loss (and the extra scalars / summary op it names) goes to its event file.</param>
    /// <exception cref="ArgumentException">No batches, or fewer than one epoch.</exception>
    public static IReadOnlyList<float> Run(Session session, string trainOp, string loss, IReadOnlyList<IReadOnlyDictionary<string, Tensor>> batches,
        int epochs, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default, TrainingSummaries? summaries = null)
    {
        if (batches.Count == 0) throw new ArgumentException("No batches to train on.", nameof(batches));
        if (epochs < 1) throw new ArgumentException($"epochs must be ≥ 1, got {epochs}.", nameof(epochs));
        var means = new List<float>(epochs);
        string[] fetches = summaries == null ? [loss]
            : [loss, .. summaries.Scalars.Values, .. summaries.SummaryOp is { } op ? new[] { op } : []];
        for (int e = 1; e <= epochs; e++)
        {
            double sum = 0;
            for (int s = 0; s < batches.Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var values = session.Run(fetches, batches[s], [trainOp]);
                float l = values[0].Scalar<float>();
                sum += l;
                if (summaries != null) WriteStep(summaries, values, l);
                progress?.Report(new TrainingProgress(e, epochs, s + 1, batches.Count, l));
            }
            means.Add((float)(sum / batches.Count));
            summaries?.Writer.AddScalar(summaries.LossTag + "/epoch_mean", means[^1], summaries.Step);
        }
        return means;
    }

    private static void WriteStep(TrainingSummaries summaries, Tensor[] values, float loss)
    {
        long step = ++summaries.Step;
        summaries.Writer.AddScalar(summaries.LossTag, loss, step);
        int i = 1;
        foreach (var tag in summaries.Scalars.Keys) summaries.Writer.AddScalar(tag, ScalarOf(values[i++], tag), step);
        if (summaries.SummaryOp != null) summaries.Writer.AddSummary(values[i], step);
    }

    private static double ScalarOf(Tensor t, string tag)
    {
        if (t.NumElements != 1) throw new ArgumentException($"Summary scalar '{tag}' must have one element, got shape {t.Shape}.");
        return t.DType switch
        {
            Protos.DataType.DtFloat => t.AsSpan<float>()[0],
            Protos.DataType.DtDouble => t.AsSpan<double>()[0],
            Protos.DataType.DtInt32 => t.AsSpan<int>()[0],
            Protos.DataType.DtInt64 => t.AsSpan<long>()[0],
            _ => throw new ArgumentException($"Summary scalar '{tag}' must be numeric, got {DataTypes.Name(t.DType)}."),
        };
    }
}
