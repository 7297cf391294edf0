using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// FusedBatchNormGrad and FusedBatchNormGradV3 (float, NHWC/NCHW), as TF's CPU kernel: with
/// x̂ = (x − μ)/√(σ² + ε) per channel over the M = N·H·W elements, scale_backprop = Σ dy·x̂, offset_backprop = Σ dy,
/// and x_backprop = scale/√(σ² + ε) · (dy − Σdy/M − x̂·Σ(dy·x̂)/M) in training, scale/√(σ² + ε) · dy in inference.
/// μ and σ² come from reserve_space_1/2 (the forward op's batch mean and biased variance, or the population
/// statistics in inference). The trailing reserve outputs are empty.
/// </summary>
internal sealed class FusedBatchNormGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("FusedBatchNormGrad", n => new GradKernel(n));
        registry.Add("FusedBatchNormGradV3", n => new GradKernel(n));
    }

    private sealed class GradKernel : OpKernel
    {
        private readonly bool _nchw, _training;
        private readonly float _epsilon;

        public GradKernel(Node node) : base(node)
        {
            _nchw = KernelAttrs.IsNchw(node);
            _training = node.GetBool("is_training", true);
            _epsilon = node.GetFloat("epsilon", 1e-4f);
        }

        public override void Compute(OpKernelContext context)
        {
            var dy = context.Input(0);
            var x = context.Input(1);
            if (x.DType != DataType.DtFloat || dy.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, x.DType);
            if (x.Shape.Rank != 4 || dy.Shape != x.Shape) throw Error($"x {x.Shape} and y_backprop {dy.Shape} must be equal rank-4 shapes.");
            int n = x.Shape[0], c = _nchw ? x.Shape[1] : x.Shape[3], hw = _nchw ? x.Shape[2] * x.Shape[3] : x.Shape[1] * x.Shape[2];
            var scale = Vec(context, 2, "scale", c);
            var mean = Vec(context, 3, "reserve_space_1", c);
            var variance = Vec(context, 4, "reserve_space_2", c);
            var dx = context.AllocateOutput(0, DataType.DtFloat, x.Shape).AsSpan<float>();
            var dScale = context.AllocateOutput(1, DataType.DtFloat, new TensorShape(c)).AsSpan<float>();
            var dOffset = context.AllocateOutput(2, DataType.DtFloat, new TensorShape(c)).AsSpan<float>();
            for (int k = 3; k < context.OutputCount; k++) context.AllocateOutput(k, DataType.DtFloat, new TensorShape(0));
            var xs = x.AsSpan<float>();
            var g = dy.AsSpan<float>();
            int Index(int b, int p, int ch) => _nchw ? (b * c + ch) * hw + p : (b * hw + p) * c + ch;
            double m = (double)n * hw;
            for (int ch = 0; ch < c; ch++)
            {
                double inv = 1 / Math.Sqrt(variance[ch] + _epsilon), sumDy = 0, sumDyXhat = 0;
                for (int b = 0; b < n; b++)
                    for (int p = 0; p < hw; p++)
                    {
                        int i = Index(b, p, ch);
                        sumDy += g[i];
                        sumDyXhat += g[i] * (xs[i] - mean[ch]) * inv;
                    }
                dScale[ch] = (float)sumDyXhat;
                dOffset[ch] = (float)sumDy;
                for (int b = 0; b < n; b++)
                    for (int p = 0; p < hw; p++)
                    {
                        int i = Index(b, p, ch);
                        double xhat = (xs[i] - mean[ch]) * inv;
                        dx[i] = (float)(scale[ch] * inv * (_training ? g[i] - sumDy / m - xhat * sumDyXhat / m : g[i]));
                    }
            }
        }

        private float[] Vec(OpKernelContext context, int index, string name, int c)
        {
            var t = context.Input(index);
            if (t.DType != DataType.DtFloat || t.NumElements != c) throw Error($"{name} must be float[{c}], got {DataTypes.Name(t.DType)}{t.Shape}.");
            return t.ToArray<float>();
        }
    }
}
