using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// LRNGrad (float): for LRN's y_i = x_i · N_i^(−β) with N_i = bias + α·Σ_{j∈[i−r, i+r]} x_j² over the last dim,
/// dx_j = g_j·N_j^(−β) − 2αβ·x_j·Σ_{i: j∈window(i)} g_i·x_i·N_i^(−β−1) (the derivative TF's CPU kernel computes).
/// Inputs: input_grads, input_image, output_image.
/// </summary>
internal sealed class LrnGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("LRNGrad", n => new LrnGradKernel(n));

    private sealed class LrnGradKernel : OpKernel
    {
        private readonly int _radius;
        private readonly double _bias, _alpha, _beta;

        public LrnGradKernel(Node node) : base(node)
        {
            _radius = (int)node.GetInt("depth_radius", 5);
            _bias = node.GetFloat("bias", 1);
            _alpha = node.GetFloat("alpha", 1);
            _beta = node.GetFloat("beta", 0.5f);
        }

        public override void Compute(OpKernelContext context)
        {
            var g = context.Input(0);
            var x = context.Input(1);
            if (x.DType != DataType.DtFloat || g.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, x.DType);
            if (x.Shape.Rank != 4 || g.Shape != x.Shape) throw Error($"input_grads {g.Shape} and input_image {x.Shape} must be equal rank-4 shapes.");
            int depth = x.Shape[3];
            long rows = x.NumElements / depth;
            var xs = x.AsSpan<float>();
            var gs = g.AsSpan<float>();
            var dx = context.AllocateOutput(0, DataType.DtFloat, x.Shape).AsSpan<float>();
            var norm = new double[depth];
            for (long r = 0; r < rows; r++)
            {
                int o = (int)(r * depth);
                for (int i = 0; i < depth; i++)
                {
                    double s = 0;
                    for (int j = Math.Max(0, i - _radius); j <= Math.Min(depth - 1, i + _radius); j++) s += (double)xs[o + j] * xs[o + j];
                    norm[i] = _bias + _alpha * s;
                }
                for (int j = 0; j < depth; j++)
                {
                    double acc = 0;
                    for (int i = Math.Max(0, j - _radius); i <= Math.Min(depth - 1, j + _radius); i++)
                        acc += gs[o + i] * xs[o + i] * Math.Pow(norm[i], -_beta - 1);
                    dx[o + j] = (float)(gs[o + j] * Math.Pow(norm[j], -_beta) - 2 * _alpha * _beta * xs[o + j] * acc);
                }
            }
        }
    }
}
