using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

/// <summary>Short tensor and attribute builders for the executor's array-op tests (ops run through <see cref="Support.OpHarness"/>).</summary>
internal static class ExecutionTestValues
{
    public static Tensor I(params int[] v) => Tensor.Create(v);
    public static Tensor F(float[] v, params int[] shape) => Tensor.Create(v, shape);
    public static Tensor Iota(int n, params int[] shape) => Tensor.Create(Enumerable.Range(0, n).Select(i => (float)i).ToArray(), shape);
    public static (string, AttrValue) A(string k, long v) => (k, Int(v));
}
