using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>ResizeArea(images [B,H,W,C], size [2]; align_corners)</c> → float, after TF's <c>resize_area_op.cc</c>: output
/// pixel y covers source rows [y·scale, (y + 1)·scale) (scale as <see cref="ResizeKernels.Scale"/>); each source
/// row/column contributes its covered fraction, indices past the edge are clamped (<c>Bound</c>, reachable with
/// align_corners), and the weighted sum is multiplied by 1/(scale_y·scale_x). Sums run in float in TF's order: the
/// columns of one source row first, then the rows. There is no half_pixel_centers attr.
/// </summary>
internal sealed class ResizeAreaKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ResizeArea", n =>
    {
        bool align = n.GetBool("align_corners", false);
        return new DelegateKernel(n, ctx => Compute(ctx, align));
    });

    private readonly record struct Span1D(long Start, long End, float StartScale, float EndMinusOneScale);

    private static void Compute(OpKernelContext ctx, bool align)
    {
        var (x, outH, outW) = ResizeKernels.ReadInputs(ctx);
        int batch = x.Shape[0], inH = x.Shape[1], inW = x.Shape[2], ch = x.Shape[3];
        var output = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(batch, outH, outW, ch));
        if (output.NumElements == 0) return;
        var o = output.AsSpan<float>();
        var src = ResizeKernels.ToFloat(x);
        float sy = ResizeKernels.Scale(inH, outH, align), sx = ResizeKernels.Scale(inW, outW, align);
        var xs = new Span1D[outW];
        for (int i = 0; i < outW; i++)
        {
            float in0 = i * sx, in1 = (i + 1) * sx;
            long start = (long)MathF.Floor(in0), end = (long)MathF.Ceiling(in1);
            xs[i] = new Span1D(start, end, Coverage(start, in0, in1, sx), Coverage(end - 1, in0, in1, sx));
        }
        float scale = (float)(1.0 / (sy * sx));
        var yScales = new List<float>();
        var yRows = new List<long>();
        int at = 0;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < outH; oy++)
            {
                float in0 = oy * sy, in1 = (oy + 1) * sy;
                long start = (long)MathF.Floor(in0), end = (long)MathF.Ceiling(in1);
                yScales.Clear();
                yRows.Clear();
                for (long i = start; i < end; i++)
                {
                    yScales.Add(Coverage(i, in0, in1, sy));
                    yRows.Add(((long)b * inH + Bound(i, inH)) * inW * ch);
                }
                for (int ox = 0; ox < outW; ox++)
                {
                    var span = xs[ox];
                    for (int c = 0; c < ch; c++)
                    {
                        float sum = 0;
                        for (int r = 0; r < yRows.Count; r++)
                        {
                            long rowAt = yRows[r] + c;
                            float sumY = src[rowAt + Bound(span.Start, inW) * (long)ch] * span.StartScale;
                            if (span.Start + 1 != span.End)
                            {
                                for (long xi = span.Start + 1; xi < span.End - 1; xi++) sumY += src[rowAt + Bound(xi, inW) * (long)ch];
                                sumY += src[rowAt + Bound(span.End - 1, inW) * (long)ch] * span.EndMinusOneScale;
                            }
                            sum += sumY * yScales[r];
                        }
                        o[at++] = sum * scale;
                    }
                }
            }
    }

    /// <summary>The part of source cell [v, v + 1) inside [in0, in1), as TF's start_scale / scale_y expressions.</summary>
    private static float Coverage(long v, float in0, float in1, float cellScale)
        => v < in0 ? (v + 1 > in1 ? cellScale : v + 1 - in0) : (v + 1 > in1 ? in1 - v : 1f);

    private static long Bound(long v, int limit) => Math.Min(limit - 1, Math.Max(0, v));
}
