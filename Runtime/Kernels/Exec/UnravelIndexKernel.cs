using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>UnravelIndex</c> (TF's <c>core/kernels/unravel_index_op.cc</c>, <c>tf.unravel_index</c>): flat indices into a
/// row-major array of shape <c>dims</c> become coordinate columns — a scalar index gives <c>[len(dims)]</c>, a vector of
/// n indices <c>[len(dims), n]</c>. int32 or int64 (both inputs one type); an index outside <c>[0, prod(dims))</c> fails
/// with TF's message.
/// </summary>
internal sealed class UnravelIndexKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("UnravelIndex", node => new DelegateKernel(node, ctx =>
    {
        var indicesT = ctx.Input(0);
        var dimsT = ctx.Input(1);
        if (dimsT.Shape.Rank != 1) throw ctx.Error($"The indices can only be 1-D, got {dimsT.Shape}");
        if (indicesT.DType != dimsT.DType) throw ctx.Error("indices and dims must have one dtype");
        var dims = IndexValues.Read(ctx, 1, "dims");
        var indices = IndexValues.Read(ctx, 0, "indices");
        long product = 1;
        foreach (var d in dims)
        {
            if (d <= 0) throw ctx.Error("Input dims must be > 0");
            product = checked(product * d);
        }
        foreach (var i in indices)
            if (i < 0 || i >= product) throw ctx.Error("index is out of bound as with dims");
        var shape = indicesT.Shape.Rank == 0 ? new TensorShape(dims.Length) : new TensorShape(dims.Length, indices.Length);
        var output = ctx.AllocateOutput(0, indicesT.DType, shape);
        var values = new long[dims.Length * indices.Length];
        for (int k = 0; k < indices.Length; k++)
        {
            long rest = indices[k];
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                values[d * indices.Length + k] = rest % dims[d];
                rest /= dims[d];
            }
        }
        if (indicesT.DType == DataType.DtInt64) values.CopyTo(output.AsSpan<long>());
        else
        {
            var dst = output.AsSpan<int>();
            for (int i = 0; i < values.Length; i++) dst[i] = (int)values[i];
        }
    }));
}
