using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

/// <summary>Runs one op on constant inputs through a real Session (so the executor path is exercised too).</summary>
internal static class KernelHarness
{
    public static Tensor[] Run(string op, Tensor[] inputs, int outputs = 1, params (string, Protos.AttrValue)[] attrs)
    {
        var g = new ExecGraph();
        var names = new string[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) names[i] = g.Const("in" + i, inputs[i]);
        g.Op("op", op, names, attrs);
        using var s = new Session(g.Graph, new SessionOptions { Registry = TestKernels.Create() });
        return s.Run(Enumerable.Range(0, outputs).Select(k => "op:" + k).ToArray());
    }

    public static Tensor Run1(string op, Tensor[] inputs, params (string, Protos.AttrValue)[] attrs) => Run(op, inputs, 1, attrs)[0];

    public static Tensor I(params int[] v) => Tensor.Create(v);
    public static Tensor F(float[] v, params int[] shape) => Tensor.Create(v, shape);
    public static Tensor Iota(int n, params int[] shape) => Tensor.Create(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), shape);
    public static (string, AttrValue) A(string k, long v) => (k, Int(v));
}
