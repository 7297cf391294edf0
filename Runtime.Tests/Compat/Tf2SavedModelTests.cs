using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// A SavedModel laid out as TF 2.x's <c>tf.saved_model.save</c> writes its graph: resource variables as
/// VarHandleOps, the serving signature fed through <c>serving_default_x</c> into a StatefulPartitionedCall, a
/// SaverDef whose filename is <c>saver_filename:0</c> and whose restore op <c>StatefulPartitionedCall_2</c> calls a
/// <c>__inference__traced_restore</c> function (RestoreV2 + AssignVariableOp on resource args), object-graph
/// checkpoint keys (<c>.../.ATTRIBUTES/VARIABLE_VALUE</c>) and the <c>__saved_model_init_op</c> signature.
/// </summary>
public sealed class Tf2SavedModelTests : IDisposable
{
    private const string KernelKey = "layer_with_weights-0/kernel/.ATTRIBUTES/VARIABLE_VALUE";
    private const string BiasKey = "layer_with_weights-0/bias/.ATTRIBUTES/VARIABLE_VALUE";
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-tf2sm").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static NodeDef N(string name, string op, string[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var n = new NodeDef { Name = name, Op = op };
        n.Input.AddRange(inputs);
        foreach (var (k, v) in attrs) n.Attr[k] = v;
        return n;
    }

    private static NodeDef C(string name, Tensor value) => N(name, "Const", [], ("dtype", Type(value.DType)), ("value", new AttrValue { Tensor = TensorProtos.FromTensor(value) }));

    private static NodeDef Call(string name, string op, string fn, string[] inputs, DataType[] tin, DataType[] tout)
    {
        var n = N(name, op, inputs, ("Tin", Types(tin)), ("Tout", Types(tout)));
        n.Attr["f"] = new AttrValue { Func = new NameAttrList { Name = fn } };
        return n;
    }

    private static OpDef.Types.ArgDef Arg(string name, DataType t) => new() { Name = name, Type = t };

    private static FunctionDef Fn(string name, (string, DataType)[] inputs, (string, DataType)[] outputs)
    {
        var f = new FunctionDef { Signature = new OpDef { Name = name, IsStateful = true } };
        foreach (var (n, t) in inputs) f.Signature.InputArg.Add(Arg(n, t));
        foreach (var (n, t) in outputs) f.Signature.OutputArg.Add(Arg(n, t));
        return f;
    }

    private void Write()
    {
        var R = DataType.DtResource;
        var F = DataType.DtFloat;
        var S = DataType.DtString;
        var g = new GraphDef { Versions = new VersionDef { Producer = 440 }, Library = new FunctionDefLibrary() };
        g.Node.Add(N("dense/kernel", "VarHandleOp", [], ("dtype", Type(F)), ("shape", Shape([2, 2])), ("shared_name", Str("dense/kernel")), ("container", Str(""))));
        g.Node.Add(N("dense/bias", "VarHandleOp", [], ("dtype", Type(F)), ("shape", Shape([2])), ("shared_name", Str("dense/bias")), ("container", Str(""))));
        g.Node.Add(N("NoOp", "NoOp", []));
        g.Node.Add(N("serving_default_x", "Placeholder", [], ("dtype", Type(F)), ("shape", Shape([-1, 2]))));
        g.Node.Add(Call("StatefulPartitionedCall", "StatefulPartitionedCall", "__inference_signature_wrapper_130", ["serving_default_x", "dense/kernel", "dense/bias"], [F, R, R], [F]));
        g.Node.Add(N("saver_filename", "Placeholder", [], ("dtype", Type(S)), ("shape", Shape([]))));
        g.Node.Add(N("dense/kernel/Read/ReadVariableOp", "ReadVariableOp", ["dense/kernel"], ("dtype", Type(F))));
        g.Node.Add(N("dense/bias/Read/ReadVariableOp", "ReadVariableOp", ["dense/bias"], ("dtype", Type(F))));
        g.Node.Add(C("Const", Tensor.FromString("\n\x02opaque")));
        g.Node.Add(Call("StatefulPartitionedCall_1", "StatefulPartitionedCall", "__inference__traced_save_190",
            ["saver_filename", "dense/kernel/Read/ReadVariableOp", "dense/bias/Read/ReadVariableOp", "Const"], [S, F, F, S], [S]));
        g.Node.Add(Call("StatefulPartitionedCall_2", "StatefulPartitionedCall", "__inference__traced_restore_210", ["saver_filename", "dense/kernel", "dense/bias"], [S, R, R], [S]));

        // serving function: relu(x·kernel + bias)
        var serve = Fn("__inference_signature_wrapper_130", [("x", F), ("matmul_readvariableop_resource", R), ("biasadd_readvariableop_resource", R)], [("identity", F)]);
        serve.NodeDef.Add(N("MatMul/ReadVariableOp", "ReadVariableOp", ["matmul_readvariableop_resource"], ("dtype", Type(F))));
        serve.NodeDef.Add(N("MatMul", "MatMul", ["x", "MatMul/ReadVariableOp:value:0"], T(F), ("transpose_a", Bool(false)), ("transpose_b", Bool(false))));
        serve.NodeDef.Add(N("BiasAdd/ReadVariableOp", "ReadVariableOp", ["biasadd_readvariableop_resource"], ("dtype", Type(F))));
        serve.NodeDef.Add(N("BiasAdd", "BiasAdd", ["MatMul:product:0", "BiasAdd/ReadVariableOp:value:0"], T(F), ("data_format", Str("NHWC"))));
        serve.NodeDef.Add(N("Relu", "Relu", ["BiasAdd:output:0"], T(F)));
        serve.NodeDef.Add(N("Identity", "Identity", ["Relu:activations:0"], T(F)));
        serve.Ret["identity"] = "Identity:output:0";
        g.Library.Function.Add(serve);

        // save function: the read values come in as args; s3 check, temp prefix, one shard, SaveV2, merge.
        var save = Fn("__inference__traced_save_190", [("file_prefix", S), ("savev2_dense_kernel_read_readvariableop", F), ("savev2_dense_bias_read_readvariableop", F), ("savev2_const", S)], [("identity_1", S)]);
        save.NodeDef.Add(N("StaticRegexFullMatch", "StaticRegexFullMatch", ["file_prefix"], ("pattern", Str("^s3://.*"))));
        save.NodeDef.Add(C("Const", Tensor.FromString(".part")));
        save.NodeDef.Add(C("Const_1", Tensor.FromString("_temp_0a1b2c3d4e5f40718293a4b5c6d7e8f9/part")));
        save.NodeDef.Add(N("Select", "Select", ["StaticRegexFullMatch:output:0", "Const:output:0", "Const_1:output:0"], T(S)));
        save.NodeDef.Add(N("StringJoin", "StringJoin", ["file_prefix", "Select:output:0"], ("N", Int(2)), ("separator", Str(""))));
        save.NodeDef.Add(C("num_shards", Tensor.FromScalar(1)));
        save.NodeDef.Add(C("ShardedFilename/shard", Tensor.FromScalar(0)));
        save.NodeDef.Add(N("ShardedFilename", "ShardedFilename", ["StringJoin:output:0", "ShardedFilename/shard:output:0", "num_shards:output:0"]));
        save.NodeDef.Add(C("SaveV2/tensor_names", Tensor.FromStrings([KernelKey, BiasKey, "_CHECKPOINTABLE_OBJECT_GRAPH"])));
        save.NodeDef.Add(C("SaveV2/shape_and_slices", Tensor.FromStrings(["", "", ""])));
        save.NodeDef.Add(N("SaveV2", "SaveV2", ["ShardedFilename:filename:0", "SaveV2/tensor_names:output:0", "SaveV2/shape_and_slices:output:0",
            "savev2_dense_kernel_read_readvariableop", "savev2_dense_bias_read_readvariableop", "savev2_const"], ("dtypes", Types(F, F, S))));
        save.NodeDef.Add(N("MergeV2Checkpoints/checkpoint_prefixes", "Pack", ["ShardedFilename:filename:0", "^SaveV2"], T(S), ("N", Int(1)), ("axis", Int(0))));
        save.NodeDef.Add(N("MergeV2Checkpoints", "MergeV2Checkpoints", ["MergeV2Checkpoints/checkpoint_prefixes:output:0", "file_prefix"]));
        save.NodeDef.Add(N("Identity", "Identity", ["file_prefix", "^MergeV2Checkpoints"], T(S)));
        save.NodeDef.Add(N("Identity_1", "Identity", ["Identity:output:0", "^MergeV2Checkpoints"], T(S)));
        save.Ret["identity_1"] = "Identity_1:output:0";
        save.ControlRet["MergeV2Checkpoints"] = "MergeV2Checkpoints";
        g.Library.Function.Add(save);

        // restore function: RestoreV2 of the object-graph keys, AssignVariableOp into the resource args.
        var restore = Fn("__inference__traced_restore_210", [("file_prefix", S), ("assignvariableop_resource", R), ("assignvariableop_1_resource", R)], [("identity_3", S)]);
        restore.NodeDef.Add(C("RestoreV2/tensor_names", Tensor.FromStrings([KernelKey, BiasKey])));
        restore.NodeDef.Add(C("RestoreV2/shape_and_slices", Tensor.FromStrings(["", ""])));
        restore.NodeDef.Add(N("RestoreV2", "RestoreV2", ["file_prefix", "RestoreV2/tensor_names:output:0", "RestoreV2/shape_and_slices:output:0"], ("dtypes", Types(F, F))));
        restore.NodeDef.Add(N("Identity", "Identity", ["RestoreV2:tensors:0"], T(F)));
        restore.NodeDef.Add(N("AssignVariableOp", "AssignVariableOp", ["assignvariableop_resource", "Identity:output:0"], ("dtype", Type(F))));
        restore.NodeDef.Add(N("Identity_1", "Identity", ["RestoreV2:tensors:1"], T(F)));
        restore.NodeDef.Add(N("AssignVariableOp_1", "AssignVariableOp", ["assignvariableop_1_resource", "Identity_1:output:0"], ("dtype", Type(F))));
        restore.NodeDef.Add(N("NoOp", "NoOp", ["^AssignVariableOp", "^AssignVariableOp_1"]));
        restore.NodeDef.Add(N("Identity_3", "Identity", ["file_prefix", "^NoOp"], T(S)));
        restore.Ret["identity_3"] = "Identity_3:output:0";
        restore.ControlRet["AssignVariableOp"] = "AssignVariableOp";
        restore.ControlRet["AssignVariableOp_1"] = "AssignVariableOp_1";
        g.Library.Function.Add(restore);

        var meta = new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "2.3.1" },
            GraphDef = g,
            SaverDef = new SaverDef
            {
                FilenameTensorName = "saver_filename:0",
                SaveTensorName = "StatefulPartitionedCall_1:0",
                RestoreOpName = "StatefulPartitionedCall_2",
                Version = SaverDef.Types.CheckpointFormatVersion.V2,
            },
        };
        meta.MetaInfoDef.Tags.Add("serve");
        var sig = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        sig.Inputs["x"] = TfLayoutGraph.Info("serving_default_x:0", F, [-1, 2]);
        sig.Outputs["output_0"] = TfLayoutGraph.Info("StatefulPartitionedCall:0", F, [-1, 2]);
        meta.SignatureDef["serving_default"] = sig;
        var init = new SignatureDef();
        init.Outputs["__saved_model_init_op"] = new TensorInfo { Name = "NoOp" };
        meta.SignatureDef["__saved_model_init_op"] = init;
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(meta);
        File.WriteAllBytes(Path.Combine(_dir, "saved_model.pb"), model.ToByteArray());

        Directory.CreateDirectory(Path.Combine(_dir, "variables"));
        using var w = new CheckpointWriter(Path.Combine(_dir, "variables", "variables"));
        w.Add("_CHECKPOINTABLE_OBJECT_GRAPH", Tensor.FromString("\n\x02opaque"));
        w.Add(KernelKey, Tensor.Create(new float[] { 1, -1, 2, 0.5f }, 2, 2));
        w.Add(BiasKey, Tensor.Create(new float[] { 0.5f, -3 }, 2));
        w.Finish();
    }

    [Fact]
    public void Tf2LayoutRestoresThroughTheTracedRestoreFunctionAndServes()
    {
        Write();
        using var bundle = SavedModelBundle.Load(_dir, "serve");
        Assert.Equal(["serving_default"], bundle.Signatures.Keys);
        var y = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["x"] = Tensor.Create(new float[] { 1, 1, 2, -1 }, 2, 2) });
        // [1,1]·K = [3, -0.5] + b = [3.5, -3.5] → relu [3.5, 0]; [2,-1]·K = [0, -2.5] + b = [0.5, -5.5] → [0.5, 0]
        Assert.Equal([3.5f, 0f, 0.5f, 0f], y["output_0"].ToArray<float>());
    }

    [Fact]
    public void Tf2LayoutReSavesThroughTheTracedSaveFunction()
    {
        Write();
        using var bundle = SavedModelBundle.Load(_dir, "serve");
        var prefix = Path.Combine(_dir, "out", "ckpt-1");
        bundle.Session.Save(prefix, bundle.MetaGraph.SaverDef);
        using var reader = CheckpointReader.Open(prefix);
        Assert.Equal(["_CHECKPOINTABLE_OBJECT_GRAPH", BiasKey, KernelKey], reader.Entries.Select(e => e.Name));
        Assert.Equal([0.5f, -3f], reader.Read(BiasKey).ToArray<float>());
        Assert.Equal(["ckpt-1.data-00000-of-00001", "ckpt-1.index"], Directory.GetFileSystemEntries(Path.Combine(_dir, "out")).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal));
    }
}
