using Google.Protobuf;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>A variable of a <see cref="TfLayoutGraph"/>: ref (<c>VariableV2</c>) or resource (<c>VarHandleOp</c>),
/// on a device (one saver shard per device, as <c>Saver(sharded=True)</c> groups them).</summary>
public sealed record TfVar(string Name, DataType DType, long[] Shape, Tensor Initial, bool Resource, string Device = "", bool Local = false,
    SaveSliceInfoDef? SliceInfo = null)
{
    /// <summary>The checkpoint key: the full variable's name for a partition, else the op name.</summary>
    public string SaveKey => SliceInfo?.FullName ?? Name;

    /// <summary>The <c>shape_and_slices</c> string: <c>""</c>, or for a partition e.g. <c>"4 3 2,2:0,3"</c>.</summary>
    public string SliceSpec => SliceInfo == null ? ""
        : string.Join(" ", SliceInfo.FullShape) + " " + string.Join(":", SliceInfo.VarOffset.Zip(SliceInfo.VarShape, (o, l) => $"{o},{l}"));

    /// <summary>The tensor consumers read (<c>w/read:0</c> or <c>w/Read/ReadVariableOp:0</c>).</summary>
    public string Snapshot => Resource ? Name + "/Read/ReadVariableOp:0" : Name + "/read:0";
}

/// <summary>
/// Writes graphs NodeDef by NodeDef with the names, ops and wiring TF 1.x Python writes (tf-formats.md §3.2,
/// §3.3, §4.2): ref and resource variables with their initializer/read nodes and VariableDefs, and the
/// sharded V2 Saver of TF 1.14 (filename PlaceholderWithDefault, the s3 <c>tf.cond</c> for the temp suffix,
/// per-device ShardedFilename + SaveV2, MergeV2Checkpoints, <c>save/Identity_N</c>, RestoreV2 per shard,
/// <c>save/restore_shard[_k]</c> grouped by <c>save/restore_all</c>). There is no TF here, so these graphs
/// stand in for files a TF 1.x SavedModelBuilder would write.
/// </summary>
public sealed partial class TfLayoutGraph
{
    private readonly ExecGraph _g = new();
    private readonly List<TfVar> _vars = [];
    private int _identity;

    /// <summary>The graph built so far.</summary>
    public ExecGraph Exec => _g;

    /// <summary>The variables added, in creation order.</summary>
    public IReadOnlyList<TfVar> Variables => _vars;

    /// <summary>Adds a variable the way <c>tf.get_variable(..., initializer=tf.constant_initializer(v))</c> does.</summary>
    public TfVar AddVariable(TfVar v)
    {
        var init = _g.Const(v.Name + "/Initializer/Const", v.Initial);
        if (v.Resource)
        {
            Dev(_g.Op(v.Name, "VarHandleOp", [], ("dtype", Type(v.DType)), ("shape", Shape(v.Shape)), ("container", Str("")), ("shared_name", Str(v.Name))), v.Device);
            Dev(_g.Op(v.Name + "/IsInitialized/VarIsInitializedOp", "VarIsInitializedOp", [v.Name]), v.Device);
            Dev(_g.Op(v.Name + "/Assign", "AssignVariableOp", [v.Name, init], ("dtype", Type(v.DType))), v.Device);
            Dev(_g.Op(v.Name + "/Read/ReadVariableOp", "ReadVariableOp", [v.Name], ("dtype", Type(v.DType))), v.Device);
        }
        else
        {
            Dev(_g.Variable(v.Name, v.DType, v.Shape), v.Device);
            Dev(_g.Op(v.Name + "/Assign", "Assign", [v.Name, init], T(v.DType), ("use_locking", Bool(true)), ("validate_shape", Bool(true))), v.Device);
            Dev(_g.Op(v.Name + "/read", "Identity", [v.Name], T(v.DType)), v.Device);
        }
        _vars.Add(v);
        return v;
    }

    /// <summary>The VariableDef TF serializes into the <c>variables</c> collection.</summary>
    public static VariableDef ToVariableDef(TfVar v) => new()
    {
        VariableName = v.Name + ":0",
        InitializerName = v.Name + "/Assign",
        SnapshotName = v.Snapshot,
        IsResource = v.Resource,
        InitialValueName = v.Name + "/Initializer/Const:0",
        Trainable = !v.Local && v.DType != DataType.DtInt64,
        SaveSliceInfoDef = v.SliceInfo,
    };

    /// <summary>Collections <c>variables</c>, <c>trainable_variables</c> and <c>local_variables</c> as TF exports them.</summary>
    public void AddVariableCollections(MetaGraphDef meta)
    {
        void Add(string key, IEnumerable<TfVar> vars)
        {
            var list = vars.ToList();
            if (list.Count == 0) return;
            var c = new CollectionDef { BytesList = new CollectionDef.Types.BytesList() };
            c.BytesList.Value.AddRange(list.Select(v => ToVariableDef(v).ToByteString()));
            meta.CollectionDef[key] = c;
        }
        Add("variables", _vars.Where(v => !v.Local));
        Add("trainable_variables", _vars.Where(v => !v.Local && ToVariableDef(v).Trainable));
        Add("local_variables", _vars.Where(v => v.Local));
    }

    /// <summary>
    /// Adds TF 1.14's sharded Saver over the global variables (SavedModelBuilder's <c>Saver(sharded=True)</c>):
    /// one shard per device in sorted device order, keys sorted inside each shard. Resource variables are read
    /// through <c>save/Read[_k]/ReadVariableOp</c> + <c>save/Identity[_k]</c> (TF 1.14) or, with
    /// <paramref name="readSnapshot"/>, straight from <c>&lt;v&gt;/Read/ReadVariableOp</c> (TF 1.13).
    /// </summary>
    public SaverDef AddShardedSaver(bool readSnapshot = false, bool tf10 = false)
    {
        string fname;
        if (tf10)
        {
            // TF 1.0 SavedModelBuilder: a first Saver already took save/Const and save/restore_all, so the sharded
            // one reuses the scope with uniquified names and builds the temp suffix with a plain Const.
            _g.Const("save/Const", Tensor.FromString("model"));
            _g.Op("save/restore_all", "NoOp", []);
            fname = _g.Const("save/Const_1", Tensor.FromString("model"));
            _g.Const("save/StringJoin/inputs_1", Tensor.FromString("_temp_9f1e2d3c4b5a49788796a5b4c3d2e1f0/part"));
            _g.Op("save/StringJoin", "StringJoin", [fname, "save/StringJoin/inputs_1"], ("N", Int(2)), ("separator", Str("")));
        }
        else
        {
            fname = "save/Const";
            _g.Const("save/filename/input", Tensor.FromString("model"));
            _g.Op("save/filename", "PlaceholderWithDefault", ["save/filename/input"], ("dtype", Type(DataType.DtString)), ("shape", Shape([])));
            _g.Op("save/Const", "PlaceholderWithDefault", ["save/filename"], ("dtype", Type(DataType.DtString)), ("shape", Shape([])));
            // The temp-suffix cond: ".part" for s3:// paths, else "_temp_<uuid>/part".
            _g.Op("save/StaticRegexFullMatch", "StaticRegexFullMatch", ["save/Const"], ("pattern", Str("^s3://.*")));
            _g.Op("save/cond/Switch", "Switch", ["save/StaticRegexFullMatch", "save/StaticRegexFullMatch"], T(DataType.DtBool));
            _g.Op("save/cond/switch_t", "Identity", ["save/cond/Switch:1"], T(DataType.DtBool));
            _g.Op("save/cond/switch_f", "Identity", ["save/cond/Switch"], T(DataType.DtBool));
            _g.Op("save/cond/pred_id", "Identity", ["save/StaticRegexFullMatch"], T(DataType.DtBool));
            _g.Const("save/cond/Const", Tensor.FromString(".part"), "save/cond/switch_t");
            _g.Const("save/cond/Const_1", Tensor.FromString("_temp_6c3e1e0f2e4b4c8a9a1d2b3c4d5e6f70/part"), "save/cond/switch_f");
            _g.Op("save/cond/Merge", "Merge", ["save/cond/Const_1", "save/cond/Const"], T(DataType.DtString), ("N", Int(2)));
            _g.Op("save/StringJoin", "StringJoin", ["save/Const", "save/cond/Merge"], ("N", Int(2)), ("separator", Str("")));
        }

        var shards = _vars.Where(v => !v.Local).GroupBy(v => v.Device).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Device: g.Key, Vars: g.OrderBy(v => v.Name, StringComparer.Ordinal).ToList())).ToList();
        _g.Const("save/num_shards", Tensor.FromScalar(shards.Count));
        var prefixes = new List<string>();
        var controls = new List<string>();
        for (int s = 0; s < shards.Count; s++)
        {
            var sfx = s == 0 ? "" : "_" + s;
            var (device, vars) = shards[s];
            var cpu = device.Length == 0 && !tf10 ? "/device:CPU:0" : device;
            var shardName = Dev(_g.Const($"save/ShardedFilename{sfx}/shard", Tensor.FromScalar(s)), cpu);
            var filename = Dev(_g.Op($"save/ShardedFilename{sfx}", "ShardedFilename", ["save/StringJoin", shardName, "save/num_shards"]), cpu);
            var tensors = vars.Select(v => v.Resource ? (readSnapshot ? v.Name + "/Read/ReadVariableOp" : ReadForSave(v)) : v.Name).ToList();
            var names = Dev(_g.Const($"save/SaveV2{sfx}/tensor_names", Tensor.FromStrings(vars.Select(v => v.Name).ToArray())), cpu);
            var slices = Dev(_g.Const($"save/SaveV2{sfx}/shape_and_slices", Tensor.FromStrings(vars.Select(_ => "").ToArray())), cpu);
            Dev(_g.Op($"save/SaveV2{sfx}", "SaveV2", [filename, names, slices, .. tensors], ("dtypes", Types(vars.Select(v => v.DType).ToArray()))), cpu);
            controls.Add(Dev(_g.Op($"save/control_dependency{sfx}", "Identity", [filename, $"^save/SaveV2{sfx}"], T(DataType.DtString)), cpu));
            prefixes.Add(filename);
        }
        _g.Op("save/MergeV2Checkpoints/checkpoint_prefixes", "Pack", [.. prefixes, .. controls.Select(c => "^" + c)], T(DataType.DtString), ("N", Int(prefixes.Count)), ("axis", Int(0)));
        _g.Op("save/MergeV2Checkpoints", "MergeV2Checkpoints", ["save/MergeV2Checkpoints/checkpoint_prefixes", fname], ("delete_old_dirs", Bool(true)));
        var saveTensor = _g.Op(NextIdentity(), "Identity", [fname, "^save/MergeV2Checkpoints", .. controls.Select(c => "^" + c)], T(DataType.DtString));

        var restoreAllInputs = new List<string>();
        int assign = 0, assignVar = 0;
        for (int s = 0; s < shards.Count; s++)
        {
            int r = tf10 ? s + 2 : s; // TF 1.0: the first Saver's one-per-tensor RestoreV2 and RestoreV2_1 came first
            var sfx = r == 0 ? "" : "_" + r;
            var (device, vars) = shards[s];
            var cpu = device.Length == 0 && !tf10 ? "/device:CPU:0" : device;
            var names = Dev(_g.Const($"save/RestoreV2{sfx}/tensor_names", Tensor.FromStrings(vars.Select(v => v.Name).ToArray())), cpu);
            var slices = Dev(_g.Const($"save/RestoreV2{sfx}/shape_and_slices", Tensor.FromStrings(vars.Select(_ => "").ToArray())), cpu);
            var restore = Dev(_g.Op($"save/RestoreV2{sfx}", "RestoreV2", [fname, names, slices], ("dtypes", Types(vars.Select(v => v.DType).ToArray()))), cpu);
            var ops = new List<string>();
            for (int k = 0; k < vars.Count; k++)
            {
                var v = vars[k];
                var output = k == 0 ? restore : $"{restore}:{k}";
                if (v.Resource)
                {
                    var id = _g.Op(NextIdentity(), "Identity", [output], T(v.DType));
                    ops.Add(Dev(_g.Op(assignVar == 0 ? "save/AssignVariableOp" : $"save/AssignVariableOp_{assignVar}", "AssignVariableOp", [v.Name, id], ("dtype", Type(v.DType))), v.Device));
                    assignVar++;
                }
                else
                {
                    ops.Add(Dev(_g.Op(assign == 0 ? "save/Assign" : $"save/Assign_{assign}", "Assign", [v.Name, output], T(v.DType), ("use_locking", Bool(true)), ("validate_shape", Bool(true))), v.Device));
                    assign++;
                }
            }
            var shard = Dev(_g.Op(s == 0 ? "save/restore_shard" : $"save/restore_shard_{s}", "NoOp", ops.Select(o => "^" + o).ToArray()), cpu);
            restoreAllInputs.Add(tf10 ? shard : _g.Op(s == 0 ? "save/restore_all/NoOp" : $"save/restore_all/NoOp_{s}", "NoOp", ["^" + shard]));
        }
        var restoreAll = _g.Op(tf10 ? "save/restore_all_1" : "save/restore_all", "NoOp", restoreAllInputs.Select(o => "^" + o).ToArray());
        return new SaverDef
        {
            FilenameTensorName = fname + ":0",
            SaveTensorName = saveTensor + ":0",
            RestoreOpName = restoreAll,
            MaxToKeep = 5,
            Sharded = true,
            KeepCheckpointEveryNHours = 10000,
            Version = SaverDef.Types.CheckpointFormatVersion.V2,
        };
    }

    /// <summary>A MetaGraphDef over the graph with MetaInfoDef (tags, version), the saver and the variable collections.</summary>
    public MetaGraphDef ToMetaGraph(SaverDef? saver, string[] tags, string tfVersion = "1.14.0")
    {
        var meta = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = tfVersion, TensorflowGitVersion = "v" + tfVersion },
            GraphDef = _g.Graph.Def,
        };
        meta.GraphDef.Versions = new VersionDef { Producer = 38 };
        meta.MetaInfoDef.Tags.AddRange(tags);
        if (saver != null) meta.SaverDef = saver;
        AddVariableCollections(meta);
        return meta;
    }

    /// <summary>A TensorInfo as <c>build_tensor_info</c> writes it.</summary>
    public static TensorInfo Info(string name, DataType dtype, long[]? shape)
    {
        var s = new TensorShapeProto();
        if (shape == null) s.UnknownRank = true;
        else foreach (var d in shape) s.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return new TensorInfo { Name = name, Dtype = dtype, TensorShape = s };
    }

    // TF 1.14's ResourceVariableSaveable reads inside the save scope and copies to CPU with an Identity.
    private string ReadForSave(TfVar v)
    {
        var read = _identity == 0 && !_g.Graph.Contains("save/Read/ReadVariableOp") ? "save/Read/ReadVariableOp" : UniqueRead();
        Dev(_g.Op(read, "ReadVariableOp", [v.Name], ("dtype", Type(v.DType))), v.Device);
        return Dev(_g.Op(NextIdentity(), "Identity", [read], T(v.DType)), "/device:CPU:0");
    }

    private string UniqueRead()
    {
        for (int k = 1; ; k++)
            if (!_g.Graph.Contains($"save/Read_{k}/ReadVariableOp")) return $"save/Read_{k}/ReadVariableOp";
    }

    private string NextIdentity() => _identity++ == 0 ? "save/Identity" : $"save/Identity_{_identity - 1}";

    private string Dev(string node, string device)
    {
        _g.Graph.GetNode(node).Def.Device = device;
        return node;
    }
}
