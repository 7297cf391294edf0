using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>MirrorPadGrad(input, paddings; mode)</c>: folds a mirror-padded tensor back onto the unpadded one — the output
/// has dims <c>input − before − after</c> and every input element is added to the element MirrorPad copied it from
/// (REFLECT mirrors without the edge, SYMMETRIC with it), as tensorflow/core/kernels/image/mirror_pad_op.cc's
/// MirrorPadGradOp, with its checks and messages: paddings must be a [rank, 2] matrix, non-negative, and no greater
/// (SYMMETRIC) / less (REFLECT) than the output dim. Number types (TF registers the real ones).
/// </summary>
internal sealed class MirrorPadGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("MirrorPadGrad", node =>
    {
        var mode = node.GetString("mode");
        if (mode is not ("REFLECT" or "SYMMETRIC")) throw KernelAttrs.Err(node, $"mode must be REFLECT or SYMMETRIC, got '{mode}'");
        return new MirrorPadGradKernel(node, mode == "REFLECT" ? 1 : 0);
    });
}

/// <summary>One MirrorPadGrad node; <c>offset</c> 1 = REFLECT, 0 = SYMMETRIC.</summary>
internal sealed class MirrorPadGradKernel(Node node, int offset) : NumericKernel(node)
{
    protected override void Compute<T>(OpKernelContext ctx)
    {
        var x = ctx.Input(0);
        var padTensor = ctx.Input(1);
        int rank = x.Shape.Rank;
        if (padTensor.Shape.Rank != 2 || padTensor.Shape[1] != 2)
            throw ctx.Error($"paddings must be a matrix with 2 columns: {padTensor.Shape}");
        if (padTensor.Shape[0] != rank)
            throw ctx.Error($"The first dimension of paddings must be the rank of inputs{padTensor.Shape} {x.Shape}");
        var p = IndexValues.Read(ctx, 1, "paddings");
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            long before = p[2 * d], after = p[2 * d + 1];
            if (before < 0 || after < 0) throw ctx.Error($"Paddings must be non-negative: {before}, {after}");
            long outSize = x.Shape[d] - (before + after);
            if (offset == 0 && (before > outSize || after > outSize))
                throw ctx.Error($"paddings must be no greater than the output dimension size: {before}, {after} greater than {outSize}");
            if (offset == 1 && (before >= outSize || after >= outSize))
                throw ctx.Error($"paddings must be less than the output dimension size: {before}, {after} not less than {outSize}");
            dims[d] = (int)outSize;
        }
        var y = ctx.AllocateOutput(0, x.DType, new TensorShape(dims));
        var src = x.AsSpan<T>();
        var dst = y.AsSpan<T>();
        dst.Clear();
        if (src.Length == 0) return;
        var dstStrides = StridedCopy.Strides(dims);
        var idx = new int[rank];
        for (int flat = 0; flat < src.Length; flat++)
        {
            long to = 0;
            for (int d = 0; d < rank; d++)
            {
                // The element of the unpadded tensor MirrorPad read for padded position idx[d].
                long q = idx[d] - p[2 * d];
                int n = dims[d];
                if (q < 0) q = -q - 1 + offset;
                else if (q >= n) q = 2L * n - q - 1 - offset;
                to += q * dstStrides[d];
            }
            dst[(int)to] += src[flat];
            for (int k = rank - 1; k >= 0 && ++idx[k] == x.Shape[k]; k--) idx[k] = 0;
        }
    }
}
