using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>Empty</c> (TF's <c>core/kernels/inplace_ops.cc</c>, <c>EmptyOp</c>): a tensor of the int32 <c>shape</c> and attr
/// <c>dtype</c>. TF leaves the contents uninitialized unless <c>init</c> is true (then zeros); here they are always
/// zeros (empty strings), one of the values TF may return.
/// </summary>
internal sealed class EmptyKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Empty", node =>
    {
        var dtype = node.GetType("dtype");
        return new DelegateKernel(node, ctx =>
        {
            var shapeT = ctx.Input(0);
            if (shapeT.Shape.Rank != 1) throw ctx.Error($"shape must be a vector of int32, got shape {shapeT.Shape}");
            var dims = IndexValues.Read(ctx, 0, "shape");
            var shape = new int[dims.Length];
            for (int i = 0; i < dims.Length; i++)
                shape[i] = dims[i] is >= 0 and <= int.MaxValue ? (int)dims[i] : throw ctx.Error($"Dimension {dims[i]} must be >= 0");
            var output = ctx.AllocateOutput(0, dtype, new TensorShape(shape));
            if (DataTypes.IsNumeric(dtype)) output.Bytes.Clear();
        });
    });
}
