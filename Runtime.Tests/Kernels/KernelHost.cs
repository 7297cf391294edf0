using Google.Protobuf;
using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Runs one kernel directly: builds a graph with a Placeholder per input and the node under test, then
/// calls the registry's kernel with an <see cref="OpKernelContext"/> (no Session involved).
/// </summary>
internal static class KernelHost
{
    public static Tensor[] Run(string op, Tensor[] inputs, int outputs = 1, Action<NodeDef>? attrs = null)
    {
        var graph = new Graph();
        var def = new NodeDef { Name = "node", Op = op };
        for (int i = 0; i < inputs.Length; i++)
        {
            graph.AddNode(new NodeDef { Name = $"in{i}", Op = "Placeholder" });
            def.Input.Add($"in{i}");
        }
        attrs?.Invoke(def);
        var node = graph.AddNode(def);
        var factory = KernelRegistry.Default.Find(op) ?? throw new InvalidOperationException($"no kernel for {op}");
        var kernel = factory(node);
        var ctx = new OpKernelContext(node, inputs, outputs, new SessionState());
        kernel.Compute(ctx);
        return Enumerable.Range(0, outputs).Select(i => ctx.Output(i)!).ToArray();
    }

    public static Tensor Run1(string op, params Tensor[] inputs) => Run(op, inputs)[0];

    public static Tensor Run1(string op, Action<NodeDef> attrs, params Tensor[] inputs) => Run(op, inputs, 1, attrs)[0];

    public static Action<NodeDef> Attrs(params (string Name, object Value)[] attrs) => def =>
    {
        foreach (var (name, value) in attrs) def.Attr[name] = ToAttr(value);
    };

    public static AttrValue ToAttr(object value) => value switch
    {
        bool b => new AttrValue { B = b },
        int i => new AttrValue { I = i },
        long l => new AttrValue { I = l },
        float f => new AttrValue { F = f },
        string s => new AttrValue { S = ByteString.CopyFromUtf8(s) },
        DataType t => new AttrValue { Type = t },
        int[] list => new AttrValue { List = new AttrValue.Types.ListValue { I = { list.Select(v => (long)v) } } },
        _ => throw new ArgumentException($"unsupported attr value {value}"),
    };

    public static Tensor F(float[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor I(int[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor L(long[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static Tensor B(bool[] data, params int[] shape) => Tensor.Create(data, shape.Length == 0 ? [data.Length] : shape);

    public static float[] RandomFloats(Random r, long n, float scale = 1f)
    {
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return x;
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tol = 1e-5f, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            float e = expected[i], a = actual[i];
            if (float.IsNaN(e)) { Assert.True(float.IsNaN(a), $"{what}[{i}]: expected NaN, got {a}"); continue; }
            Assert.True(Math.Abs(e - a) <= tol * Math.Max(1, Math.Abs(e)), $"{what}[{i}]: expected {e}, got {a}");
        }
    }
}
