using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>Seeded inputs and weights shared by both engines, plus layout helpers.</summary>
internal static class BenchData
{
    public static float[] Random(int seed, long n, float scale = 1f)
    {
        var r = new Random(seed);
        var x = new float[n];
        for (long i = 0; i < n; i++) x[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return x;
    }

    /// <summary>TF filter [KH,KW,C,OC] → ONNX weight [OC,C,KH,KW].</summary>
    public static float[] FilterToOihw(float[] f, int kh, int kw, int c, int oc)
    {
        var o = new float[f.Length];
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < c; i++)
                    for (int k = 0; k < oc; k++)
                        o[((k * c + i) * kh + y) * kw + x] = f[((y * kw + x) * c + i) * oc + k];
        return o;
    }

    /// <summary>NHWC → NCHW (done outside the timed region for the NCHW-only peer).</summary>
    public static float[] ToNchw(float[] x, int n, int h, int w, int c)
    {
        var y = new float[x.Length];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h * w; i++)
                for (int ch = 0; ch < c; ch++) y[(b * c + ch) * h * w + i] = x[(b * h * w + i) * c + ch];
        return y;
    }

    public static Action<NodeDef> Attrs(params (string Name, object Value)[] attrs) => def =>
    {
        foreach (var (name, value) in attrs)
            def.Attr[name] = value switch
            {
                bool b => new AttrValue { B = b },
                string s => new AttrValue { S = ByteString.CopyFromUtf8(s) },
                int[] l => new AttrValue { List = new AttrValue.Types.ListValue { I = { l.Select(v => (long)v) } } },
                _ => throw new ArgumentException(name),
            };
    };

    public static Action<NodeDef> Conv(int stride, string padding) => Attrs(("strides", new[] { 1, stride, stride, 1 }), ("padding", padding));

    /// <summary>Attrs of grappler's fused ops: <c>fused_ops</c> and <c>num_args</c> = 1 (the bias).</summary>
    public static Action<NodeDef> Fused(params string[] ops) => def =>
    {
        def.Attr["fused_ops"] = new AttrValue { List = new AttrValue.Types.ListValue { S = { ops.Select(ByteString.CopyFromUtf8) } } };
        def.Attr["num_args"] = new AttrValue { I = 1 };
    };

    public static Action<NodeDef> FusedConv(string activation) => def =>
    {
        Conv(1, "SAME")(def);
        Fused("BiasAdd", activation)(def);
    };

    public static Action<NodeDef> Pool(int k, int s, string padding) => Attrs(("ksize", new[] { 1, k, k, 1 }), ("strides", new[] { 1, s, s, 1 }), ("padding", padding));

    /// <summary>Fails the setup when the engines disagree (the benchmark would compare different work).</summary>
    public static void CheckClose(string what, ReadOnlySpan<float> ours, ReadOnlySpan<float> peer, float tol = 1e-3f)
    {
        if (ours.Length != peer.Length) throw new InvalidOperationException($"{what}: {ours.Length} vs {peer.Length} values.");
        for (int i = 0; i < ours.Length; i++)
            if (Math.Abs(ours[i] - peer[i]) > tol * Math.Max(1, Math.Abs(peer[i])))
                throw new InvalidOperationException($"{what}: value {i} differs: ours {ours[i]}, ORT {peer[i]}.");
    }
}
