using TypedGraph.Execution;
using TypedGraph.Formats;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.SavedModels;

/// <summary>
/// Restores what a default <c>tf.train.Saver()</c> would for a meta graph that carries no SaverDef (TF's
/// <c>import_meta_graph</c> then builds one over the global variables): every VariableDef of the
/// <c>variables</c> collection, keyed by its op name — or, for a partition (<c>save_slice_info_def</c>), its slice
/// of the full tensor saved under <c>full_name</c>. Local variables are left to the init op, as in TF.
/// </summary>
public static class CollectionRestore
{
    /// <summary>Assigns the global variables of <paramref name="meta"/> in <paramref name="session"/> from <paramref name="prefix"/>.</summary>
    /// <returns>How many variables were restored; without a <c>variables</c> collection, every variable node is
    /// restored by name instead (<see cref="Session.Restore"/>) and the count of variable nodes is returned.</returns>
    /// <exception cref="GraphExecutionException">A variable is missing from the checkpoint, or its dtype/shape differs.</exception>
    /// <exception cref="CheckpointFormatException">The checkpoint is missing or damaged.</exception>
    public static int Restore(Session session, MetaGraph meta, string prefix)
    {
        if (!meta.Proto.CollectionDef.TryGetValue("variables", out var col) || col.BytesList == null)
        {
            session.Restore(prefix);
            return meta.Graph.Nodes.Count(n => Execution.VariableInitializers.IsVariableOp(n.Op));
        }
        using var reader = CheckpointReader.Open(prefix);
        int count = 0;
        foreach (var bytes in col.BytesList.Value)
        {
            var def = VariableDef.Parser.ParseFrom(bytes);
            var nodeName = TensorRef.Parse(def.VariableName).NodeName;
            var node = meta.Graph.FindNode(nodeName)
                ?? throw new GraphExecutionException($"The 'variables' collection names '{def.VariableName}', which is not in the graph.", nodeName);
            var slice = def.SaveSliceInfoDef;
            var key = slice?.FullName is { Length: > 0 } full ? full : nodeName;
            if (!reader.Contains(key))
                throw new GraphExecutionException($"Checkpoint '{reader.Prefix}' has no tensor '{key}' for variable '{nodeName}'.", nodeName);
            var value = reader.Read(key);
            if (slice is { FullName.Length: > 0 })
            {
                // The full tensor may be a mapped view: it stays alive (and is then unmapped) around the copy.
                using var stored = value;
                value = Cut(stored, slice, nodeName, reader.Prefix);
            }
            var dtype = node.GetType("dtype", DataType.DtInvalid);
            if (dtype != DataType.DtInvalid && DataTypes.BaseType(dtype) != value.DType)
                throw new GraphExecutionException($"Cannot restore variable '{nodeName}' ({DataTypes.Name(dtype)}) from a {DataTypes.Name(value.DType)} tensor '{key}' in '{reader.Prefix}'.", nodeName);
            if (node.GetShape("shape") is { UnknownRank: false } shape && shape.Dim.All(d => d.Size >= 0)
                && !shape.Dim.Select(d => d.Size).SequenceEqual(value.Shape.ToArray().Select(d => (long)d)))
                throw new GraphExecutionException($"Cannot restore variable '{nodeName}' of shape [{string.Join(", ", shape.Dim.Select(d => d.Size))}] from a tensor of shape {value.Shape} ('{key}' in '{reader.Prefix}').", nodeName);
            var slot = session.State.Variable(VariableKernels.SlotName(node));
            lock (slot.SyncRoot) slot.Value = value;
            count++;
        }
        return count;
    }

    // The partition's box [var_offset, var_offset + var_shape) of the full tensor.
    private static Tensor Cut(Tensor full, SaveSliceInfoDef info, string nodeName, string prefix)
    {
        var dims = full.Shape.ToArray();
        if (info.FullShape.Count != dims.Length || !info.FullShape.SequenceEqual(dims.Select(d => (long)d))
            || info.VarOffset.Count != dims.Length || info.VarShape.Count != dims.Length
            || Enumerable.Range(0, dims.Length).Any(d => info.VarOffset[d] < 0 || info.VarShape[d] < 0 || info.VarOffset[d] + info.VarShape[d] > dims[d]))
            throw new GraphExecutionException($"Partition '{nodeName}' (offset [{string.Join(", ", info.VarOffset)}], shape [{string.Join(", ", info.VarShape)}] of [{string.Join(", ", info.FullShape)}]) does not fit '{info.FullName}' of shape {full.Shape} in '{prefix}'.", nodeName);
        var box = info.VarShape.Select(d => (int)d).ToArray();
        var strides = StridedCopy.Strides(dims);
        long start = 0;
        for (int d = 0; d < dims.Length; d++) start += info.VarOffset[d] * strides[d];
        var result = Tensor.Zeros(full.DType, new TensorShape(box));
        if (result.NumElements > 0) StridedCopy.Run(full, start, strides, result, 0, StridedCopy.Strides(box), box);
        return result;
    }
}
