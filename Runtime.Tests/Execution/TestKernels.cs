using TypedGraph.Kernels;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Execution;

/// <summary>
/// A registry with the executor's kernels plus two tiny float ops (TestAdd, TestCount) so session tests
/// do not depend on the math kernels. TestCount counts its executions (to prove pruning) into the
/// <see cref="ExecutionCounter"/> given to <see cref="Create"/>, so each test owns its count: a static counter would be
/// moved by other test classes running in parallel.
/// </summary>
internal static class TestKernels
{
    /// <summary>How many times the TestCount kernels of one registry ran.</summary>
    public sealed class ExecutionCounter
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        internal void Increment() => Interlocked.Increment(ref _value);
    }

    public static KernelRegistry Create(ExecutionCounter? counter = null)
    {
        var r = new KernelRegistry();
        foreach (var t in typeof(BasicKernels).Assembly.GetTypes()
                     .Where(t => t.Namespace == typeof(BasicKernels).Namespace && t.IsSubclassOf(typeof(KernelSet)))
                     .OrderBy(t => t.FullName, StringComparer.Ordinal))
            ((KernelSet)Activator.CreateInstance(t)!).Register(r);
        r.Add("TestAdd", node => new Add(node));
        r.Add("TestCount", node => new Count(node, counter));
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

    private sealed class Count(Node node, ExecutionCounter? counter) : OpKernel(node)
    {
        public override void Compute(OpKernelContext ctx)
        {
            counter?.Increment();
            ctx.SetOutput(0, ctx.Input(0));
        }
    }
}
