using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// The resize gradients TF's <c>image_grad.py</c> emits: each scatters the incoming gradient back onto the source
/// pixels with exactly the indices and weights its forward kernel read them with, in the forward's loop order.
/// <list type="bullet">
/// <item><c>ResizeBilinearGrad(grads: float, original_image: T)</c> → T [batch, H, W, C] (<c>resize_bilinear_op.cc</c>
/// ResizeGradCore): weights from <see cref="ResizeKernels.Weights"/>; each of the four products is formed in float; T =
/// float/double accumulates in T, half/bfloat16 accumulate in float and are cast once at the end (TF's
/// "accumulate output to float" branch).</item>
/// <item><c>ResizeNearestNeighborGrad(grads: T, size: int32)</c> → T [batch, size, C] (<c>resize_nearest_neighbor_op.cc</c>):
/// every gradient element is added, in T, onto the source pixel <see cref="ResizeKernels.NearestIndex"/> chose; like
/// TF this kernel does not reject half_pixel_centers with align_corners (it rounds the half-pixel coordinate).</item>
/// <item><c>ResizeBicubicGrad(grads: float, original_image: T)</c> → T, float or double (<c>resize_bicubic_op.cc</c>
/// ResizeBicubicGrad): the gradient is converted to T first and the 16 products grad·w_y·w_x are formed in T.</item>
/// </list>
/// Batch and channels of the result come from <c>grads</c>; only H and W come from <c>original_image</c>, as TF's
/// <c>ImageResizerGradientState</c> does.
/// </summary>
internal sealed class ResizeGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ResizeBilinearGrad", n => Make(n, ComputeBilinear));
        registry.Add("ResizeBicubicGrad", n => Make(n, ComputeBicubic));
        registry.Add("ResizeNearestNeighborGrad", n =>
        {
            bool align = n.GetBool("align_corners", false), half = n.GetBool("half_pixel_centers", false);
            return new DelegateKernel(n, ctx => ComputeNearest(ctx, align, half));
        });
    }

    private static DelegateKernel Make(Node n, Action<OpKernelContext, GradState> compute)
    {
        bool align = n.GetBool("align_corners", false), half = n.GetBool("half_pixel_centers", false);
        if (align && half) throw KernelAttrs.Err(n, "If half_pixel_centers is True, align_corners must be False.");
        return new DelegateKernel(n, ctx => compute(ctx, GradState.Read(ctx, align, half)));
    }

    /// <summary>TF's ImageResizerGradientState: validation, scales and the output.</summary>
    private readonly record struct GradState(Tensor Grads, Tensor Output, int Batch, int ResizedH, int ResizedW, int OriginalH, int OriginalW, int Channels,
        float HeightScale, float WidthScale, bool HalfPixel)
    {
        public static GradState Read(OpKernelContext ctx, bool align, bool half)
        {
            var grads = ctx.Input(0);
            if (grads.Shape.Rank != 4) throw ctx.Error($"input_grad must be 4-dimensional{grads.Shape}");
            if (grads.DType != DataType.DtFloat) throw ctx.Error($"input_grad must be of type float{DataTypes.Name(grads.DType)}");
            int batch = grads.Shape[0], rh = grads.Shape[1], rw = grads.Shape[2], ch = grads.Shape[3];
            if (rh <= 0 || rw <= 0) throw ctx.Error("resized dimensions must be positive");
            var original = ctx.Input(1);
            if (original.Shape.Rank != 4) throw ctx.Error($"original_image must be 4-dimensional{original.Shape}");
            int oh = original.Shape[1], ow = original.Shape[2];
            if (oh <= 0 || ow <= 0) throw ctx.Error("original dimensions must be positive");
            var output = ctx.AllocateOutput(0, original.DType, new TensorShape(batch, oh, ow, ch));
            output.Bytes.Clear(); // pooled outputs arrive with stale contents; the scatter adds onto zeros (TF's setZero)
            return new GradState(grads, output, batch, rh, rw, oh, ow, ch,
                ResizeKernels.Scale(oh, rh, align), ResizeKernels.Scale(ow, rw, align), half);
        }
    }

    private static void ComputeBilinear(OpKernelContext ctx, GradState st)
    {
        switch (st.Output.DType)
        {
            case DataType.DtFloat: BilinearScatter(st, st.Output.AsSpan<float>()); break;
            case DataType.DtDouble: BilinearScatter(st, st.Output.AsSpan<double>()); break;
            case DataType.DtHalf or DataType.DtBfloat16:
                var acc = new float[st.Output.NumElements];
                BilinearScatter<float>(st, acc);
                for (int i = 0; i < acc.Length; i++) ScalarValues.SetDouble(st.Output, i, acc[i]); // one rounding per element
                break;
            default: throw ctx.Error($"ResizeBilinearGrad is registered for float, double, half and bfloat16, not {DataTypes.Name(st.Output.DType)}.");
        }
    }

    private static void BilinearScatter<T>(GradState st, Span<T> o) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = st.Grads.AsSpan<float>();
        var wy = ResizeKernels.Weights(st.ResizedH, st.OriginalH, st.HeightScale, st.HalfPixel);
        var wx = ResizeKernels.Weights(st.ResizedW, st.OriginalW, st.WidthScale, st.HalfPixel);
        int ch = st.Channels;
        long at = 0;
        for (int b = 0; b < st.Batch; b++)
            for (int y = 0; y < st.ResizedH; y++)
            {
                var (top, bottom, ly) = wy[y];
                float iy = 1f - ly;
                for (int x = 0; x < st.ResizedW; x++)
                {
                    var (left, right, lx) = wx[x];
                    float ix = 1f - lx;
                    long tl = Pixel(b, top, left), tr = Pixel(b, top, right), bl = Pixel(b, bottom, left), br = Pixel(b, bottom, right);
                    for (int c = 0; c < ch; c++, at++)
                    {
                        float v = g[(int)at];
                        o[(int)(tl + c)] += T.CreateTruncating(v * iy * ix);
                        o[(int)(tr + c)] += T.CreateTruncating(v * iy * lx);
                        o[(int)(bl + c)] += T.CreateTruncating(v * ly * ix);
                        o[(int)(br + c)] += T.CreateTruncating(v * ly * lx);
                    }
                }
            }

        long Pixel(int b, int y, int x) => (((long)b * st.OriginalH + y) * st.OriginalW + x) * ch;
    }

    private static void ComputeBicubic(OpKernelContext ctx, GradState st)
    {
        switch (st.Output.DType)
        {
            case DataType.DtFloat: BicubicScatter(st, st.Output.AsSpan<float>()); break;
            case DataType.DtDouble: BicubicScatter(st, st.Output.AsSpan<double>()); break;
            default: throw ctx.Error($"ResizeBicubicGrad is registered for float and double, not {DataTypes.Name(st.Output.DType)}.");
        }
    }

    private static void BicubicScatter<T>(GradState st, Span<T> o) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = st.Grads.AsSpan<float>();
        var xs = new ResizeBicubicKernel.Taps[st.ResizedW];
        for (int x = 0; x < xs.Length; x++) xs[x] = ResizeBicubicKernel.Weights(st.WidthScale, x, st.OriginalW, st.HalfPixel);
        int ch = st.Channels;
        Span<int> yi = stackalloc int[4], xi = stackalloc int[4];
        Span<T> yw = new T[4], xw = new T[4];
        long at = 0;
        for (int b = 0; b < st.Batch; b++)
            for (int y = 0; y < st.ResizedH; y++)
            {
                var ty = ResizeBicubicKernel.Weights(st.HeightScale, y, st.OriginalH, st.HalfPixel);
                Unpack(ty, yi, yw);
                for (int x = 0; x < st.ResizedW; x++)
                {
                    Unpack(xs[x], xi, xw);
                    for (int c = 0; c < ch; c++, at++)
                    {
                        T v = T.CreateTruncating(g[(int)at]);
                        for (int r = 0; r < 4; r++)
                        {
                            long row = ((long)b * st.OriginalH + yi[r]) * st.OriginalW;
                            for (int k = 0; k < 4; k++) o[(int)((row + xi[k]) * ch + c)] += v * yw[r] * xw[k];
                        }
                    }
                }
            }

        static void Unpack(ResizeBicubicKernel.Taps t, Span<int> i, Span<T> w)
        {
            i[0] = t.I0; i[1] = t.I1; i[2] = t.I2; i[3] = t.I3;
            w[0] = T.CreateTruncating(t.W0); w[1] = T.CreateTruncating(t.W1); w[2] = T.CreateTruncating(t.W2); w[3] = T.CreateTruncating(t.W3);
        }
    }

    private static void ComputeNearest(OpKernelContext ctx, bool align, bool half)
    {
        var grads = ctx.Input(0);
        if (grads.Shape.Rank != 4) throw ctx.Error($"input must be 4-dimensional{grads.Shape}");
        var sizeT = ctx.Input(1);
        if (sizeT.Shape.Rank != 1) throw ctx.Error($"shape_t must be 1-dimensional{sizeT.Shape}");
        if (sizeT.NumElements != 2) throw ctx.Error($"shape_t must have two elements{sizeT.Shape}");
        var size = IndexValues.Read(ctx, 1, "size");
        if (size[0] <= 0 || size[1] <= 0) throw ctx.Error("shape_t's elements must be positive");
        int batch = grads.Shape[0], inH = grads.Shape[1], inW = grads.Shape[2], ch = grads.Shape[3];
        int outH = checked((int)size[0]), outW = checked((int)size[1]);
        var output = ctx.AllocateOutput(0, grads.DType, new TensorShape(batch, outH, outW, ch));
        if (output.NumElements == 0) return;
        output.Bytes.Clear(); // the scatter adds onto zeros (TF's setZero)
        // The forward's scale is original/resized; here "out" is the original image and "in" the resized gradient.
        float sy = ResizeKernels.Scale(outH, inH, align), sx = ResizeKernels.Scale(outW, inW, align);
        var ys = new int[inH];
        for (int i = 0; i < inH; i++) ys[i] = ResizeKernels.NearestIndex(i, sy, outH, align, half);
        var xs = new int[inW];
        for (int i = 0; i < inW; i++) xs[i] = ResizeKernels.NearestIndex(i, sx, outW, align, half);
        // Where each gradient element lands, in TF's order (batch, row, column, channel).
        var target = new int[grads.NumElements];
        int from = 0;
        for (int b = 0; b < batch; b++)
            for (int y = 0; y < inH; y++)
            {
                long row = ((long)b * outH + ys[y]) * outW;
                for (int x = 0; x < inW; x++)
                {
                    int to = (int)((row + xs[x]) * ch);
                    for (int c = 0; c < ch; c++) target[from++] = to + c;
                }
            }
        switch (grads.DType)
        {
            case DataType.DtFloat: Scatter(target, grads.AsSpan<float>(), output.AsSpan<float>()); break;
            case DataType.DtDouble: Scatter(target, grads.AsSpan<double>(), output.AsSpan<double>()); break;
            case DataType.DtHalf: Scatter(target, grads.AsSpan<Half>(), output.AsSpan<Half>()); break; // Half + Half rounds each sum, as Eigen::half
            case DataType.DtInt8: Scatter(target, grads.AsSpan<sbyte>(), output.AsSpan<sbyte>()); break; // integers wrap, as C++
            case DataType.DtUint8: Scatter(target, grads.AsSpan<byte>(), output.AsSpan<byte>()); break;
            case DataType.DtInt16: Scatter(target, grads.AsSpan<short>(), output.AsSpan<short>()); break;
            case DataType.DtUint16: Scatter(target, grads.AsSpan<ushort>(), output.AsSpan<ushort>()); break;
            case DataType.DtInt32: Scatter(target, grads.AsSpan<int>(), output.AsSpan<int>()); break;
            case DataType.DtUint32: Scatter(target, grads.AsSpan<uint>(), output.AsSpan<uint>()); break;
            case DataType.DtInt64: Scatter(target, grads.AsSpan<long>(), output.AsSpan<long>()); break;
            case DataType.DtUint64: Scatter(target, grads.AsSpan<ulong>(), output.AsSpan<ulong>()); break;
            case DataType.DtBfloat16:
                // bfloat16 + bfloat16 is a float sum rounded back to bfloat16 after every add (Eigen::bfloat16).
                var g = grads.AsSpan<ushort>();
                var o = output.AsSpan<ushort>();
                for (int i = 0; i < target.Length; i++) o[target[i]] = ScalarValues.ToBfloat16(Bf16(o[target[i]]) + Bf16(g[i]));
                break;
            default: throw ctx.Error($"ResizeNearestNeighborGrad does not take {DataTypes.Name(grads.DType)}.");
        }

        static float Bf16(ushort v) => BitConverter.Int32BitsToSingle(v << 16);
    }

    private static void Scatter<T>(int[] target, ReadOnlySpan<T> g, Span<T> o) where T : unmanaged, INumber<T>
    {
        for (int i = 0; i < target.Length; i++) o[target[i]] += g[i];
    }
}
