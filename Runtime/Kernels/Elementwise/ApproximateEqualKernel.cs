using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// <c>ApproximateEqual</c> (TF's <c>core/kernels/cwise_op_equal_to_1.cc</c> / <c>ApproximateEqualOp</c>):
/// <c>|x − y| &lt; tolerance</c> element by element for two tensors of one shape (no broadcasting, as TF), attr
/// <c>tolerance</c> (default 1e-5) converted to the input type. float, double, half and the integer types.
/// </summary>
internal sealed class ApproximateEqualKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ApproximateEqual", node =>
    {
        float tolerance = node.GetFloat("tolerance", 1e-5f);
        return new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            var y = ctx.Input(1);
            if (x.Shape != y.Shape) throw ctx.Error($"x and y must be of the same shape. x shape: {x.Shape}. y shape: {y.Shape}");
            if (x.DType != y.DType) throw ctx.Error("x and y must have one dtype");
            var z = ctx.AllocateOutput(0, DataType.DtBool, x.Shape).AsSpan<bool>();
            switch (x.DType)
            {
                case DataType.DtFloat: Run(x.AsSpan<float>(), y.AsSpan<float>(), tolerance, z); break;
                case DataType.DtDouble: Run(x.AsSpan<double>(), y.AsSpan<double>(), (double)tolerance, z); break;
                case DataType.DtHalf: Run(x.AsSpan<Half>(), y.AsSpan<Half>(), (Half)tolerance, z); break;
                case DataType.DtInt32: Run(x.AsSpan<int>(), y.AsSpan<int>(), (int)tolerance, z); break;
                case DataType.DtInt64: Run(x.AsSpan<long>(), y.AsSpan<long>(), (long)tolerance, z); break;
                default: throw ctx.Error($"dtype {DataTypes.Name(x.DType)} is not supported.");
            }
        });
    });

    private static void Run<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, T tolerance, Span<bool> z) where T : System.Numerics.INumber<T>
    {
        for (int i = 0; i < z.Length; i++) z[i] = T.Abs(x[i] - y[i]) < tolerance;
    }
}
