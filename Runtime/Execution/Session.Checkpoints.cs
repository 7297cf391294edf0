using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Execution;

public sealed partial class Session
{
    /// <summary>
    /// Restores variables from a checkpoint. With a <paramref name="saverDef"/> (the one in the <c>.meta</c>)
    /// the graph's own restore op runs, with the prefix fed to its filename tensor — exactly what TF's
    /// <c>saver.restore</c> does. Without one, every variable node (<c>VariableV2</c>, <c>VarHandleOp</c>) is
    /// assigned the checkpoint tensor under its node name.
    /// </summary>
    /// <param name="prefixOrDirectory">A prefix (<c>dir/model-1000</c>), its <c>.index</c>, a folder with a
    /// <c>checkpoint</c> state file (latest checkpoint), or a SavedModel folder.</param>
    /// <param name="saverDef">The graph's SaverDef, or null for the direct path.</param>
    /// <exception cref="CheckpointFormatException">No checkpoint there, or it is malformed.</exception>
    /// <exception cref="GraphExecutionException">A variable is missing from the checkpoint or its dtype/shape differs.</exception>
    public void Restore(string prefixOrDirectory, SaverDef? saverDef = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefixOrDirectory);
        // A V1 checkpoint (TF < 0.12: one table file per shard, no .index) is named by its file or file pattern.
        bool v1 = !Directory.Exists(prefixOrDirectory) && !File.Exists(prefixOrDirectory + ".index") && CheckpointV1Reader.Exists(prefixOrDirectory);
        var prefix = v1 ? prefixOrDirectory : ResolveCheckpoint(prefixOrDirectory);
        if (saverDef != null && !string.IsNullOrEmpty(saverDef.RestoreOpName))
        {
            var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [saverDef.FilenameTensorName] = Tensor.FromString(prefix) };
            Run([], feeds, [saverDef.RestoreOpName]);
            return;
        }
        using var v2 = v1 ? null : CheckpointReader.Open(prefix);
        var v1Reader = v1 ? CheckpointV1Reader.Open(prefix) : null;
        var reader = (Prefix: v2?.Prefix ?? prefix, Contains: (Func<string, bool>)(n => v2?.Contains(n) ?? v1Reader!.Contains(n)),
            Read: (Func<string, Tensor>)(n => v2?.Read(n) ?? v1Reader!.Read(n)));
        var missing = new List<string>();
        foreach (var node in Graph.Nodes)
        {
            if (!VariableInitializers.IsVariableOp(node.Op)) continue;
            if (!reader.Contains(node.Name))
            {
                missing.Add(node.Name);
                continue;
            }
            var value = reader.Read(node.Name);
            var dtype = node.GetType("dtype", DataType.DtInvalid);
            if (dtype != DataType.DtInvalid && DataTypes.BaseType(dtype) != value.DType)
                throw new GraphExecutionException($"Cannot restore variable '{node.Name}' ({DataTypes.Name(dtype)}) from a {DataTypes.Name(value.DType)} tensor in '{reader.Prefix}'.", node.Name);
            if (node.GetShape("shape") is { UnknownRank: false } shape && shape.Dim.All(d => d.Size >= 0)
                && !shape.Dim.Select(d => d.Size).SequenceEqual(value.Shape.ToArray().Select(d => (long)d)))
                throw new GraphExecutionException($"Cannot restore variable '{node.Name}' of shape {ExecutionPlan.ShapeText(shape)} from a tensor of shape {value.Shape} in '{reader.Prefix}'.", node.Name);
            var slot = State.Variable(Kernels.Exec.VariableKernels.SlotName(node));
            lock (slot.SyncRoot) slot.Value = value;
        }
        if (missing.Count > 0)
            throw new GraphExecutionException($"Checkpoint '{reader.Prefix}' has no tensor for variable(s) {string.Join(", ", missing.Select(m => $"'{m}'"))}.", missing[0]);
    }

    /// <summary>
    /// Saves variables to <paramref name="prefix"/>. With a <paramref name="saverDef"/> the graph's own save op
    /// runs (<c>SaveV2</c> with the prefix fed, like TF's <c>saver.save</c> without the state file); without
    /// one, every initialized variable is written under its node name.
    /// </summary>
    /// <returns>The prefix written.</returns>
    /// <exception cref="GraphExecutionException">A variable is uninitialized or the save op failed.</exception>
    public string Save(string prefix, SaverDef? saverDef = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (saverDef != null && !string.IsNullOrEmpty(saverDef.SaveTensorName))
        {
            var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal) { [saverDef.FilenameTensorName] = Tensor.FromString(prefix) };
            Run([saverDef.SaveTensorName], feeds);
            return prefix;
        }
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        using var writer = new CheckpointWriter(prefix);
        foreach (var node in Graph.Nodes)
        {
            if (!VariableInitializers.IsVariableOp(node.Op)) continue;
            var slot = State.FindVariable(Kernels.Exec.VariableKernels.SlotName(node));
            writer.Add(node.Name, slot?.GetValue(node.Name) ?? throw new GraphExecutionException(
                $"Attempting to save uninitialized variable {node.Name}.", node.Name));
        }
        writer.Finish();
        return prefix;
    }

    /// <summary>A SavedModel folder means its <c>variables/variables</c>; anything else goes to <see cref="Checkpoint.ResolvePrefix"/>.</summary>
    private static string ResolveCheckpoint(string prefixOrDirectory)
    {
        var savedModel = Path.Combine(prefixOrDirectory, "variables", "variables");
        if (Directory.Exists(prefixOrDirectory) && File.Exists(savedModel + ".index") && !File.Exists(Path.Combine(prefixOrDirectory, "checkpoint")))
            return savedModel;
        return Checkpoint.ResolvePrefix(prefixOrDirectory);
    }
}
