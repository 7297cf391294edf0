using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>ResizeBilinear</c> and <c>ResizeNearestNeighbor</c> on NHWC images, after TF's <c>image_resizer_state.h</c>,
/// <c>resize_bilinear_op.cc</c> and <c>resize_nearest_neighbor_op.cc</c>:
/// <list type="bullet">
/// <item>scale = (align_corners &amp;&amp; out &gt; 1) ? (in − 1)/(out − 1) : in/out (<c>CalculateResizeScale</c>);</item>
/// <item>bilinear source coordinate: half_pixel_centers ? (x + 0.5)·scale − 0.5 : x·scale; lower = max(floor, 0),
/// upper = min(ceil, in − 1), lerp = in − floor (<c>compute_interpolation_weights</c>); output is float;</item>
/// <item>nearest: half_pixel_centers ? (x + 0.5)·scale (<c>HalfPixelScalerForNN</c>, no −0.5) : x·scale, then
/// round (align_corners) or floor, clamped to [0, in − 1]; output keeps the input dtype.</item>
/// </list>
/// half_pixel_centers with align_corners is rejected, as TF does.
/// </summary>
internal sealed class ResizeKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ResizeBilinear", n => Make(n, nearest: false));
        registry.Add("ResizeNearestNeighbor", n => Make(n, nearest: true));
    }

    private static DelegateKernel Make(Node n, bool nearest)
    {
        bool align = n.GetBool("align_corners", false), half = n.GetBool("half_pixel_centers", false);
        if (align && half) throw KernelAttrs.Err(n, "If half_pixel_centers is True, align_corners must be False.");
        return new DelegateKernel(n, ctx =>
        {
            var (x, outH, outW) = ReadInputs(ctx);
            int batch = x.Shape[0], inH = x.Shape[1], inW = x.Shape[2], ch = x.Shape[3];
            float sy = Scale(inH, outH, align), sx = Scale(inW, outW, align);
            if (nearest)
            {
                var y = ctx.AllocateOutput(0, x.DType, new TensorShape(batch, outH, outW, ch));
                var ys = Enumerable.Range(0, outH).Select(o => NearestIndex(o, sy, inH, align, half)).ToArray();
                var xs = Enumerable.Range(0, outW).Select(o => NearestIndex(o, sx, inW, align, half)).ToArray();
                for (int b = 0; b < batch; b++)
                    for (int oy = 0; oy < outH; oy++)
                        for (int ox = 0; ox < outW; ox++)
                            Elements.Copy(x, (((long)b * inH + ys[oy]) * inW + xs[ox]) * ch, y, (((long)b * outH + oy) * outW + ox) * ch, ch);
                return;
            }
            var o = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(batch, outH, outW, ch)).AsSpan<float>();
            var wy = Weights(outH, inH, sy, half);
            var wx = Weights(outW, inW, sx, half);
            var src = ToFloat(x);
            for (int b = 0; b < batch; b++)
                for (int oy = 0; oy < outH; oy++)
                {
                    var (y0, y1, ly) = wy[oy];
                    for (int ox = 0; ox < outW; ox++)
                    {
                        var (x0, x1, lx) = wx[ox];
                        long tl = (((long)b * inH + y0) * inW + x0) * ch, tr = (((long)b * inH + y0) * inW + x1) * ch;
                        long bl = (((long)b * inH + y1) * inW + x0) * ch, br = (((long)b * inH + y1) * inW + x1) * ch;
                        long at = (((long)b * outH + oy) * outW + ox) * ch;
                        for (int c = 0; c < ch; c++)
                        {
                            float top = src[tl + c] + (src[tr + c] - src[tl + c]) * lx;
                            float bottom = src[bl + c] + (src[br + c] - src[bl + c]) * lx;
                            o[(int)(at + c)] = top + (bottom - top) * ly;
                        }
                    }
                }
        });
    }

    /// <summary>Validates images [B, H, W, C] and size = [new_height, new_width] (TF's ImageResizerState::ValidateAndCalculateOutputSize).</summary>
    internal static (Tensor X, int H, int W) ReadInputs(OpKernelContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Shape.Rank != 4) throw ctx.Error($"input must be 4-dimensional{x.Shape}");
        var size = ctx.Input(1);
        if (size.Shape.Rank != 1 || size.Shape[0] != 2) throw ctx.Error($"shape_t must be 1-dimensional {size.Shape}");
        var hw = IndexValues.Read(ctx, 1, "size");
        if (hw[0] <= 0 || hw[1] <= 0) throw ctx.Error("output dimensions must be positive");
        if (x.Shape[1] <= 0 || x.Shape[2] <= 0) throw ctx.Error($"input image must be of non-zero size, got {x.Shape}");
        return (x, checked((int)hw[0]), checked((int)hw[1]));
    }

    /// <summary>TF's CalculateResizeScale.</summary>
    internal static float Scale(int inSize, int outSize, bool alignCorners)
        => alignCorners && outSize > 1 ? (inSize - 1) / (float)(outSize - 1) : inSize / (float)outSize;

    /// <summary>The source index of output position <paramref name="o"/> (TF's compute_indices / the forward's inline rule).</summary>
    internal static int NearestIndex(int o, float scale, int inSize, bool align, bool half)
    {
        float v = half ? (o + 0.5f) * scale : o * scale;
        long i = align ? (long)MathF.Round(v, MidpointRounding.AwayFromZero) : (long)MathF.Floor(v); // roundf rounds half away from zero
        return (int)Math.Max(0, Math.Min(i, inSize - 1));
    }

    /// <summary>TF's compute_interpolation_weights: per output position the lower/upper source index and the lerp.</summary>
    internal static (int Lower, int Upper, float Lerp)[] Weights(int outSize, int inSize, float scale, bool half)
    {
        var w = new (int, int, float)[outSize];
        for (int i = 0; i < outSize; i++)
        {
            float v = half ? (i + 0.5f) * scale - 0.5f : i * scale;
            float f = MathF.Floor(v);
            w[i] = ((int)Math.Max((long)f, 0), (int)Math.Min((long)MathF.Ceiling(v), inSize - 1), v - f);
        }
        return w;
    }

    /// <summary>The elements of a real-number tensor as floats (TF's kernels read any real input and compute in float).</summary>
    internal static float[] ToFloat(Tensor x)
    {
        if (x.DType == DataType.DtFloat) return x.ToArray<float>();
        if (!DataTypes.IsNumeric(x.DType) || x.DType == DataType.DtBool) throw new GraphExecutionException($"dtype {DataTypes.Name(x.DType)} is not a real number type.");
        var r = new float[x.NumElements];
        for (int i = 0; i < r.Length; i++) r[i] = (float)ScalarValues.GetDouble(x, i);
        return r;
    }
}
