using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>EnsureShape</c> (TF's <c>core/kernels/shape_ops.h</c>, <c>EnsureShapeOp</c>; <c>tf.ensure_shape</c>, emitted by
/// tf.data / Keras input pipelines): passes the input through when its shape is compatible with attr <c>shape</c>
/// (unknown rank accepts anything, an unknown dim any size), else fails with TF's message.
/// </summary>
internal sealed class EnsureShapeKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("EnsureShape", node =>
    {
        var expected = node.GetShape("shape");
        bool unknownRank = expected == null || expected.UnknownRank;
        var dims = unknownRank ? [] : expected!.Dim.Select(d => d.Size).ToArray();
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (!unknownRank)
            {
                bool ok = input.Shape.Rank == dims.Length;
                for (int i = 0; ok && i < dims.Length; i++) ok = dims[i] < 0 || dims[i] == input.Shape[i];
                if (!ok)
                    throw ctx.Error($"Shape of tensor {node.Inputs[0]} [{string.Join(",", input.Shape.Dims.ToArray())}] is not compatible with expected shape " +
                        $"[{string.Join(",", dims.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture)))}].");
            }
            ctx.SetOutput(0, input);
        });
    });
}
