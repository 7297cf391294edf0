using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Benchmarks;

/// <summary>
/// A VGG-like training graph built with our own protos, for the generator benchmark: blocks of
/// conv → bias → relu with TF1's variable bookkeeping (Initializer/Assign/read), a gradient node per
/// forward node, Adam-style slots, and the Saver's nodes; weights as Const tensors so the file size is
/// realistic. <c>Build(600)</c> gives ~8,400 nodes in ~5 MB.
/// </summary>
public static class LargeGraph
{
    /// <summary>A MetaGraphDef with <paramref name="blocks"/> conv blocks.</summary>
    public static MetaGraphDef Build(int blocks, int weightFloats = 1900)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 24 } };
        var rng = new Random(42);
        var floats = new float[weightFloats];
        void Add(string name, string op, string[] inputs, DataType t, long[] shape, string typeAttr = "T")
        {
            var n = new NodeDef { Name = name, Op = op };
            n.Input.AddRange(inputs);
            n.Attr[typeAttr] = new AttrValue { Type = t };
            var shapes = new AttrValue.Types.ListValue();
            var s = new TensorShapeProto();
            foreach (var d in shape) s.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
            shapes.Shape.Add(s);
            n.Attr["_output_shapes"] = new AttrValue { List = shapes };
            g.Node.Add(n);
        }
        void Const(string name, long[] shape, int count)
        {
            for (int i = 0; i < count; i++) floats[i] = (float)rng.NextDouble();
            var bytes = new byte[count * 4];
            Buffer.BlockCopy(floats, 0, bytes, 0, bytes.Length);
            Add(name, "Const", [], DataType.DtFloat, shape, "dtype");
            var ts = new TensorShapeProto();
            foreach (var d in shape) ts.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
            g.Node[^1].Attr["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = ts, TensorContent = ByteString.CopyFrom(bytes) } };
        }
        void Variable(string name, long[] shape, int count)
        {
            Const(name + "/Initializer/random_uniform", shape, count);
            Add(name, "VariableV2", [], DataType.DtFloatRef, shape, "dtype");
            Add(name + "/Assign", "Assign", [name, name + "/Initializer/random_uniform"], DataType.DtFloatRef, shape);
            Add(name + "/read", "Identity", [name], DataType.DtFloat, shape);
        }

        Add("images", "Placeholder", [], DataType.DtFloat, [-1, 32, 32, 3], "dtype");
        Add("labels", "Placeholder", [], DataType.DtInt64, [-1], "dtype");
        Add("keep_prob", "PlaceholderWithDefault", ["keep_prob/input"], DataType.DtFloat, [], "dtype");
        Const("keep_prob/input", [], 1);
        string x = "images";
        long[] act = [-1, 32, 32, 16];
        for (int b = 0; b < blocks; b++)
        {
            var scope = $"block{b / 3 + 1}/conv{b % 3 + 1}";
            long side = weightFloats / 16 / 3 / 3;
            Variable(scope + "/weights", [3, 3, side, 16], weightFloats);
            Variable(scope + "/biases", [16], 16);
            Add(scope + "/Conv2D", "Conv2D", [x, scope + "/weights/read"], DataType.DtFloat, act);
            Add(scope + "/BiasAdd", "BiasAdd", [scope + "/Conv2D", scope + "/biases/read"], DataType.DtFloat, act);
            Add(scope + "/Relu", "Relu", [scope + "/BiasAdd"], DataType.DtFloat, act);
            Add("gradients/" + scope + "/Relu_grad/ReluGrad", "ReluGrad", ["gradients/fill", scope + "/Relu"], DataType.DtFloat, act);
            Add(scope + "/weights/Adam", "VariableV2", [], DataType.DtFloatRef, [3, 3, side, 16], "dtype");
            x = scope + "/Relu";
        }
        Add("logits", "Mul", [x, "keep_prob"], DataType.DtFloat, act);
        Add("gradients/fill", "Identity", ["logits"], DataType.DtFloat, act);
        Add("init", "NoOp", [], DataType.DtFloat, []);
        Add("save/Const", "Const", [], DataType.DtString, [], "dtype");
        Add("save/restore_all", "NoOp", ["^save/Const"], DataType.DtFloat, []);

        var ops = new OpList();
        foreach (var (name, attr, isRef) in new[] { ("Placeholder", "dtype", false), ("PlaceholderWithDefault", "dtype", false), ("Const", "dtype", false),
                     ("VariableV2", "dtype", true), ("Assign", "T", true), ("Identity", "T", false), ("Conv2D", "T", false), ("BiasAdd", "T", false),
                     ("Relu", "T", false), ("ReluGrad", "T", false), ("Mul", "T", false) })
        {
            var def = new OpDef { Name = name };
            def.OutputArg.Add(new OpDef.Types.ArgDef { Name = "output", TypeAttr = attr, IsRef = isRef });
            ops.Op.Add(def);
        }
        ops.Op.Add(new OpDef { Name = "NoOp" });
        return new MetaGraphDef
        {
            MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "1.4.1", StrippedOpList = ops },
            GraphDef = g,
            SaverDef = new SaverDef { FilenameTensorName = "save/Const:0", RestoreOpName = "save/restore_all", SaveTensorName = "save/Const:0" },
        };
    }
}
