using System.Buffers;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// DepthwiseConv2dNative: filter [KH,KW,C,M]; output channel c·M+m = Σ input[…, c]·filter[kh,kw,c,m].
/// Direct NHWC loops (NCHW transposed). With M = 1, 16 channels of 4 output pixels are accumulated in vector
/// registers over the whole window (each filter tap loaded once for the 4 pixels); other channels and multipliers
/// accumulate one channel at a time.
/// </summary>
internal sealed class DepthwiseConv2DKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("DepthwiseConv2dNative", n => new DepthwiseConv2DKernel(n));
}

/// <summary>One DepthwiseConv2dNative node.</summary>
internal sealed class DepthwiseConv2DKernel : OpKernel
{
    private readonly bool _nchw;
    private readonly int _sh, _sw, _dh, _dw;
    private readonly PaddingKind _padding;
    private readonly (int, int, int, int) _explicit;

    public DepthwiseConv2DKernel(Node node) : base(node)
    {
        _nchw = KernelAttrs.IsNchw(node);
        var s = KernelAttrs.Quad(node, "strides", _nchw);
        var d = KernelAttrs.Quad(node, "dilations", _nchw, [1, 1, 1, 1]);
        if (s.N != 1 || s.C != 1) throw Error("Current implementation does not yet support strides in the batch and depth dimensions.");
        if (s.H < 1 || s.W < 1 || d.H < 1 || d.W < 1) throw Error("strides and dilations must be ≥ 1.");
        (_sh, _sw, _dh, _dw) = (s.H, s.W, d.H, d.W);
        _padding = KernelAttrs.PaddingOf(node);
        _explicit = Conv2DKernel.ExplicitPads(node, _padding, _nchw);
    }

    public override void Compute(OpKernelContext context)
    {
        var input = context.Input(0);
        var filter = context.Input(1);
        if (input.Shape.Rank != 4 || filter.Shape.Rank != 4) throw Error($"input and filter must be 4-dimensional, got {input.Shape} and {filter.Shape}.");
        if (input.DType != DataType.DtFloat || filter.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, input.DType);
        var (n, h, w, c) = Layout.Dims(input.Shape, _nchw);
        int kh = filter.Shape[0], kw = filter.Shape[1], mult = filter.Shape[3];
        if (filter.Shape[2] != c) throw Error($"input depth {c} must equal filter in_depth {filter.Shape[2]} (input {input.Shape}, filter {filter.Shape}).");
        Window2D g;
        try { g = Window2D.Create(n, h, w, c, kh, kw, _sh, _sw, _dh, _dw, _padding, _explicit); }
        catch (ArgumentException e) { throw Error(e.Message + $" (input {input.Shape}, filter {filter.Shape})."); }
        var output = context.AllocateOutput(0, DataType.DtFloat, _nchw ? [n, c * mult, g.OH, g.OW] : [n, g.OH, g.OW, c * mult]);
        if (output.NumElements == 0) return;
        if (!_nchw)
        {
            Run(g, mult, input.AsSpan<float>(), filter.AsSpan<float>(), output.AsSpan<float>());
            return;
        }
        var inBuf = ArrayPool<float>.Shared.Rent((int)input.NumElements);
        var outBuf = ArrayPool<float>.Shared.Rent((int)output.NumElements);
        try
        {
            var xi = inBuf.AsSpan(0, (int)input.NumElements);
            var xo = outBuf.AsSpan(0, (int)output.NumElements);
            Layout.NchwToNhwc<float>(input.AsSpan<float>(), xi, n, c, h * w);
            Run(g, mult, xi, filter.AsSpan<float>(), xo);
            Layout.NhwcToNchw<float>(xo, output.AsSpan<float>(), n, c * mult, g.OH * g.OW);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inBuf);
            ArrayPool<float>.Shared.Return(outBuf);
        }
    }

    internal static unsafe void Run(Window2D g, int mult, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output)
    {
        fixed (float* pi = input, pf = filter, po = output)
        {
            int oc = g.C * mult;
            // A static body and a struct state: no closure allocated per run.
            Workers.For((long)g.N * g.OH, Math.Max(1, 4096 / Math.Max(1, g.OW * oc)), new Rows((nint)pi, (nint)pf, (nint)po, g, mult),
                static (job, s, e) => job.Run(s, e));
        }
    }

    /// <summary>Output rows [s, e) of the batch×OH rows; one row is OW pixels × C·M channels.</summary>
    private readonly record struct Rows(nint Input, nint Filter, nint Output, Window2D G, int Mult)
    {
        public unsafe void Run(long s, long e)
        {
            var g = G;
            int oc = g.C * Mult;
            for (long r = s; r < e; r++)
            {
                int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                float* orow = (float*)Output + r * g.OW * oc;
                float* image = (float*)Input + (long)b * g.H * g.W * g.C;
                int ch = 0;
                if (Mult == 1 && Vector512.IsHardwareAccelerated && g.C >= 16)
                {
                    RowVector(g, oh, image, (float*)Filter, orow, g.C / 16 * 16);
                    ch = g.C / 16 * 16;
                }
                if (Mult == 1 && Vector256.IsHardwareAccelerated)
                    for (; ch + 8 <= g.C; ch += 8) RowVector256(g, oh, image, (float*)Filter, orow, ch);
                if (ch < oc) RowScalar(g, Mult, oh, image, (float*)Filter, orow, ch);
            }
        }
    }

    /// <summary>
    /// Channels [0, <paramref name="chEnd"/>) (a multiple of 16) of one output row (M = 1), four pixels at a time: each
    /// filter tap is loaded once and multiplied into four accumulators that stay in registers over the whole window (one
    /// store per pixel). All channel blocks of a pixel group run before the next group, so its input columns are read
    /// while still in L1; groups whose windows lie inside the image horizontally skip the per-load bounds checks.
    /// </summary>
    private static unsafe void RowVector(in Window2D g, int oh, float* image, float* filter, float* orow, int chEnd)
    {
        int c = g.C;
        long step = (long)g.SW * c;
        for (int ow0 = 0; ow0 < g.OW; ow0 += 4)
        {
            int count = Math.Min(4, g.OW - ow0);
            int left = ow0 * g.SW - g.PadLeft;
            bool inside = count == 4 && left >= 0 && left + (g.KW - 1) * g.DW + 3 * g.SW < g.W;
            for (int ch = 0; ch < chEnd; ch += 16)
            {
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (int y = 0; y < g.KH; y++)
                {
                    int ih = oh * g.SH - g.PadTop + y * g.DH;
                    if ((uint)ih >= (uint)g.H) continue;
                    float* inRow = image + (long)ih * g.W * c + ch;
                    float* fRow = filter + (long)y * g.KW * c + ch;
                    if (inside)
                    {
                        for (int x = 0; x < g.KW; x++)
                        {
                            var f = Vector512.Load(fRow + (long)x * c);
                            float* px = inRow + (long)(left + x * g.DW) * c;
                            a0 = Vector512.FusedMultiplyAdd(Vector512.Load(px), f, a0);
                            a1 = Vector512.FusedMultiplyAdd(Vector512.Load(px + step), f, a1);
                            a2 = Vector512.FusedMultiplyAdd(Vector512.Load(px + 2 * step), f, a2);
                            a3 = Vector512.FusedMultiplyAdd(Vector512.Load(px + 3 * step), f, a3);
                        }
                        continue;
                    }
                    for (int x = 0; x < g.KW; x++)
                    {
                        var f = Vector512.Load(fRow + (long)x * c);
                        int iw = left + x * g.DW;
                        if ((uint)iw < (uint)g.W) a0 = Vector512.FusedMultiplyAdd(Vector512.Load(inRow + (long)iw * c), f, a0);
                        iw += g.SW;
                        if (count > 1 && (uint)iw < (uint)g.W) a1 = Vector512.FusedMultiplyAdd(Vector512.Load(inRow + (long)iw * c), f, a1);
                        iw += g.SW;
                        if (count > 2 && (uint)iw < (uint)g.W) a2 = Vector512.FusedMultiplyAdd(Vector512.Load(inRow + (long)iw * c), f, a2);
                        iw += g.SW;
                        if (count > 3 && (uint)iw < (uint)g.W) a3 = Vector512.FusedMultiplyAdd(Vector512.Load(inRow + (long)iw * c), f, a3);
                    }
                }
                float* o = orow + (long)ow0 * c + ch;
                a0.Store(o);
                if (count > 1) a1.Store(o + c);
                if (count > 2) a2.Store(o + 2L * c);
                if (count > 3) a3.Store(o + 3L * c);
            }
        }
    }

    /// <summary>As <see cref="RowVector"/> for 8 channels (AVX2 machines, and the 8-channel remainder on AVX-512).</summary>
    private static unsafe void RowVector256(in Window2D g, int oh, float* image, float* filter, float* orow, int ch)
    {
        int c = g.C;
        for (int ow0 = 0; ow0 < g.OW; ow0 += 4)
        {
            int count = Math.Min(4, g.OW - ow0);
            Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int y = 0; y < g.KH; y++)
            {
                int ih = oh * g.SH - g.PadTop + y * g.DH;
                if ((uint)ih >= (uint)g.H) continue;
                float* inRow = image + (long)ih * g.W * c + ch;
                float* fRow = filter + (long)y * g.KW * c + ch;
                for (int x = 0; x < g.KW; x++)
                {
                    var f = Vector256.Load(fRow + (long)x * c);
                    int iw = ow0 * g.SW - g.PadLeft + x * g.DW;
                    if ((uint)iw < (uint)g.W) a0 = Vector256.FusedMultiplyAdd(Vector256.Load(inRow + (long)iw * c), f, a0);
                    iw += g.SW;
                    if (count > 1 && (uint)iw < (uint)g.W) a1 = Vector256.FusedMultiplyAdd(Vector256.Load(inRow + (long)iw * c), f, a1);
                    iw += g.SW;
                    if (count > 2 && (uint)iw < (uint)g.W) a2 = Vector256.FusedMultiplyAdd(Vector256.Load(inRow + (long)iw * c), f, a2);
                    iw += g.SW;
                    if (count > 3 && (uint)iw < (uint)g.W) a3 = Vector256.FusedMultiplyAdd(Vector256.Load(inRow + (long)iw * c), f, a3);
                }
            }
            float* o = orow + (long)ow0 * c + ch;
            a0.Store(o);
            if (count > 1) a1.Store(o + c);
            if (count > 2) a2.Store(o + 2L * c);
            if (count > 3) a3.Store(o + 3L * c);
        }
    }

    /// <summary>Output channels [first, C·M) of one output row, one accumulator per channel (any multiplier M).</summary>
    private static unsafe void RowScalar(in Window2D g, int mult, int oh, float* image, float* filter, float* orow, int first)
    {
        int c = g.C, oc = c * mult;
        for (int ow = 0; ow < g.OW; ow++)
        {
            float* o = orow + (long)ow * oc;
            for (int j = first; j < oc; j++)
            {
                int inCh = j / mult;
                float acc = 0;
                for (int y = 0; y < g.KH; y++)
                {
                    int ih = oh * g.SH - g.PadTop + y * g.DH;
                    if ((uint)ih >= (uint)g.H) continue;
                    for (int x = 0; x < g.KW; x++)
                    {
                        int iw = ow * g.SW - g.PadLeft + x * g.DW;
                        if ((uint)iw >= (uint)g.W) continue;
                        acc = MathF.FusedMultiplyAdd(image[((long)ih * g.W + iw) * c + inCh], filter[(long)(y * g.KW + x) * oc + j], acc);
                    }
                }
                o[j] = acc;
            }
        }
    }
}
