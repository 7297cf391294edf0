using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// A large TF1 training graph generated NodeDef by NodeDef (shared by the compat tests and
/// benchmarks/BigGraphBenchmarks): <c>layers</c> dense tanh layers of width <see cref="Width"/> with ref variables
/// (Initializer/Const, Assign, read), the backward nodes TF's gradients add (TanhGrad, BiasAddGrad, two MatMuls)
/// and an ApplyGradientDescent per variable, 17 nodes a layer — <c>Build(1200)</c> has 20,405 nodes. The
/// forward output is <c>layer_{L-1}/Tanh:0</c>; <c>init</c> initializes, <c>GradientDescent</c> trains.
/// </summary>
public static class BigGraph
{
    /// <summary>Units per layer.</summary>
    public const int Width = 16;

    /// <summary>The forward output tensor of a graph with <paramref name="layers"/> layers.</summary>
    public static string Output(int layers) => $"layer_{layers - 1}/Tanh:0";

    /// <summary>Layer <paramref name="i"/>'s kernel ([Width, Width], row-major) and bias, as the initializers hold them.</summary>
    public static (float[] Kernel, float[] Bias) Weights(int i)
    {
        var rng = new Random(1000 + i);
        var k = new float[Width * Width];
        for (int j = 0; j < k.Length; j++) k[j] = (float)(rng.NextDouble() - 0.5) * 0.5f;
        var b = new float[Width];
        for (int j = 0; j < b.Length; j++) b[j] = (float)(rng.NextDouble() - 0.5) * 0.1f;
        return (k, b);
    }

    /// <summary>Builds the MetaGraphDef.</summary>
    public static MetaGraphDef Build(int layers)
    {
        var g = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        NodeDef Add(string name, string op, params string[] inputs)
        {
            var n = new NodeDef { Name = name, Op = op };
            n.Input.AddRange(inputs);
            g.Node.Add(n);
            return n;
        }
        AttrValue F32() => new() { Type = DataType.DtFloat };
        AttrValue Shape(params long[] dims)
        {
            var s = new TensorShapeProto();
            foreach (var d in dims) s.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
            return new AttrValue { Shape = s };
        }
        void Const(string name, float[] values, params long[] dims)
        {
            var bytes = new byte[values.Length * 4];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            var n = Add(name, "Const");
            n.Attr["dtype"] = F32();
            n.Attr["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = Shape(dims).Shape, TensorContent = ByteString.CopyFrom(bytes) } };
        }
        void Variable(string name, float[] init, params long[] dims)
        {
            Const(name + "/Initializer/Const", init, dims);
            var v = Add(name, "VariableV2");
            v.Attr["dtype"] = F32();
            v.Attr["shape"] = Shape(dims);
            v.Attr["container"] = new AttrValue { S = ByteString.Empty };
            v.Attr["shared_name"] = new AttrValue { S = ByteString.Empty };
            var a = Add(name + "/Assign", "Assign", name, name + "/Initializer/Const");
            a.Attr["T"] = F32();
            a.Attr["use_locking"] = new AttrValue { B = true };
            a.Attr["validate_shape"] = new AttrValue { B = true };
            Add(name + "/read", "Identity", name).Attr["T"] = F32();
        }
        var x = Add("x", "Placeholder");
        x.Attr["dtype"] = F32();
        x.Attr["shape"] = Shape(-1, Width);
        Const("GradientDescent/learning_rate", [0.01f]);
        var vars = new List<string>();
        string h = "x";
        for (int i = 0; i < layers; i++)
        {
            var (k, b) = Weights(i);
            var s = $"layer_{i}";
            Variable(s + "/kernel", k, Width, Width);
            Variable(s + "/bias", b, Width);
            vars.Add(s + "/kernel");
            vars.Add(s + "/bias");
            Add(s + "/MatMul", "MatMul", h, s + "/kernel/read").Attr["T"] = F32();
            Add(s + "/BiasAdd", "BiasAdd", s + "/MatMul", s + "/bias/read").Attr["T"] = F32();
            Add(s + "/Tanh", "Tanh", s + "/BiasAdd").Attr["T"] = F32();
            h = s + "/Tanh";
        }
        Add("gradients/OnesLike", "OnesLike", h).Attr["T"] = F32();
        string up = "gradients/OnesLike";
        for (int i = layers - 1; i >= 0; i--)
        {
            var s = $"layer_{i}";
            var gs = "gradients/" + s;
            Add(gs + "/Tanh_grad/TanhGrad", "TanhGrad", s + "/Tanh", up).Attr["T"] = F32();
            Add(gs + "/BiasAdd_grad/BiasAddGrad", "BiasAddGrad", gs + "/Tanh_grad/TanhGrad").Attr["T"] = F32();
            var dx = Add(gs + "/MatMul_grad/MatMul", "MatMul", gs + "/Tanh_grad/TanhGrad", s + "/kernel/read");
            dx.Attr["T"] = F32();
            dx.Attr["transpose_b"] = new AttrValue { B = true };
            var dw = Add(gs + "/MatMul_grad/MatMul_1", "MatMul", i == 0 ? "x" : $"layer_{i - 1}/Tanh", gs + "/Tanh_grad/TanhGrad");
            dw.Attr["T"] = F32();
            dw.Attr["transpose_a"] = new AttrValue { B = true };
            Add($"GradientDescent/update_{s}/kernel/ApplyGradientDescent", "ApplyGradientDescent", s + "/kernel", "GradientDescent/learning_rate", gs + "/MatMul_grad/MatMul_1").Attr["T"] = F32();
            Add($"GradientDescent/update_{s}/bias/ApplyGradientDescent", "ApplyGradientDescent", s + "/bias", "GradientDescent/learning_rate", gs + "/BiasAdd_grad/BiasAddGrad").Attr["T"] = F32();
            up = gs + "/MatMul_grad/MatMul";
        }
        Add("init", "NoOp", vars.Select(v => "^" + v + "/Assign").ToArray());
        Add("GradientDescent", "NoOp", vars.Select(v => $"^GradientDescent/update_{v}/ApplyGradientDescent").ToArray());
        var meta = new MetaGraphDef { GraphDef = g, MetaInfoDef = new MetaGraphDef.Types.MetaInfoDef { TensorflowVersion = "1.13.1" } };
        var train = new CollectionDef { NodeList = new CollectionDef.Types.NodeList() };
        train.NodeList.Value.Add("GradientDescent");
        meta.CollectionDef["train_op"] = train;
        return meta;
    }

    /// <summary>The forward pass computed plainly (reference for tests).</summary>
    public static float[] Reference(float[] x, int batch, int layers)
    {
        var h = x;
        for (int i = 0; i < layers; i++)
        {
            var (k, b) = Weights(i);
            var next = new float[batch * Width];
            for (int r = 0; r < batch; r++)
                for (int j = 0; j < Width; j++)
                {
                    double s = b[j];
                    for (int q = 0; q < Width; q++) s += h[r * Width + q] * k[q * Width + j];
                    next[r * Width + j] = (float)Math.Tanh(s);
                }
            h = next;
        }
        return h;
    }
}
