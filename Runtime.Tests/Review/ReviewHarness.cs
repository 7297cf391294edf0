using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Review;

/// <summary>Runs one op on constant inputs through a Session with the default registry (executor wrapping included).</summary>
internal static class ReviewHarness
{
    public static Tensor[] Run(string op, Tensor[] inputs, int outputs, params (string, AttrValue)[] attrs)
    {
        var g = new ExecGraph();
        var names = new string[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) names[i] = g.Const("in" + i, inputs[i]);
        g.Op("op", op, names, attrs);
        using var s = new Session(g.Graph);
        return s.Run(Enumerable.Range(0, outputs).Select(k => "op:" + k).ToArray());
    }

    public static Tensor Run1(string op, Tensor[] inputs, params (string, AttrValue)[] attrs) => Run(op, inputs, 1, attrs)[0];
}
