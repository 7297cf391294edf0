using TypedGraph.Execution;

namespace TypedGraph.Training;

// Session-facing overloads (the session's variables live in Session.State).
public sealed partial class Saver
{
    /// <summary>Saves the session's variables; see <see cref="Save(Kernels.SessionState, string, long?, bool, IProgress{CheckpointProgress}?)"/>.</summary>
    /// <returns>The checkpoint prefix written, e.g. <c>dir/model-1000</c>.</returns>
    public string Save(Session session, string savePath, long? globalStep = null, bool writeMetaGraph = true, IProgress<CheckpointProgress>? progress = null)
        => Save(session.State, savePath, globalStep, writeMetaGraph, progress);

    /// <summary>Restores into the session's variables; see <see cref="Restore(Kernels.SessionState, string, IProgress{CheckpointProgress}?)"/>.</summary>
    public void Restore(Session session, string prefixOrDirectory, IProgress<CheckpointProgress>? progress = null)
        => Restore(session.State, prefixOrDirectory, progress);
}
