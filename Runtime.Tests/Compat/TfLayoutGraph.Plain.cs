using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

public sealed partial class TfLayoutGraph
{
    /// <summary>
    /// Adds the non-sharded V2 Saver of TF 1.13 (tf-formats.md §3.2): <c>save/filename/input</c> →
    /// <c>save/filename</c> → <c>save/Const</c> (PlaceholderWithDefault), one SaveV2 over the global variables in
    /// sorted-key order (resource variables saved from <c>&lt;v&gt;/Read/ReadVariableOp</c>, partitions under their
    /// full name with a <c>shape_and_slices</c> spec), <c>save/control_dependency</c>, one bulk RestoreV2 on
    /// <c>/device:CPU:0</c>, <c>save/Assign[_k]</c> for ref and <c>save/Identity[_k]</c> +
    /// <c>save/AssignVariableOp[_k]</c> for resource variables, and <c>save/restore_all</c>.
    /// </summary>
    public SaverDef AddSaver()
    {
        _g.Const("save/filename/input", Tensor.FromString("model"));
        _g.Op("save/filename", "PlaceholderWithDefault", ["save/filename/input"], ("dtype", Type(DataType.DtString)), ("shape", Shape([])));
        _g.Op("save/Const", "PlaceholderWithDefault", ["save/filename"], ("dtype", Type(DataType.DtString)), ("shape", Shape([])));
        // Sorted by key; the partitions of one variable stay in partition order (Python's sort is stable).
        var vars = _vars.Where(v => !v.Local).OrderBy(v => v.SaveKey, StringComparer.Ordinal).ToList();
        var keys = Tensor.FromStrings(vars.Select(v => v.SaveKey).ToArray());
        var specs = Tensor.FromStrings(vars.Select(v => v.SliceSpec).ToArray());
        var dtypes = Types(vars.Select(v => v.DType).ToArray());
        _g.Const("save/SaveV2/tensor_names", keys);
        _g.Const("save/SaveV2/shape_and_slices", specs);
        _g.Op("save/SaveV2", "SaveV2", ["save/Const", "save/SaveV2/tensor_names", "save/SaveV2/shape_and_slices", .. vars.Select(v => v.Resource ? v.Name + "/Read/ReadVariableOp" : v.Name)], ("dtypes", dtypes));
        _g.Op("save/control_dependency", "Identity", ["save/Const", "^save/SaveV2"], T(DataType.DtString), ("_class", ClassAttr("save/Const")));
        Dev(_g.Const("save/RestoreV2/tensor_names", keys), "/device:CPU:0");
        Dev(_g.Const("save/RestoreV2/shape_and_slices", specs), "/device:CPU:0");
        Dev(_g.Op("save/RestoreV2", "RestoreV2", ["save/Const", "save/RestoreV2/tensor_names", "save/RestoreV2/shape_and_slices"], ("dtypes", dtypes)), "/device:CPU:0");
        var ops = new List<string>();
        int assign = 0, assignVar = 0;
        for (int k = 0; k < vars.Count; k++)
        {
            var v = vars[k];
            var output = k == 0 ? "save/RestoreV2" : $"save/RestoreV2:{k}";
            if (v.Resource)
            {
                var id = _g.Op(NextIdentity(), "Identity", [output], T(v.DType));
                ops.Add(_g.Op(assignVar++ == 0 ? "save/AssignVariableOp" : $"save/AssignVariableOp_{assignVar - 1}", "AssignVariableOp", [v.Name, id], ("dtype", Type(v.DType))));
            }
            else
            {
                ops.Add(_g.Op(assign++ == 0 ? "save/Assign" : $"save/Assign_{assign - 1}", "Assign", [v.Name, output], T(v.DType),
                    ("_class", ClassAttr(v.Name)), ("use_locking", Bool(true)), ("validate_shape", Bool(true))));
            }
        }
        _g.Op("save/restore_all", "NoOp", ops.Select(o => "^" + o).ToArray());
        return new SaverDef
        {
            FilenameTensorName = "save/Const:0",
            SaveTensorName = "save/control_dependency:0",
            RestoreOpName = "save/restore_all",
            MaxToKeep = 5,
            KeepCheckpointEveryNHours = 10000,
            Version = SaverDef.Types.CheckpointFormatVersion.V2,
        };
    }

    private static AttrValue ClassAttr(string node)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        a.List.S.Add(Google.Protobuf.ByteString.CopyFromUtf8("loc:@" + node));
        return a;
    }
}
