using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// <c>ClipByValue(t, clip_value_min, clip_value_max)</c>: each bound is a scalar or has t's shape
/// (<c>cwise_op_clip.cc</c>); the result is <c>max(min(t, hi), lo)</c> in that order, as TF's
/// <c>cwiseMin(max).cwiseMax(min)</c>, so lo wins when the bounds cross. Every real number type.
/// </summary>
internal sealed class ClipByValueKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ClipByValue", n => new Clip(n));

    private sealed class Clip(Node node) : NumericKernel(node)
    {
        protected override void Compute<T>(OpKernelContext context)
        {
            var x = context.Input(0);
            var lo = context.Input(1);
            var hi = context.Input(2);
            if (!((lo.Shape == x.Shape || lo.Shape.Rank == 0) && (hi.Shape == x.Shape || hi.Shape.Rank == 0)))
                throw Error($"clip_value_min and clip_value_max must be either scalars or have the same shape as the input. input shape: {x.Shape} clip_value_min shape: {lo.Shape} clip_value_max shape: {hi.Shape}");
            if (lo.DType != x.DType || hi.DType != x.DType) throw Error("t, clip_value_min and clip_value_max must have the same dtype.");
            var y = context.AllocateOutput(0, x.DType, x.Shape);
            var xs = x.AsSpan<T>();
            var los = lo.AsSpan<T>();
            var his = hi.AsSpan<T>();
            var ys = y.AsSpan<T>();
            bool loScalar = lo.Shape.Rank == 0, hiScalar = hi.Shape.Rank == 0;
            for (int i = 0; i < xs.Length; i++)
            {
                T l = los[loScalar ? 0 : i], h = his[hiScalar ? 0 : i];
                T v = xs[i] < h ? xs[i] : h;
                ys[i] = v > l ? v : l;
            }
        }
    }
}
