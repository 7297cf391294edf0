using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;

namespace TypedGraph.Onnx.Tests.Support;

/// <summary>
/// The judge: runs an exported model in ONNX Runtime (through its C# API) on the same inputs as our
/// <see cref="Session"/> and compares every output element. The error of one element is
/// |ort − ours| / max(|ours|, 1): relative for values of magnitude ≥ 1, absolute below.
/// </summary>
internal static class OrtCheck
{
    public const double Tolerance = 1e-5;

    public sealed record Result(ModelProto Model, IReadOnlyDictionary<string, double> MaxError, IReadOnlyDictionary<string, Tensor> Ours)
    {
        public double Worst => MaxError.Values.DefaultIfEmpty(0).Max();

        public int Count(string opType) => Model.Graph.Node.Count(n => n.OpType == opType);
    }

    /// <summary>Exports from <paramref name="session"/>, runs both engines on <paramref name="feeds"/>, asserts equality within <see cref="Tolerance"/>.</summary>
    public static Result ExportAndCompare(Session session, IReadOnlyList<(string Name, Tensor Value)> feeds, IReadOnlyList<string> outputs,
        OnnxExportOptions? options = null, IReadOnlyList<(string Name, Tensor Value)>? otherFeeds = null)
    {
        var model = OnnxExporter.Export(session, feeds.Select(f => f.Name).ToList(), outputs, options);
        return Compare(model, session, otherFeeds ?? feeds, outputs);
    }

    /// <summary>Runs <paramref name="model"/> in ORT and our session on the same feeds and compares.</summary>
    public static Result Compare(ModelProto model, Session session, IReadOnlyList<(string Name, Tensor Value)> feeds, IReadOnlyList<string> outputs)
    {
        var ours = session.Run(outputs, feeds.ToDictionary(f => f.Name, f => f.Value));
        var theirs = RunOrt(model.ToByteArray(), feeds, outputs);
        var errors = new Dictionary<string, double>();
        var oursByName = new Dictionary<string, Tensor>();
        for (int i = 0; i < outputs.Count; i++)
        {
            var (shape, values, strings) = theirs[i];
            Assert.True(ours[i].Shape.ToArray().Select(d => (long)d).SequenceEqual(shape),
                $"{outputs[i]}: ORT shape [{string.Join(", ", shape)}], ours {ours[i].Shape}");
            if (ours[i].DType == DataType.DtString)
            {
                // Strings must be equal byte for byte (ORT hands them back as UTF-8 decoded .NET strings).
                Assert.NotNull(strings);
                Assert.Equal(ours[i].Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)), strings);
                errors[outputs[i]] = 0;
                oursByName[outputs[i]] = ours[i];
                continue;
            }
            var expected = AsDoubles(ours[i]);
            Assert.Equal(expected.Length, values.Length);
            double worst = 0;
            for (int k = 0; k < values.Length; k++)
            {
                if (double.IsNaN(expected[k]) && double.IsNaN(values[k])) continue;
                double err = Math.Abs(values[k] - expected[k]) / Math.Max(Math.Abs(expected[k]), 1);
                Assert.False(double.IsNaN(err), $"{outputs[i]}[{k}]: ORT {values[k]}, ours {expected[k]}");
                if (err > worst) worst = err;
                Assert.True(err <= Tolerance, $"{outputs[i]}[{k}]: ORT {values[k]}, ours {expected[k]} (error {err:E2})");
            }
            errors[outputs[i]] = worst;
            oursByName[outputs[i]] = ours[i];
        }
        return new Result(model, errors, oursByName);
    }

    public static double[] AsDoubles(Tensor t) => t.DType switch
    {
        DataType.DtFloat => t.ToArray<float>().Select(v => (double)v).ToArray(),
        DataType.DtDouble => t.ToArray<double>(),
        DataType.DtInt32 => t.ToArray<int>().Select(v => (double)v).ToArray(),
        DataType.DtInt64 => t.ToArray<long>().Select(v => (double)v).ToArray(),
        DataType.DtBool => t.ToArray<bool>().Select(v => v ? 1.0 : 0.0).ToArray(),
        _ => throw new NotSupportedException(DataTypes.Name(t.DType)),
    };

    /// <summary>Loads the model bytes in ORT (its loader checks the model and infers shapes) and runs it.</summary>
    public static List<(long[] Shape, double[] Values, string[]? Strings)> RunOrt(byte[] model, IReadOnlyList<(string Name, Tensor Value)> feeds, IReadOnlyList<string> outputs)
    {
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 };
        using var session = new InferenceSession(model, options);
        var values = feeds.Select(f => ToOrt(f.Value)).ToList();
        try
        {
            using var results = session.Run(new RunOptions(), feeds.Select(f => f.Name).ToList(), values, outputs);
            return results.Select(FromOrt).ToList();
        }
        finally
        {
            foreach (var v in values) v.Dispose();
        }
    }

    private static OrtValue ToOrt(Tensor t)
    {
        long[] shape = t.Shape.ToArray().Select(d => (long)d).ToArray();
        return t.DType switch
        {
            DataType.DtFloat => OrtValue.CreateTensorValueFromMemory(t.ToArray<float>(), shape),
            DataType.DtDouble => OrtValue.CreateTensorValueFromMemory(t.ToArray<double>(), shape),
            DataType.DtInt32 => OrtValue.CreateTensorValueFromMemory(t.ToArray<int>(), shape),
            DataType.DtInt64 => OrtValue.CreateTensorValueFromMemory(t.ToArray<long>(), shape),
            DataType.DtBool => OrtValue.CreateTensorValueFromMemory(t.ToArray<bool>(), shape),
            DataType.DtString => StringValue(t, shape),
            _ => throw new NotSupportedException(DataTypes.Name(t.DType)),
        };
    }

    private static OrtValue StringValue(Tensor t, long[] shape)
    {
        var v = OrtValue.CreateTensorWithEmptyStrings(OrtAllocator.DefaultInstance, shape);
        for (int i = 0; i < t.Strings.Length; i++) v.StringTensorSetElementAt(System.Text.Encoding.UTF8.GetString(t.Strings[i]).AsSpan(), i);
        return v;
    }

    private static (long[] Shape, double[] Values, string[]? Strings) FromOrt(OrtValue v)
    {
        var info = v.GetTensorTypeAndShape();
        if (info.ElementDataType == TensorElementType.String)
            return (info.Shape, [], Enumerable.Range(0, (int)info.ElementCount).Select(i => v.GetStringElement(i)).ToArray());
        double[] values = info.ElementDataType switch
        {
            TensorElementType.Float => v.GetTensorDataAsSpan<float>().ToArray().Select(x => (double)x).ToArray(),
            TensorElementType.Double => v.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Int32 => v.GetTensorDataAsSpan<int>().ToArray().Select(x => (double)x).ToArray(),
            TensorElementType.Int64 => v.GetTensorDataAsSpan<long>().ToArray().Select(x => (double)x).ToArray(),
            TensorElementType.Bool => v.GetTensorDataAsSpan<bool>().ToArray().Select(x => x ? 1.0 : 0.0).ToArray(),
            var t => throw new NotSupportedException(t.ToString()),
        };
        return (info.Shape, values, null);
    }

    public static Tensor RandomFloats(int seed, float lo, float hi, params int[] shape)
    {
        var rng = new Random(seed);
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.Create(Enumerable.Range(0, n).Select(_ => (float)(lo + rng.NextDouble() * (hi - lo))).ToArray(), shape);
    }
}
