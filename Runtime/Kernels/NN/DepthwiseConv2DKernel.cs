using System.Buffers;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// DepthwiseConv2dNative: filter [KH,KW,C,M]; output channel c·M+m = Σ input[…, c]·filter[kh,kw,c,m].
/// Direct NHWC loops (NCHW transposed). With M = 1, whole vectors of channels (16 on AVX-512, then 8) are computed
/// per output row: the border columns (whose windows reach into the padding) one pixel at a time with bounds checks;
/// the interior in register blocks — for a 3-wide undilated window at stride 1 or 2 (MobileNet), 8 pixels whose
/// accumulators stay in registers while each input column is loaded once per window row; otherwise 4 pixels per
/// filter-tap load. Rows of the window outside the image are skipped for the whole output row. Other channels and
/// multipliers accumulate one channel at a time. Output rows are split across the cores.
/// </summary>
internal sealed class DepthwiseConv2DKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("DepthwiseConv2dNative", n => new DepthwiseConv2DKernel(n));
}

/// <summary>The window attrs every depthwise op (forward and both backprops) reads the same way, checked as TF's
/// depthwise_conv_op.cc / depthwise_conv_grad_op.cc constructors do.</summary>
internal readonly record struct DepthwiseWindow(bool Nchw, int Sh, int Sw, int Dh, int Dw, PaddingKind Padding, (int, int, int, int) Explicit)
{
    /// <exception cref="GraphExecutionException">Strides over batch/depth, or a stride or dilation below 1.</exception>
    public static DepthwiseWindow FromNode(Node node)
    {
        bool nchw = KernelAttrs.IsNchw(node);
        var s = KernelAttrs.Quad(node, "strides", nchw);
        var d = KernelAttrs.Quad(node, "dilations", nchw, [1, 1, 1, 1]);
        GraphExecutionException Error(string message) => new($"{node.Op} node '{node.Name}': {message}", node.Name);
        if (s.N != 1 || s.C != 1) throw Error("Current implementation does not yet support strides in the batch and depth dimensions.");
        if (s.H < 1 || s.W < 1 || d.H < 1 || d.W < 1) throw Error("strides and dilations must be ≥ 1.");
        var padding = KernelAttrs.PaddingOf(node);
        return new DepthwiseWindow(nchw, s.H, s.W, d.H, d.W, padding, Conv2DKernel.ExplicitPads(node, padding, nchw));
    }
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
        (_nchw, _sh, _sw, _dh, _dw, _padding, _explicit) = DepthwiseWindow.FromNode(node);
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

    /// <summary>For tests: use the 8-wide (AVX2) vectors even where 16-wide ones are available.</summary>
    internal static bool ForceVector256 { get; set; }

    internal static unsafe void Run(Window2D g, int mult, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output)
    {
        int oc = g.C * mult;
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < (long)g.KH * g.KW * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("DepthwiseConv2D: buffer smaller than the geometry.");
        fixed (float* pi = input, pf = filter, po = output)
        {
            // An output row is OW·C·M·KH·KW multiply-adds; chunks of ≥ ~32k keep the fork/join cost small.
            long perRow = Math.Max(1L, (long)g.OW * oc * g.KH * g.KW);
            // A static body and a struct state: no closure allocated per run.
            Workers.For((long)g.N * g.OH, Math.Max(1, (1 << 15) / perRow), new Rows((nint)pi, (nint)pf, (nint)po, g, mult),
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
            // Output columns [owLo, owHi) read only columns inside the image for every tap: the interior, whose blocks
            // have no bounds checks. TF's padding is never negative, so the left border is the first ⌈PL/SW⌉ columns.
            int owLo = Math.Min(g.OW, (g.PadLeft + g.SW - 1) / g.SW);
            long lastStart = (long)g.W - 1 + g.PadLeft - (long)(g.KW - 1) * g.DW;
            int owHi = lastStart < 0 ? 0 : (int)Math.Min(g.OW, lastStart / g.SW + 1);
            if (owHi < owLo) owHi = owLo;
            for (long r = s; r < e; r++)
            {
                int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                float* orow = (float*)Output + r * g.OW * oc;
                float* image = (float*)Input + (long)b * g.H * g.W * g.C;
                // Rows of the window inside the image: taps [kyLo, kyHi); the rows outside add nothing (zero padding).
                int ih0 = oh * g.SH - g.PadTop;
                int kyLo = ih0 >= 0 ? 0 : (-ih0 + g.DH - 1) / g.DH;
                int kyHi = ih0 > g.H - 1 ? 0 : Math.Min(g.KH, (g.H - 1 - ih0) / g.DH + 1);
                var rows = new WindowRows(image + (long)(ih0 + kyLo * g.DH) * g.W * g.C, (long)g.DH * g.W * g.C,
                    (float*)Filter + (long)kyLo * g.KW * oc, (long)g.KW * oc, Math.Max(0, kyHi - kyLo));
                int ch = 0;
                if (Mult == 1 && Vector512.IsHardwareAccelerated && !ForceVector256 && g.C >= 16)
                    ch = Channels<Lanes512, Vector512<float>>(g, rows, owLo, owHi, orow, 0, g.C / 16 * 16);
                if (Mult == 1 && Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported && g.C - ch >= 8)
                    ch = Channels<Lanes256, Vector256<float>>(g, rows, owLo, owHi, orow, ch, ch + (g.C - ch) / 8 * 8);
                if (ch < oc) RowScalar(g, Mult, oh, image, (float*)Filter, orow, ch);
            }
        }
    }

    /// <summary>
    /// The window rows of one output row that lie inside the image: <see cref="Count"/> rows starting at input row
    /// pointer <see cref="Input"/> (channel 0 of column 0) and filter row <see cref="Filter"/>, advancing by the strides.
    /// </summary>
    private readonly unsafe struct WindowRows(float* input, long inputStride, float* filter, long filterStride, int count)
    {
        public float* Input { get; init; } = input;
        public long InputStride { get; } = inputStride;
        public float* Filter { get; init; } = filter;
        public long FilterStride { get; } = filterStride;
        public int Count { get; } = count;
    }

    /// <summary>
    /// Channels [<paramref name="first"/>, <paramref name="end"/>) (whole vectors, M = 1) of one output row: border
    /// columns one pixel at a time with bounds checks, interior columns in register blocks. Returns <paramref name="end"/>.
    /// </summary>
    private static unsafe int Channels<TL, TV>(in Window2D g, in WindowRows rows, int owLo, int owHi, float* orow, int first, int end)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        long c = g.C;
        bool threeWide = g.KW == 3 && g.DW == 1;
        for (int ch = first; ch < end; ch += TL.Width)
        {
            var r = rows with { Input = rows.Input + ch, Filter = rows.Filter + ch };
            for (int ow = 0; ow < owLo; ow++) Pixel<TL, TV>(g, r, ow, orow + ow * c + ch);
            int o = owLo;
            if (threeWide && g.SW == 1)
            {
                for (; o + 8 <= owHi; o += 8) Block8Stride1<TL, TV>(r, r.Input + (o - g.PadLeft) * c, c, orow + o * c + ch);
                if (o + 4 <= owHi) { Block4Stride1<TL, TV>(r, r.Input + (o - g.PadLeft) * c, c, orow + o * c + ch); o += 4; }
            }
            else if (threeWide && g.SW == 2)
            {
                for (; o + 8 <= owHi; o += 8) Block8Stride2<TL, TV>(r, r.Input + (2L * o - g.PadLeft) * c, c, orow + o * c + ch);
                if (o + 4 <= owHi) { Block4Stride2<TL, TV>(r, r.Input + (2L * o - g.PadLeft) * c, c, orow + o * c + ch); o += 4; }
            }
            for (; o + 4 <= owHi; o += 4) Block4<TL, TV>(g, r, r.Input + ((long)o * g.SW - g.PadLeft) * c, orow + o * c + ch);
            for (; o < g.OW; o++) Pixel<TL, TV>(g, r, o, orow + o * c + ch);
        }
        return end;
    }

    /// <summary>One output pixel's vector of channels, any window, checking each column against the image.</summary>
    private static unsafe void Pixel<TL, TV>(in Window2D g, in WindowRows rows, int ow, float* o)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        long c = g.C;
        var acc = TL.Zero;
        float* px = rows.Input, f = rows.Filter;
        int left = ow * g.SW - g.PadLeft;
        for (int y = 0; y < rows.Count; y++, px += rows.InputStride, f += rows.FilterStride)
            for (int x = 0; x < g.KW; x++)
            {
                int iw = left + x * g.DW;
                if ((uint)iw < (uint)g.W) acc = TL.Fma(TL.Load(px + iw * c), TL.Load(f + x * c), acc);
            }
        TL.Store(acc, o);
    }

    /// <summary>Four interior output pixels, any window width, dilation and stride: each filter tap loaded once for the four.</summary>
    private static unsafe void Block4<TL, TV>(in Window2D g, in WindowRows rows, float* px, float* o)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        long c = g.C, step = g.SW * c, tap = g.DW * c;
        TV a0 = TL.Zero, a1 = TL.Zero, a2 = TL.Zero, a3 = TL.Zero;
        float* f = rows.Filter;
        for (int y = 0; y < rows.Count; y++, px += rows.InputStride, f += rows.FilterStride)
            for (int x = 0; x < g.KW; x++)
            {
                var fx = TL.Load(f + x * c);
                float* p = px + x * tap;
                a0 = TL.Fma(TL.Load(p), fx, a0);
                a1 = TL.Fma(TL.Load(p + step), fx, a1);
                a2 = TL.Fma(TL.Load(p + 2 * step), fx, a2);
                a3 = TL.Fma(TL.Load(p + 3 * step), fx, a3);
            }
        TL.Store(a0, o);
        TL.Store(a1, o + c);
        TL.Store(a2, o + 2 * c);
        TL.Store(a3, o + 3 * c);
    }

    /// <summary>
    /// Eight interior output pixels of a 3-wide, stride-1, undilated window (MobileNet's 3×3): the ten input columns
    /// of a window row are each loaded once and multiplied into the (up to) three accumulators they feed, with the
    /// row's three taps in registers — 10 loads for 24 multiply-adds instead of 24 + 24.
    /// </summary>
    private static unsafe void Block8Stride1<TL, TV>(in WindowRows rows, float* px, long c, float* o)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        TV a0 = TL.Zero, a1 = TL.Zero, a2 = TL.Zero, a3 = TL.Zero, a4 = TL.Zero, a5 = TL.Zero, a6 = TL.Zero, a7 = TL.Zero;
        float* f = rows.Filter;
        for (int y = 0; y < rows.Count; y++, px += rows.InputStride, f += rows.FilterStride)
        {
            TV f0 = TL.Load(f), f1 = TL.Load(f + c), f2 = TL.Load(f + 2 * c);
            TV x = TL.Load(px);
            a0 = TL.Fma(x, f0, a0);
            x = TL.Load(px + c);
            a0 = TL.Fma(x, f1, a0); a1 = TL.Fma(x, f0, a1);
            x = TL.Load(px + 2 * c);
            a0 = TL.Fma(x, f2, a0); a1 = TL.Fma(x, f1, a1); a2 = TL.Fma(x, f0, a2);
            x = TL.Load(px + 3 * c);
            a1 = TL.Fma(x, f2, a1); a2 = TL.Fma(x, f1, a2); a3 = TL.Fma(x, f0, a3);
            x = TL.Load(px + 4 * c);
            a2 = TL.Fma(x, f2, a2); a3 = TL.Fma(x, f1, a3); a4 = TL.Fma(x, f0, a4);
            x = TL.Load(px + 5 * c);
            a3 = TL.Fma(x, f2, a3); a4 = TL.Fma(x, f1, a4); a5 = TL.Fma(x, f0, a5);
            x = TL.Load(px + 6 * c);
            a4 = TL.Fma(x, f2, a4); a5 = TL.Fma(x, f1, a5); a6 = TL.Fma(x, f0, a6);
            x = TL.Load(px + 7 * c);
            a5 = TL.Fma(x, f2, a5); a6 = TL.Fma(x, f1, a6); a7 = TL.Fma(x, f0, a7);
            x = TL.Load(px + 8 * c);
            a6 = TL.Fma(x, f2, a6); a7 = TL.Fma(x, f1, a7);
            x = TL.Load(px + 9 * c);
            a7 = TL.Fma(x, f2, a7);
        }
        TL.Store(a0, o); TL.Store(a1, o + c); TL.Store(a2, o + 2 * c); TL.Store(a3, o + 3 * c);
        TL.Store(a4, o + 4 * c); TL.Store(a5, o + 5 * c); TL.Store(a6, o + 6 * c); TL.Store(a7, o + 7 * c);
    }

    /// <summary>As <see cref="Block8Stride1{TL, TV}"/> for four pixels (six input columns per window row).</summary>
    private static unsafe void Block4Stride1<TL, TV>(in WindowRows rows, float* px, long c, float* o)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        TV a0 = TL.Zero, a1 = TL.Zero, a2 = TL.Zero, a3 = TL.Zero;
        float* f = rows.Filter;
        for (int y = 0; y < rows.Count; y++, px += rows.InputStride, f += rows.FilterStride)
        {
            TV f0 = TL.Load(f), f1 = TL.Load(f + c), f2 = TL.Load(f + 2 * c);
            TV x = TL.Load(px);
            a0 = TL.Fma(x, f0, a0);
            x = TL.Load(px + c);
            a0 = TL.Fma(x, f1, a0); a1 = TL.Fma(x, f0, a1);
            x = TL.Load(px + 2 * c);
            a0 = TL.Fma(x, f2, a0); a1 = TL.Fma(x, f1, a1); a2 = TL.Fma(x, f0, a2);
            x = TL.Load(px + 3 * c);
            a1 = TL.Fma(x, f2, a1); a2 = TL.Fma(x, f1, a2); a3 = TL.Fma(x, f0, a3);
            x = TL.Load(px + 4 * c);
            a2 = TL.Fma(x, f2, a2); a3 = TL.Fma(x, f1, a3);
            x = TL.Load(px + 5 * c);
            a3 = TL.Fma(x, f2, a3);
        }
        TL.Store(a0, o); TL.Store(a1, o + c); TL.Store(a2, o + 2 * c); TL.Store(a3, o + 3 * c);
    }

    /// <summary>
    /// Eight interior output pixels of a 3-wide, stride-2, undilated window (MobileNet's downsampling layers): 17 input
    /// columns per window row, the even ones shared by two neighbouring pixels.
    /// </summary>
    private static unsafe void Block8Stride2<TL, TV>(in WindowRows rows, float* px, long c, float* o)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        TV a0 = TL.Zero, a1 = TL.Zero, a2 = TL.Zero, a3 = TL.Zero, a4 = TL.Zero, a5 = TL.Zero, a6 = TL.Zero, a7 = TL.Zero;
        float* f = rows.Filter;
        for (int y = 0; y < rows.Count; y++, px += rows.InputStride, f += rows.FilterStride)
        {
            TV f0 = TL.Load(f), f1 = TL.Load(f + c), f2 = TL.Load(f + 2 * c);
            TV x = TL.Load(px);
            a0 = TL.Fma(x, f0, a0);
            a0 = TL.Fma(TL.Load(px + c), f1, a0);
            x = TL.Load(px + 2 * c);
            a0 = TL.Fma(x, f2, a0); a1 = TL.Fma(x, f0, a1);
            a1 = TL.Fma(TL.Load(px + 3 * c), f1, a1);
            x = TL.Load(px + 4 * c);
            a1 = TL.Fma(x, f2, a1); a2 = TL.Fma(x, f0, a2);
            a2 = TL.Fma(TL.Load(px + 5 * c), f1, a2);
            x = TL.Load(px + 6 * c);
            a2 = TL.Fma(x, f2, a2); a3 = TL.Fma(x, f0, a3);
            a3 = TL.Fma(TL.Load(px + 7 * c), f1, a3);
            x = TL.Load(px + 8 * c);
            a3 = TL.Fma(x, f2, a3); a4 = TL.Fma(x, f0, a4);
            a4 = TL.Fma(TL.Load(px + 9 * c), f1, a4);
            x = TL.Load(px + 10 * c);
            a4 = TL.Fma(x, f2, a4); a5 = TL.Fma(x, f0, a5);
            a5 = TL.Fma(TL.Load(px + 11 * c), f1, a5);
            x = TL.Load(px + 12 * c);
            a5 = TL.Fma(x, f2, a5); a6 = TL.Fma(x, f0, a6);
            a6 = TL.Fma(TL.Load(px + 13 * c), f1, a6);
            x = TL.Load(px + 14 * c);
            a6 = TL.Fma(x, f2, a6); a7 = TL.Fma(x, f0, a7);
            a7 = TL.Fma(TL.Load(px + 15 * c), f1, a7);
            a7 = TL.Fma(TL.Load(px + 16 * c), f2, a7);
        }
        TL.Store(a0, o); TL.Store(a1, o + c); TL.Store(a2, o + 2 * c); TL.Store(a3, o + 3 * c);
        TL.Store(a4, o + 4 * c); TL.Store(a5, o + 5 * c); TL.Store(a6, o + 6 * c); TL.Store(a7, o + 7 * c);
    }

    /// <summary>As <see cref="Block8Stride2{TL, TV}"/> for four pixels (nine input columns per window row).</summary>
    private static unsafe void Block4Stride2<TL, TV>(in WindowRows rows, float* px, long c, float* o)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        TV a0 = TL.Zero, a1 = TL.Zero, a2 = TL.Zero, a3 = TL.Zero;
        float* f = rows.Filter;
        for (int y = 0; y < rows.Count; y++, px += rows.InputStride, f += rows.FilterStride)
        {
            TV f0 = TL.Load(f), f1 = TL.Load(f + c), f2 = TL.Load(f + 2 * c);
            TV x = TL.Load(px);
            a0 = TL.Fma(x, f0, a0);
            a0 = TL.Fma(TL.Load(px + c), f1, a0);
            x = TL.Load(px + 2 * c);
            a0 = TL.Fma(x, f2, a0); a1 = TL.Fma(x, f0, a1);
            a1 = TL.Fma(TL.Load(px + 3 * c), f1, a1);
            x = TL.Load(px + 4 * c);
            a1 = TL.Fma(x, f2, a1); a2 = TL.Fma(x, f0, a2);
            a2 = TL.Fma(TL.Load(px + 5 * c), f1, a2);
            x = TL.Load(px + 6 * c);
            a2 = TL.Fma(x, f2, a2); a3 = TL.Fma(x, f0, a3);
            a3 = TL.Fma(TL.Load(px + 7 * c), f1, a3);
            a3 = TL.Fma(TL.Load(px + 8 * c), f2, a3);
        }
        TL.Store(a0, o); TL.Store(a1, o + c); TL.Store(a2, o + 2 * c); TL.Store(a3, o + 3 * c);
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
