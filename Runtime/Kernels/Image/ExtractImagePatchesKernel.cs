using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>ExtractImagePatches(images [B,H,W,D]; ksizes, strides, rates, padding)</c> → [B, out_rows, out_cols,
/// ksize_rows·ksize_cols·D], after TF's <c>extract_image_patches_op.cc</c>: the window spans
/// k + (k − 1)(rate − 1) pixels, out sizes and SAME padding come from <c>GetWindowedOutputSize</c> on that
/// effective size, and each output depth vector holds the patch's sampled pixels in (row, col, depth) order with
/// zeros where a sample falls in the padding. Any dtype (a pure copy).
/// </summary>
internal sealed class ExtractImagePatchesKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ExtractImagePatches", n =>
    {
        long[] k = n.GetInts("ksizes"), s = n.GetInts("strides"), r = n.GetInts("rates");
        foreach (var (name, v) in new[] { ("ksizes", k), ("strides", s), ("rates", r) })
        {
            if (v.Length != 4) throw KernelAttrs.Err(n, $"Sliding window {name} field must specify 4 dimensions");
            if (v[0] != 1 || v[3] != 1) throw KernelAttrs.Err(n, $"Only support {name} across space.");
            if (v[1] < 1 || v[2] < 1) throw KernelAttrs.Err(n, $"{name} must be positive, got [{string.Join(", ", v)}]");
        }
        var padding = n.GetString("padding") switch
        {
            "SAME" => PaddingKind.Same,
            "VALID" => PaddingKind.Valid,
            var p => throw KernelAttrs.Err(n, $"padding must be SAME or VALID, got '{p}'"),
        };
        return new DelegateKernel(n, ctx => Compute(ctx, (int)k[1], (int)k[2], (int)s[1], (int)s[2], (int)r[1], (int)r[2], padding));
    });

    private static void Compute(OpKernelContext ctx, int kr, int kc, int sr, int sc, int rr, int rc, PaddingKind padding)
    {
        var x = ctx.Input(0);
        if (x.Shape.Rank != 4) throw ctx.Error($"input must be 4-dimensional{x.Shape}");
        if (!DataTypes.IsNumeric(x.DType) || x.DType == Protos.DataType.DtBool)
            throw ctx.Error($"no kernel for dtype {DataTypes.Name(x.DType)} (TF registers number types only)");
        int batch = x.Shape[0], h = x.Shape[1], w = x.Shape[2], depth = x.Shape[3];
        int padTop = 0, padBottom = 0, padLeft = 0, padRight = 0, outH, outW;
        try
        {
            outH = Padding.OutputSize(h, kr, rr, sr, padding, ref padTop, ref padBottom);
            outW = Padding.OutputSize(w, kc, rc, sc, padding, ref padLeft, ref padRight);
        }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
        var y = ctx.AllocateOutput(0, x.DType, new TensorShape(batch, outH, outW, kr * kc * depth));
        if (y.NumElements == 0) return;
        var zero = ScalarValues.Scalar(x.DType, 0);
        long at = 0;
        for (int b = 0; b < batch; b++)
            for (int oy = 0; oy < outH; oy++)
                for (int ox = 0; ox < outW; ox++)
                    for (int i = 0; i < kr; i++)
                    {
                        int iy = oy * sr - padTop + i * rr;
                        for (int j = 0; j < kc; j++, at += depth)
                        {
                            int ix = ox * sc - padLeft + j * rc;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w) Elements.Fill(y, at, depth, zero);
                            else Elements.Copy(x, (((long)b * h + iy) * w + ix) * depth, y, at, depth);
                        }
                    }
    }
}
