using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// LRN (local response normalization, 4-D NHWC float): out = in / (bias + alpha·Σ in²)^beta, the sum over
/// channels [d − depth_radius, d + depth_radius] clipped to the tensor, as TF's <c>LRNOp</c>.
/// </summary>
internal sealed class LrnKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("LRN", n => new LrnKernel(n));
}

/// <summary>One LRN node.</summary>
internal sealed class LrnKernel : OpKernel
{
    private readonly int _radius;
    private readonly float _bias, _alpha, _beta;

    public LrnKernel(Node node) : base(node)
    {
        _radius = (int)node.GetInt("depth_radius", 5);
        _bias = node.GetFloat("bias", 1f);
        _alpha = node.GetFloat("alpha", 1f);
        _beta = node.GetFloat("beta", 0.5f);
        if (_radius < 0) throw Error($"depth_radius must be ≥ 0, got {_radius}.");
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.Shape.Rank != 4) throw Error($"input must be 4-dimensional, got {x.Shape}.");
        if (x.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, x.DType);
        var y = context.AllocateOutput(0, DataType.DtFloat, x.Shape);
        int depth = x.Shape[3];
        if (x.NumElements == 0) return;
        long rows = x.NumElements / depth;
        int radius = _radius;
        float bias = _bias, alpha = _alpha, beta = _beta;
        Workers.For(rows, Math.Max(1, 4096 / depth), (s, e) =>
        {
            var xs = x.AsSpan<float>();
            var ys = y.AsSpan<float>();
            for (long r = s; r < e; r++)
            {
                var xi = xs.Slice((int)(r * depth), depth);
                var yi = ys.Slice((int)(r * depth), depth);
                for (int d = 0; d < depth; d++)
                {
                    int lo = Math.Max(0, d - radius), hi = Math.Min(depth - 1, d + radius);
                    float sq = 0;
                    for (int j = lo; j <= hi; j++) sq += xi[j] * xi[j];
                    float norm = bias + alpha * sq;
                    yi[d] = xi[d] * (beta == 0.5f ? 1f / MathF.Sqrt(norm) : beta == 0.75f ? 1f / (MathF.Sqrt(norm) * MathF.Sqrt(MathF.Sqrt(norm))) : MathF.Pow(norm, -beta));
                }
            }
        });
    }
}
