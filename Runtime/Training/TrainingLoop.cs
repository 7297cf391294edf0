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
    /// <exception cref="ArgumentException">No batches, or fewer than one epoch.</exception>
    public static IReadOnlyList<float> Run(Session session, string trainOp, string loss, IReadOnlyList<IReadOnlyDictionary<string, Tensor>> batches,
        int epochs, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        if (batches.Count == 0) throw new ArgumentException("No batches to train on.", nameof(batches));
        if (epochs < 1) throw new ArgumentException($"epochs must be ≥ 1, got {epochs}.", nameof(epochs));
        var means = new List<float>(epochs);
        for (int e = 1; e <= epochs; e++)
        {
            double sum = 0;
            for (int s = 0; s < batches.Count; s++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                float l = session.Run([loss], batches[s], [trainOp])[0].Scalar<float>();
                sum += l;
                progress?.Report(new TrainingProgress(e, epochs, s + 1, batches.Count, l));
            }
            means.Add((float)(sum / batches.Count));
        }
        return means;
    }
}
