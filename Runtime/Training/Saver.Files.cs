using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Formats;
using TypedGraph.Kernels;

namespace TypedGraph.Training;

// Saving, restoring and the checkpoint bookkeeping of tf.train.Saver (saver.py, checkpoint_management.py).
public sealed partial class Saver
{
    /// <summary>
    /// Saves every variable of this saver from <paramref name="state"/> to <c>savePath[-globalStep]</c>.
    /// Everything that can fail on the inputs (an uninitialized variable, a graph the <c>.meta</c> cannot
    /// describe) is checked before any file is written. Temp files left by an interrupted earlier save of the
    /// same <paramref name="savePath"/> are removed. Then the bundle (temp files renamed into place), the
    /// <c>.meta</c>, the <c>checkpoint</c> state file, and only then the deletion of checkpoints beyond
    /// <c>max_to_keep</c> — the order of TF's <c>Saver.save</c> (saver.py: <c>_RecordLastCheckpoint</c>,
    /// <c>update_checkpoint_state_internal</c>, then <c>_MaybeDeleteOldCheckpoints</c>), so a crash at any point
    /// leaves a state file that names only complete, existing checkpoints. (TF exports the <c>.meta</c> after the
    /// state file; we write it before, so a listed checkpoint always has its <c>.meta</c>.)
    /// </summary>
    /// <param name="state">The session state holding the variables.</param>
    /// <param name="savePath">Prefix like <c>dir/model</c>.</param>
    /// <param name="globalStep">Appended as <c>-N</c> (TF's <c>global_step</c> argument).</param>
    /// <param name="writeMetaGraph">Also write <c>&lt;prefix&gt;.meta</c>.</param>
    /// <param name="progress">Receives one report per tensor.</param>
    /// <returns>The checkpoint prefix written.</returns>
    /// <exception cref="GraphExecutionException">A variable is not initialized.</exception>
    public string Save(SessionState state, string savePath, long? globalStep = null, bool writeMetaGraph = true, IProgress<CheckpointProgress>? progress = null)
    {
        var prefix = globalStep is long g ? $"{savePath}-{(_options.PadStepNumber ? g.ToString("D8", System.Globalization.CultureInfo.InvariantCulture) : g.ToString(System.Globalization.CultureInfo.InvariantCulture))}" : savePath;
        // Validate before writing anything: every value present, the .meta serializable.
        var values = new Tensor[_vars.Count];
        for (int i = 0; i < _vars.Count; i++)
        {
            var (key, v) = (_vars[i].Key, _vars[i].Value);
            values[i] = state.FindVariable(SlotName(v))?.Value ?? throw new GraphExecutionException(
                $"Cannot save '{key}': variable '{v.Name}' is not initialized in this session (run the initializer or restore first).", v.Name);
        }
        byte[]? metaBytes = writeMetaGraph ? Google.Protobuf.MessageExtensions.ToByteArray(MetaGraphExporter.Export(_builder, SaverDef)) : null;
        var dir = Path.GetDirectoryName(prefix);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        DeleteInterruptedSaveFiles(savePath);
        using (var writer = new CheckpointWriter(prefix))
        {
            long bytes = 0;
            for (int i = 0; i < _vars.Count; i++)
            {
                var (key, value) = (_vars[i].Key, values[i]);
                writer.Add(key, value);
                bytes += value.DType == Protos.DataType.DtString ? value.Strings.Sum(s => (long)s.Length) : value.ByteLength;
                progress?.Report(new CheckpointProgress("save", key, i + 1, _vars.Count, bytes));
            }
            FaultInjection?.Invoke("data");
            writer.Finish();
        }
        if (metaBytes != null)
        {
            FaultInjection?.Invoke("meta");
            AtomicFile.WriteAllBytes(Checkpoint.MetaGraphPath(prefix), metaBytes);
        }
        FaultInjection?.Invoke("state");
        RecordLastCheckpoint(prefix);
        var stale = TakeCheckpointsToDelete();
        UpdateCheckpointState(prefix);
        FaultInjection?.Invoke("delete");
        foreach (var old in stale) DeleteCheckpointFiles(old);
        return prefix;
    }

    /// <summary>
    /// Restores this saver's variables from <paramref name="prefixOrDirectory"/> into <paramref name="state"/>.
    /// Every key is checked first: names missing from the checkpoint and dtype/shape mismatches are all listed
    /// in one error, and nothing is assigned then.
    /// </summary>
    /// <exception cref="CheckpointFormatException">Missing or mismatched tensors, or a bad checkpoint.</exception>
    public void Restore(SessionState state, string prefixOrDirectory, IProgress<CheckpointProgress>? progress = null)
    {
        var prefix = Checkpoint.ResolvePrefix(prefixOrDirectory);
        using var reader = CheckpointReader.Open(prefix);
        var problems = new List<string>();
        foreach (var (key, v) in _vars)
        {
            if (!reader.Contains(key))
            {
                problems.Add($"'{key}' (variable '{v.Name}') is not in the checkpoint");
                continue;
            }
            var e = reader.GetEntry(key);
            if (e.DType != v.DType) problems.Add($"'{key}' is {DataTypes.Name(e.DType)} in the checkpoint but variable '{v.Name}' is {DataTypes.Name(v.DType)}");
            else if (v.Shape != null && !v.Shape.SequenceEqual(e.Shape))
                problems.Add($"'{key}' has shape [{string.Join(", ", e.Shape)}] in the checkpoint but variable '{v.Name}' has shape [{string.Join(", ", v.Shape)}]");
        }
        if (problems.Count > 0)
        {
            var available = string.Join(", ", reader.Entries.Select(en => en.Name).Take(30));
            throw new CheckpointFormatException(prefix + ".index",
                $"cannot restore {problems.Count} of {_vars.Count} variables: {string.Join("; ", problems)}. The checkpoint holds: {available}.");
        }
        long bytes = 0;
        for (int i = 0; i < _vars.Count; i++)
        {
            var (key, v) = (_vars[i].Key, _vars[i].Value);
            // Copy: the reader may hand out views of a mapped file, and training updates variables in place.
            // The view is disposed (unmapped) right after the copy rather than left to its finalizer.
            Tensor value;
            using (var view = reader.Read(key)) value = view.Clone();
            var slot = state.Variable(SlotName(v));
            lock (slot.SyncRoot) slot.Value = value;
            bytes += value.DType == Protos.DataType.DtString ? 0 : value.ByteLength;
            progress?.Report(new CheckpointProgress("restore", key, i + 1, _vars.Count, bytes));
        }
    }

    private void RecordLastCheckpoint(string path)
    {
        if (_options.MaxToKeep <= 0) return;
        _last.RemoveAll(l => l.Path == path);
        _last.Add((path, _options.Clock()));
    }

    // TF's _RecordLastCheckpoint/_MaybeDeleteOldCheckpoints: beyond max_to_keep the oldest leaves the list and is
    // deleted, unless keep_checkpoint_every_n_hours says to preserve it (then it is only dropped from the list).
    // The files go only after the state file has been rewritten without them.
    private List<string> TakeCheckpointsToDelete()
    {
        var delete = new List<string>();
        while (_options.MaxToKeep > 0 && _last.Count > _options.MaxToKeep)
        {
            var (path, time) = _last[0];
            _last.RemoveAt(0);
            if (time > _nextKeepTime)
            {
                _nextKeepTime += TimeSpan.FromHours(_options.KeepCheckpointEveryNHours);
                continue;
            }
            delete.Add(path);
        }
        return delete;
    }

    // Temp files of a save that was killed before its renames: <prefix>.index/.data-….tempstate<n> (CheckpointWriter,
    // TF's naming), <prefix>.meta.tmp<32 hex> (AtomicFile) and checkpoint.tmp<32 hex>. Only names under this save
    // path's base name are touched, so another saver's files in the same directory are left alone.
    private static void DeleteInterruptedSaveFiles(string savePath)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(savePath))!;
        if (!Directory.Exists(dir)) return;
        var name = Path.GetFileName(savePath);
        var ours = new System.Text.RegularExpressions.Regex(@"^" + System.Text.RegularExpressions.Regex.Escape(name)
            + @".*\.(index|data-\d{5}-of-\d{5}|meta)\.(tempstate\d+|tmp[0-9a-f]{32})$");
        var state = new System.Text.RegularExpressions.Regex(@"^" + CheckpointState.FileName + @"\.tmp[0-9a-f]{32}$");
        foreach (var f in Directory.EnumerateFiles(dir))
        {
            var file = Path.GetFileName(f);
            if (ours.IsMatch(file) || state.IsMatch(file)) CheckpointWriter.TryDelete(f);
        }
    }

    private static void DeleteCheckpointFiles(string prefix)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(prefix))!;
        var name = Path.GetFileName(prefix);
        foreach (var f in Directory.EnumerateFiles(dir, name + ".*"))
        {
            var suffix = Path.GetFileName(f)[name.Length..];
            if (suffix is ".index" or ".meta" || System.Text.RegularExpressions.Regex.IsMatch(suffix, @"^\.data-\d{5}-of-\d{5}$"))
                File.Delete(f);
        }
    }

    private void UpdateCheckpointState(string prefix)
    {
        var saveDir = Path.GetDirectoryName(prefix) ?? "";
        var paths = _last.Select(l => l.Path).ToList();
        if (paths.Count == 0 || paths[^1] != prefix) paths.Add(prefix);
        bool relative = !Path.IsPathRooted(saveDir) || _options.SaveRelativePaths;
        string Store(string p) => relative && !(Path.IsPathRooted(p) && !Path.IsPathRooted(saveDir))
            ? Path.GetRelativePath(saveDir.Length == 0 ? "." : saveDir, p)
            : p;
        var state = new CheckpointState { ModelCheckpointPath = Store(prefix) };
        state.AllModelCheckpointPaths.AddRange(paths.Select(Store));
        state.Write(saveDir.Length == 0 ? "." : saveDir);
    }
}
