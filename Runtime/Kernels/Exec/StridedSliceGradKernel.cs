using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>StridedSliceGrad(shape, begin, end, strides, dy)</c>: the adjoint of StridedSlice — a zero tensor of
/// <c>shape</c> with <c>dy</c> written into the elements StridedSlice with the same spec and masks would read
/// (TF's <c>strided_slice_op.cc</c>); dy must have exactly the sliced shape. Every dtype.
/// </summary>
internal sealed class StridedSliceGradKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("StridedSliceGrad", node =>
    {
        var masks = new SliceKernels.Masks(
            node.GetInt("begin_mask", 0), node.GetInt("end_mask", 0), node.GetInt("ellipsis_mask", 0),
            node.GetInt("new_axis_mask", 0), node.GetInt("shrink_axis_mask", 0));
        return new DelegateKernel(node, ctx =>
        {
            var dims = IndexValues.Read(ctx, 0, "shape");
            if (ctx.Input(0).Shape.Rank != 1) throw ctx.Error($"shape must be a vector, got {ctx.Input(0).Shape}.");
            if (dims.Any(d => d < 0)) throw ctx.Error($"shape must be non-negative, got [{string.Join(", ", dims)}].");
            var shape = TensorShape.FromLongs(dims);
            var dy = ctx.Input(4);
            var spec = SliceKernels.Resolve(ctx, shape, IndexValues.Read(ctx, 1, "begin"), IndexValues.Read(ctx, 2, "end"), IndexValues.Read(ctx, 3, "strides"), masks);
            if (dy.Shape != spec.FinalShape)
                throw ctx.Error($"shape of dy was {dy.Shape} instead of {spec.FinalShape}");
            var output = ctx.AllocateOutput(0, dy.DType, shape);
            if (dy.DType != DataType.DtString) output.Bytes.Clear();
            StridedCopy.Run(dy, 0, StridedCopy.Strides(spec.Box), output, spec.Start, spec.SourceStrides, spec.Box);
        });
    });
}
