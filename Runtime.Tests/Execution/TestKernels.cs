using TypedGraph.Kernels;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Execution;

/// <summary>
/// A registry with the executor's kernels plus two tiny float ops (TestAdd, TestCount) so session tests
/// do not depend on the math kernels. TestCount counts its executions (to prove pruning).
/// </summary>
internal static class TestKernels
{
    public static int Counted;

    public static KernelRegistry Create()
    {
        var r = new KernelRegistry();
        foreach (var t in typeof(BasicKernels).Assembly.GetTypes()
                     .Where(t => t.Namespace == typeof(BasicKernels).Namespace && t.IsSubclassOf(typeof(KernelSet)))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
            ((KernelSet)Activator.CreateInstance(t)!).Register(r);
        r.Add("TestAdd", node => new Add(node));
        r.Add("TestCount", node => new Count(node));
        r.Add("TestLess", node => new Less(node));
        return r;
    }

    private sealed class Add(Node node) : OpKernel(node)
    {
        public override void Compute(OpKernelContext ctx)
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            var o = ctx.AllocateOutput(0, DataType.DtFloat, a.Shape);
            var x = a.AsSpan<float>();
            var y = b.AsSpan<float>();
            var z = o.AsSpan<float>();
            for (int i = 0; i < z.Length; i++) z[i] = x[i] + y[i % y.Length];
        }
    }

    private sealed class Less(Node node) : OpKernel(node)
    {
        public override void Compute(OpKernelContext ctx)
            => ctx.AllocateOutput(0, DataType.DtBool, TensorShape.Scalar).AsSpan<bool>()[0] = ctx.Input(0).Scalar<float>() < ctx.Input(1).Scalar<float>();
    }

    private sealed class Count(Node node) : OpKernel(node)
    {
        public override void Compute(OpKernelContext ctx)
        {
            Interlocked.Increment(ref Counted);
            ctx.SetOutput(0, ctx.Input(0));
        }
    }
}
