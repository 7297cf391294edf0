using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>LinSpace</c> (TF's <c>core/kernels/sequence_ops.cc</c>, <c>LinSpaceOp</c>): <c>num</c> evenly spaced values,
/// <c>start + i·step</c> with <c>step = (stop − start)/(num − 1)</c> computed in T, the last element set to
/// <c>stop</c> exactly, <c>[start]</c> when num is 1. float and double (num int32 or int64).
/// </summary>
internal sealed class LinSpaceKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("LinSpace", node => new DelegateKernel(node, ctx =>
    {
        var start = ctx.Input(0);
        var stop = ctx.Input(1);
        if (start.Shape.Rank != 0) throw ctx.Error($"start must be a scalar, not shape {start.Shape}");
        if (stop.Shape.Rank != 0) throw ctx.Error($"stop must be a scalar, not shape {stop.Shape}");
        if (ctx.Input(2).Shape.Rank != 0) throw ctx.Error($"num must be a scalar, not shape {ctx.Input(2).Shape}");
        long num = IndexValues.Scalar(ctx, 2, "num");
        if (num <= 0) throw ctx.Error($"Requires num > 0: {num}");
        if (stop.DType != start.DType) throw ctx.Error($"start and stop must have one dtype, got {DataTypes.Name(start.DType)} and {DataTypes.Name(stop.DType)}.");
        var output = ctx.AllocateOutput(0, start.DType, new TensorShape(checked((int)num)));
        switch (start.DType)
        {
            case DataType.DtFloat: Fill(start.Scalar<float>(), stop.Scalar<float>(), output.AsSpan<float>()); break;
            case DataType.DtDouble: Fill(start.Scalar<double>(), stop.Scalar<double>(), output.AsSpan<double>()); break;
            default: throw ctx.Error($"dtype {DataTypes.Name(start.DType)} is not supported (float or double).");
        }
    }));

    private static void Fill<T>(T start, T stop, Span<T> y) where T : System.Numerics.IFloatingPointIeee754<T>
    {
        if (y.Length == 1) { y[0] = start; return; }
        T step = (stop - start) / T.CreateChecked(y.Length - 1);
        for (int i = 0; i < y.Length - 1; i++) y[i] = start + step * T.CreateChecked(i);
        y[^1] = stop;
    }
}
