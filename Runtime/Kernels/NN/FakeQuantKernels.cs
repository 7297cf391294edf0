using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Quantization-aware-training ops of <c>fake_quant_ops.cc</c> / <c>fake_quant_ops_functor.h</c>, float only as TF:
/// <c>FakeQuantWithMinMaxArgs</c> (range in attrs), <c>FakeQuantWithMinMaxVars</c> (scalar range tensors),
/// <c>FakeQuantWithMinMaxVarsPerChannel</c> (a range per last-dim channel) and their <c>…Gradient</c> ops. The range
/// is first nudged so that real 0 lands exactly on an integer of [quant_min, quant_max] = [narrow_range ? 1 : 0,
/// 2^num_bits − 1]; values are clamped to the nudged range and rounded half up to the grid, all in float arithmetic
/// in TF's order (Args and PerChannel multiply by the inverse scale, Vars divides by the scale). A Vars range of
/// exactly [0, 0] gives zeros (and passes gradients straight through), as TF ≥ 2.4's functor.
/// </summary>
internal sealed class FakeQuantKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("FakeQuantWithMinMaxArgs", n => { var q = Args(n); return new Exec.DelegateKernel(n, ctx => ArgsForward(ctx, q)); });
        registry.Add("FakeQuantWithMinMaxArgsGradient", n => { var q = Args(n); return new Exec.DelegateKernel(n, ctx => ArgsGradient(ctx, q)); });
        registry.Add("FakeQuantWithMinMaxVars", n => { var b = Bits(n); return new Exec.DelegateKernel(n, ctx => Vars(ctx, b, perChannel: false, gradient: false)); });
        registry.Add("FakeQuantWithMinMaxVarsGradient", n => { var b = Bits(n); return new Exec.DelegateKernel(n, ctx => Vars(ctx, b, perChannel: false, gradient: true)); });
        registry.Add("FakeQuantWithMinMaxVarsPerChannel", n => { var b = Bits(n); return new Exec.DelegateKernel(n, ctx => Vars(ctx, b, perChannel: true, gradient: false)); });
        registry.Add("FakeQuantWithMinMaxVarsPerChannelGradient", n => { var b = Bits(n); return new Exec.DelegateKernel(n, ctx => Vars(ctx, b, perChannel: true, gradient: true)); });
    }

    /// <summary>The integer grid [QuantMin, QuantMax].</summary>
    internal readonly record struct Grid(int QuantMin, int QuantMax);

    private static Grid Bits(Node n)
    {
        long bits = n.GetInt("num_bits", 8);
        if (bits < 2 || bits > 16) throw Common.KernelAttrs.Err(n, "num_bits must be between 2 and 16, inclusive");
        return new(n.GetBool("narrow_range", false) ? 1 : 0, (1 << (int)bits) - 1);
    }

    private static (Grid Grid, float Min, float Max) Args(Node n)
    {
        float min = n.GetFloat("min", -6f), max = n.GetFloat("max", 6f);
        if (!(min < max)) throw Common.KernelAttrs.Err(n, $"min has to be smaller than max, was: {min} >= {max}");
        return (Bits(n), min, max);
    }

    /// <summary>The nudged range after TF's <c>Nudge</c>: the zero point from min, rounded (half away from zero) and
    /// clamped to the grid, then min/max recomputed from it.</summary>
    internal static (float NudgedMin, float NudgedMax, float Scale, float InvScale) Nudge(float min, float max, Grid g)
    {
        float qmin = g.QuantMin, qmax = g.QuantMax;
        float scale = (max - min) / (qmax - qmin);
        float invScale = (qmax - qmin) / (max - min);
        float zeroFromMin = qmin - min / scale;
        ushort zero = zeroFromMin < qmin ? (ushort)g.QuantMin
            : zeroFromMin > qmax ? (ushort)g.QuantMax
            : (ushort)MathF.Round(zeroFromMin, MidpointRounding.AwayFromZero);
        return ((qmin - zero) * scale, (qmax - zero) * scale, scale, invScale);
    }

    private static void ArgsForward(OpKernelContext ctx, (Grid Grid, float Min, float Max) q)
    {
        var x = Float(ctx, 0);
        var y = ctx.AllocateOutput(0, DataType.DtFloat, x.Shape).AsSpan<float>();
        var (lo, hi, scale, inv) = Nudge(q.Min, q.Max, q.Grid);
        float quantZero = MathF.Floor(-lo * inv + 0.5f);
        var xs = x.AsSpan<float>();
        for (int i = 0; i < xs.Length; i++)
        {
            float shifted = Math.Max(Math.Min(xs[i], hi), lo) - lo;
            y[i] = MathF.Floor(shifted * inv - quantZero + 0.5f) * scale;
        }
    }

    private static void ArgsGradient(OpKernelContext ctx, (Grid Grid, float Min, float Max) q)
    {
        var g = Float(ctx, 0);
        var x = Float(ctx, 1);
        if (g.Shape != x.Shape) throw ctx.Error($"gradients and inputs must have the same shape, got {g.Shape} and {x.Shape}.");
        var (lo, hi, _, _) = Nudge(q.Min, q.Max, q.Grid);
        var gs = g.AsSpan<float>();
        var xs = x.AsSpan<float>();
        var y = ctx.AllocateOutput(0, DataType.DtFloat, x.Shape).AsSpan<float>();
        for (int i = 0; i < xs.Length; i++) y[i] = xs[i] >= lo && xs[i] <= hi ? gs[i] : 0f;
    }

    private static Tensor Float(OpKernelContext ctx, int input)
    {
        var t = ctx.Input(input);
        if (t.DType != DataType.DtFloat) throw ctx.Error($"input {input} must be float, got {DataTypes.Name(t.DType)}.");
        return t;
    }

    /// <summary>The Vars and VarsPerChannel forward and gradient ops: a scalar range is one channel spanning every element.</summary>
    private static void Vars(OpKernelContext ctx, Grid grid, bool perChannel, bool gradient)
    {
        int first = gradient ? 1 : 0;
        var g = gradient ? Float(ctx, 0) : null;
        var x = Float(ctx, first);
        var minT = Float(ctx, first + 1);
        var maxT = Float(ctx, first + 2);
        int depth;
        if (perChannel)
        {
            if (x.Shape.Rank < 1) throw ctx.Error($"inputs must be at least rank 1, got shape {x.Shape}.");
            depth = x.Shape[-1];
            if (minT.Shape.Rank != 1 || maxT.Shape.Rank != 1) throw ctx.Error($"min and max must be rank 1, got shapes {minT.Shape} and {maxT.Shape}.");
            if (minT.Shape[0] != depth) throw ctx.Error($"min has incorrect size, expected {depth} was {minT.Shape[0]}");
            if (maxT.Shape[0] != depth) throw ctx.Error($"max has incorrect size, expected {depth} was {maxT.Shape[0]}");
        }
        else
        {
            if (minT.Shape.Rank != 0) throw ctx.Error($"`min` must be rank 0 but is rank {minT.Shape.Rank}");
            if (maxT.Shape.Rank != 0) throw ctx.Error($"`max` must be rank 0 but is rank {maxT.Shape.Rank}");
            depth = 1;
        }
        if (g != null && g.Shape != x.Shape) throw ctx.Error($"gradients and inputs must have the same shape, got {g.Shape} and {x.Shape}.");
        var xs = x.AsSpan<float>();
        var mins = minT.AsSpan<float>();
        var maxs = maxT.AsSpan<float>();
        var y = ctx.AllocateOutput(0, DataType.DtFloat, x.Shape).AsSpan<float>();
        Span<float> dMin = default, dMax = default;
        if (gradient)
        {
            var rangeShape = perChannel ? new TensorShape(depth) : TensorShape.Scalar;
            dMin = ctx.AllocateOutput(1, DataType.DtFloat, rangeShape).AsSpan<float>();
            dMax = ctx.AllocateOutput(2, DataType.DtFloat, rangeShape).AsSpan<float>();
            dMin.Clear();
            dMax.Clear();
        }
        var gs = g != null ? g.AsSpan<float>() : default;
        for (int c = 0; c < depth; c++)
        {
            float min = mins[c], max = maxs[c];
            bool zeroRange = min == 0f && max == 0f;
            var (lo, hi, scale, inv) = zeroRange ? (0f, 0f, 0f, 0f) : Nudge(min, max, grid);
            float quantZero = MathF.Floor(-lo * inv + 0.5f);
            for (int i = c; i < xs.Length; i += depth)
            {
                float v = xs[i];
                if (!gradient)
                {
                    if (zeroRange) { y[i] = 0f; continue; }
                    float shifted = Math.Max(Math.Min(v, hi), lo) - lo;
                    y[i] = perChannel
                        ? MathF.Floor(shifted * inv - quantZero + 0.5f) * scale
                        : MathF.Floor(shifted / scale - quantZero + 0.5f) * scale;
                    continue;
                }
                if (zeroRange) { y[i] = gs[i]; continue; }
                y[i] = v >= lo && v <= hi ? gs[i] : 0f;
                if (v < lo) dMin[c] += gs[i];
                if (v > hi) dMax[c] += gs[i];
            }
        }
    }
}
