using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// FusedBatchNorm / V2 / V3 on float32, NHWC or NCHW. Inference (<c>is_training=false</c>) folds the
/// statistics into y = x·a + b per channel with a = scale/√(var+ε), b = offset − mean·a. Training mode
/// normalizes with the batch's biased variance and reports the Bessel-corrected variance, blending both
/// statistics with the running ones when <c>exponential_avg_factor</c> ≠ 1 (as TF's CPU kernel).
/// Outputs: y, batch_mean, batch_variance, reserve_space_1 (mean), reserve_space_2 (biased variance in
/// training, the given variance in inference), and for V3 an empty reserve_space_3.
/// </summary>
internal sealed class FusedBatchNormKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("FusedBatchNorm", n => new FusedBatchNormKernel(n, v3: false));
        registry.Add("FusedBatchNormV2", n => new FusedBatchNormKernel(n, v3: false));
        registry.Add("FusedBatchNormV3", n => new FusedBatchNormKernel(n, v3: true));
    }
}

/// <summary>One FusedBatchNorm node.</summary>
internal sealed class FusedBatchNormKernel : OpKernel
{
    private readonly bool _v3, _nchw, _training;
    private readonly float _epsilon, _avgFactor;

    public FusedBatchNormKernel(Node node, bool v3) : base(node)
    {
        _v3 = v3;
        _nchw = KernelAttrs.IsNchw(node);
        _training = node.GetBool("is_training", true);
        _epsilon = node.GetFloat("epsilon", 1e-4f);
        _avgFactor = node.GetFloat("exponential_avg_factor", 1f);
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.Shape.Rank != 4) throw Error($"input must be 4-dimensional, got {x.Shape}.");
        if (x.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, x.DType);
        var (n, h, w, c) = Layout.Dims(x.Shape, _nchw);
        var scale = Vec(context, 1, "scale", c);
        var offset = Vec(context, 2, "offset", c);
        var mean = Vec(context, 3, "mean", c, allowEmpty: _training);
        var variance = Vec(context, 4, "variance", c, allowEmpty: _training);
        var y = context.AllocateOutput(0, DataType.DtFloat, x.Shape);
        var bm = context.AllocateOutput(1, DataType.DtFloat, new TensorShape(c)).AsSpan<float>();
        var bv = context.AllocateOutput(2, DataType.DtFloat, new TensorShape(c)).AsSpan<float>();
        var r1 = context.AllocateOutput(3, DataType.DtFloat, new TensorShape(c)).AsSpan<float>();
        var r2 = context.AllocateOutput(4, DataType.DtFloat, new TensorShape(c)).AsSpan<float>();
        if (_v3 && context.OutputCount > 5) context.AllocateOutput(5, DataType.DtFloat, new TensorShape(0));
        var xs = x.AsSpan<float>();
        long count = (long)n * h * w;
        int plane = h * w;
        var a = new float[c];
        var b = new float[c];
        if (_training)
        {
            // Batch statistics per channel (double accumulation keeps large batches accurate).
            var sum = new double[c];
            var sq = new double[c];
            for (long i = 0; i < count; i++)
                for (int ch = 0; ch < c; ch++)
                {
                    double v = xs[(int)Index(i, ch, c, plane)];
                    sum[ch] += v;
                    sq[ch] += v * v;
                }
            for (int ch = 0; ch < c; ch++)
            {
                double m = sum[ch] / count;
                double varBiased = Math.Max(sq[ch] / count - m * m, 0);
                double varUnbiased = count > 1 ? varBiased * count / (count - 1) : varBiased;
                r1[ch] = (float)m;
                r2[ch] = (float)varBiased;
                if (_avgFactor == 1f || mean.IsEmpty)
                {
                    bm[ch] = (float)m;
                    bv[ch] = (float)varUnbiased;
                }
                else
                {
                    bm[ch] = (1 - _avgFactor) * mean[ch] + _avgFactor * (float)m;
                    bv[ch] = (1 - _avgFactor) * variance[ch] + _avgFactor * (float)varUnbiased;
                }
                a[ch] = scale[ch] / MathF.Sqrt((float)varBiased + _epsilon);
                b[ch] = offset[ch] - (float)m * a[ch];
            }
        }
        else
        {
            for (int ch = 0; ch < c; ch++)
            {
                a[ch] = scale[ch] / MathF.Sqrt(variance[ch] + _epsilon);
                b[ch] = offset[ch] - mean[ch] * a[ch];
            }
            mean.CopyTo(bm);
            variance.CopyTo(bv);
            mean.CopyTo(r1);
            variance.CopyTo(r2);
        }
        var ys = y.AsSpan<float>();
        if (!_nchw)
            for (long i = 0; i < count; i++)
                TensorPrimitives.FusedMultiplyAdd(xs.Slice((int)(i * c), c), a, b, ys.Slice((int)(i * c), c));
        else
            for (int bi = 0; bi < n; bi++)
                for (int ch = 0; ch < c; ch++)
                {
                    int o = (bi * c + ch) * plane;
                    { TensorPrimitives.Multiply(xs.Slice(o, plane), a[ch], ys.Slice(o, plane)); TensorPrimitives.Add(ys.Slice(o, plane), b[ch], ys.Slice(o, plane)); }
                }
    }

    private long Index(long pixel, int ch, int c, int plane)
        => _nchw ? ((pixel / plane) * c + ch) * plane + pixel % plane : pixel * c + ch;

    private ReadOnlySpan<float> Vec(OpKernelContext context, int index, string name, int c, bool allowEmpty = false)
    {
        var t = context.Input(index);
        if (t.DType != DataType.DtFloat) throw Error($"{name} must be float32, got {DataTypes.Name(t.DType)}.");
        if (allowEmpty && t.NumElements == 0) return ReadOnlySpan<float>.Empty;
        if (t.Shape.Rank != 1 || t.Shape[0] != c) throw Error($"{name} must be a vector of {c} channels, got {t.Shape}.");
        return t.AsSpan<float>();
    }
}
