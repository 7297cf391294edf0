using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>Bitcast</c> (TF's <c>core/kernels/bitcast_op.cc</c>): the same bytes viewed as attr <c>type</c>. Equal element
/// sizes keep the shape; a larger input element adds a last dim of the size ratio; a smaller one needs the last dim to
/// equal the ratio and drops it. Numeric types only (not string, resource or variant).
/// </summary>
internal sealed class BitcastKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Bitcast", node =>
    {
        var outType = node.GetType("type");
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            int inSize = DataTypes.ElementSize(input.DType), outSize = DataTypes.ElementSize(outType);
            if (inSize <= 0 || outSize <= 0) throw ctx.Error($"Cannot bitcast from {DataTypes.Name(input.DType)} to {DataTypes.Name(outType)}: not a numeric type");
            var dims = input.Shape.ToArray();
            int[] outDims;
            if (inSize == outSize) outDims = dims;
            else if (inSize > outSize)
            {
                if (inSize % outSize != 0) throw ctx.Error($"Cannot bitcast from {DataTypes.Name(input.DType)} to {DataTypes.Name(outType)}");
                outDims = [.. dims, inSize / outSize];
            }
            else
            {
                if (outSize % inSize != 0 || dims.Length == 0 || dims[^1] != outSize / inSize)
                    throw ctx.Error($"Cannot bitcast from {DataTypes.Name(input.DType)} to {DataTypes.Name(outType)}: shape {input.Shape}");
                outDims = dims[..^1];
            }
            var output = ctx.AllocateOutput(0, outType, new TensorShape(outDims));
            input.Bytes.CopyTo(output.Bytes);
        });
    });
}
