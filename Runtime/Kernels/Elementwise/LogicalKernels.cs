using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>LogicalAnd, LogicalOr (broadcasting) and LogicalNot over bool tensors.</summary>
internal sealed class LogicalKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("LogicalAnd", n => new LogicalKernel(n, and: true));
        registry.Add("LogicalOr", n => new LogicalKernel(n, and: false));
        registry.Add("LogicalNot", n => new LogicalNotKernel(n));
    }
}

/// <summary>LogicalAnd / LogicalOr.</summary>
internal sealed class LogicalKernel(Node node, bool and) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        if (a.DType != DataType.DtBool || b.DType != DataType.DtBool)
            throw Error($"inputs must be bool, got {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}.");
        if (!Common.Broadcast.TryShape(a.Shape, b.Shape, out var shape))
            throw Error($"Incompatible shapes: {a.Shape} vs. {b.Shape}.");
        var output = context.AllocateOutput(0, DataType.DtBool, shape);
        // Static lambdas: no closure per call (LogicalAnd runs every iteration of a maximum_iterations loop).
        RowFunc<bool, bool> row = and
            ? static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] && y[yr ? i : 0]; }
            : static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] || y[yr ? i : 0]; };
        ElementwiseLoop.Binary(a, b, output, row);
    }
}

/// <summary>LogicalNot.</summary>
internal sealed class LogicalNotKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.DType != DataType.DtBool) throw Error($"input must be bool, got {DataTypes.Name(x.DType)}.");
        var y = context.AllocateOutput(0, DataType.DtBool, x.Shape);
        var sx = x.AsSpan<bool>();
        var sy = y.AsSpan<bool>();
        for (int i = 0; i < sx.Length; i++) sy[i] = !sx[i];
    }
}
