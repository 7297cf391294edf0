using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Adds the nodes <c>tf.train.Saver()</c> adds (non-sharded V2, bulk restore; tf-formats.md §3.2):
/// <c>save/Const</c>, <c>save/SaveV2</c> with its <c>tensor_names</c>/<c>shape_and_slices</c> Consts,
/// <c>save/control_dependency</c>, <c>save/RestoreV2</c>, one <c>save/Assign[_k]</c> per variable in sorted
/// key order and <c>save/restore_all</c>; returns the matching <see cref="SaverDef"/>.
/// </summary>
internal static class SaverGraph
{
    public static SaverDef Build(GraphBuilder b, IReadOnlyList<KeyValuePair<string, Variable>> sorted, SaverOptions o)
    {
        var scope = b.UniqueName(o.Name);
        using var _ = b.NameScope(scope + "/");
        Output filename;
        if (o.FilenamePlaceholder)
        {
            Output input;
            using (b.NameScope("filename")) input = b.Constant("model", "input");
            var fn = b.OutputOf(b.AddOperationExact(scope + "/filename", "PlaceholderWithDefault", [input], new Dictionary<string, AttrValue> { ["shape"] = Attrs.Shape([]), ["dtype"] = Attrs.Type(DataType.DtString) }));
            filename = b.PlaceholderWithDefault(fn, [], "Const");
        }
        else filename = b.Constant("model", "Const");

        var keys = sorted.Select(kv => kv.Key).ToArray();
        var dtypes = Attrs.Types(sorted.Select(kv => kv.Value.DType));
        var slices = Enumerable.Repeat("", keys.Length).ToArray();
        Node save;
        using (b.NameScope(scope + "/SaveV2/"))
        {
            var names = b.Constant(Tensor.FromStrings(keys), "tensor_names");
            var shapes = b.Constant(Tensor.FromStrings(slices), "shape_and_slices");
            var tensors = sorted.Select(kv => kv.Value.IsResource ? kv.Value.Snapshot : kv.Value.Ref).ToList();
            save = b.AddOperationExact(scope + "/SaveV2", "SaveV2", [filename, names, shapes, .. tensors], new Dictionary<string, AttrValue> { ["dtypes"] = dtypes });
        }
        var control = b.AddOperation("Identity", [filename], new Dictionary<string, AttrValue> { ["_class"] = Attrs.Colocate(filename.NodeName) },
            "control_dependency", [save.Name]);

        Node restore;
        using (b.NameScope(scope + "/RestoreV2/"))
        {
            var names = b.Constant(Tensor.FromStrings(keys), "tensor_names");
            var shapes = b.Constant(Tensor.FromStrings(slices), "shape_and_slices");
            names = WithDevice(b, names);
            shapes = WithDevice(b, shapes);
            restore = b.AddOperationExact(scope + "/RestoreV2", "RestoreV2", [filename, names, shapes], new Dictionary<string, AttrValue> { ["dtypes"] = dtypes });
            restore.Def.Device = "/device:CPU:0";
        }
        var assigns = new List<string>();
        for (int k = 0; k < sorted.Count; k++)
        {
            var v = sorted[k].Value;
            var value = b.OutputOf(restore, k);
            if (v.IsResource)
            {
                var id = b.Identity(value, "Identity");
                assigns.Add(b.AddOperation("AssignVariableOp", [v.Ref, id], new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(v.DType) }, "AssignVariableOp").Name);
            }
            else assigns.Add(b.Assign(v, value, "Assign").NodeName);
        }
        var restoreAll = b.AddOperation("NoOp", [], null, "restore_all", assigns);
        return new SaverDef
        {
            FilenameTensorName = filename.Name,
            SaveTensorName = b.OutputOf(control).Name,
            RestoreOpName = restoreAll.Name,
            MaxToKeep = o.MaxToKeep,
            KeepCheckpointEveryNHours = (float)o.KeepCheckpointEveryNHours,
            Version = SaverDef.Types.CheckpointFormatVersion.V2,
        };
    }

    // TF ≥ 1.6 pins RestoreV2 and its two Consts to the CPU (tf-formats.md §3.2).
    private static Output WithDevice(GraphBuilder b, Output o)
    {
        b.GetOperation(o.NodeName).Def.Device = "/device:CPU:0";
        return o;
    }
}
