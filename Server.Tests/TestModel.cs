using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Server.Tests;

/// <summary>
/// SavedModels written by our own GraphBuilder + Saver in TF's layout (saved_model.pb with a <c>serve</c> meta graph and
/// SignatureDefs, <c>variables/variables.*</c>): <c>y = x·W + b</c> with W, b restored from the checkpoint (their
/// initializers hold zeros, so a served non-zero answer proves the restore), plus signatures for multi-output,
/// two-input and string (bytes) requests. <see cref="Predict"/> is the independent reference.
/// </summary>
public static class TestModel
{
    /// <summary>Weights of version <paramref name="version"/>: distinct per version so a hot swap is visible.</summary>
    public static (float[] W, float[] B) Weights(int version)
    {
        var w = new float[] { 1, -2, 0.5f, 3, -1, 2 }.Select(v => v * version).ToArray();
        var b = new float[] { 0.25f * version, -1f * version };
        return (w, b);
    }

    /// <summary>Reference x·W + b for rows of 3 (naive loop).</summary>
    public static float[] Predict(int version, float[] x)
    {
        var (w, b) = Weights(version);
        int rows = x.Length / 3;
        var y = new float[rows * 2];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < 2; j++)
            {
                float s = 0;
                for (int k = 0; k < 3; k++) s += x[r * 3 + k] * w[k * 2 + j];
                y[r * 2 + j] = s + b[j];
            }
        return y;
    }

    /// <summary>Writes version <paramref name="version"/>'s SavedModel into <paramref name="exportDir"/> (created).</summary>
    public static void WriteSavedModel(string exportDir, int version)
    {
        var (meta, _) = Build(exportDir, version, Path.Combine(exportDir, "variables", "variables"));
        meta.MetaInfoDef.Tags.Add("serve");
        var model = new SavedModel { SavedModelSchemaVersion = 1 };
        model.MetaGraphs.Add(meta);
        File.WriteAllBytes(Path.Combine(exportDir, "saved_model.pb"), model.ToByteArray());
    }

    /// <summary>Writes a <c>.meta</c> graph (with the same SignatureDefs) and its checkpoint; returns (meta path, checkpoint prefix).</summary>
    public static (string Meta, string Checkpoint) WriteMetaGraph(string dir, int version)
    {
        var prefix = Path.Combine(dir, "model");
        var (meta, _) = Build(dir, version, prefix);
        var path = prefix + ".meta";
        File.WriteAllBytes(path, meta.ToByteArray());
        return (path, prefix);
    }

    private static (MetaGraphDef Meta, string Prefix) Build(string dir, int version, string checkpointPrefix)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(checkpointPrefix)!);
        var (w, bias) = Weights(version);
        var g = new GraphBuilder();
        var x = g.Placeholder(DataType.DtFloat, [-1, 3], "x");
        var x2 = g.Placeholder(DataType.DtFloat, [-1, 3], "x2");
        var text = g.Placeholder(DataType.DtString, [-1], "text");
        var W = g.Variable(Tensor.Create(new float[6], 3, 2), "W");
        var B = g.Variable(Tensor.Create(new float[2], 2), "b");
        var y = g.Identity(g.Add(g.MatMul(x, W.Snapshot), B.Snapshot), "y");
        var probs = g.Softmax(y, "probs");
        var sum = g.Add(x, x2, "sum");
        var echo = g.Identity(text, "echo");
        var assignW = g.Assign(W, g.Constant(Tensor.Create(w, 3, 2), "trained_W"), "set_W");
        var assignB = g.Assign(B, g.Constant(Tensor.Create(bias, 2), "trained_b"), "set_b");
        var saver = new Saver(g);
        using (var s = new Session(g.Graph))
        {
            s.RunTargets(g.GlobalVariablesInitializer().Name);
            s.Run([assignW.Name, assignB.Name]);
            saver.Save(s, checkpointPrefix, writeMetaGraph: false);
        }
        var meta = MetaGraphExporter.Export(g, saver.SaverDef);
        meta.SignatureDef["serving_default"] = Sig(("x", x, [-1, 3])).Out(("y", y, [-1, 2]));
        meta.SignatureDef["both"] = Sig(("x", x, [-1, 3])).Out(("y", y, [-1, 2]), ("probs", probs, [-1, 2]));
        meta.SignatureDef["two_inputs"] = Sig(("a", x, [-1, 3]), ("c", x2, [-1, 3])).Out(("sum", sum, [-1, 3]));
        meta.SignatureDef["echo"] = Sig(("text", text, [-1])).Out(("out", echo, [-1]), ("out_bytes", echo, [-1]));
        return (meta, checkpointPrefix);
    }

    private static SignatureDef Sig(params (string Key, Output T, long[] Shape)[] inputs)
    {
        var s = new SignatureDef { MethodName = "tensorflow/serving/predict" };
        foreach (var (k, t, shape) in inputs) s.Inputs[k] = Info(t, shape);
        return s;
    }

    private static SignatureDef Out(this SignatureDef s, params (string Key, Output T, long[] Shape)[] outputs)
    {
        foreach (var (k, t, shape) in outputs) s.Outputs[k] = Info(t, shape);
        return s;
    }

    private static TensorInfo Info(Output t, long[] shape)
    {
        var info = new TensorInfo { Name = t.Name, Dtype = t.DType, TensorShape = new TensorShapeProto() };
        foreach (var d in shape) info.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return info;
    }
}
