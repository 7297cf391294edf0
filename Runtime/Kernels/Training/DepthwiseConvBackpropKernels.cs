using System.Buffers;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter (float; NCHW transposed to NHWC), the
/// gradients TF's <c>_DepthwiseConv2dNativeGrad</c> (python/ops/nn_grad.py) builds for DepthwiseConv2dNative, with the
/// same strides / dilations / SAME-VALID-EXPLICIT arithmetic as the forward <see cref="DepthwiseConv2DKernel"/>.
/// dInput[b, ih, iw, c] = Σ dOut[b, oh, ow, c·M + m]·filter[ky, kx, c, m] over the taps whose window covers (ih, iw);
/// dFilter[ky, kx, c, m] = Σ input[b, oh·SH − PT + ky·DH, ow·SW − PL + kx·DW, c]·dOut[b, oh, ow, c·M + m]
/// (TF's depthwise_conv_grad_op.cc defines the same sums).
/// </summary>
internal sealed class DepthwiseConvBackpropKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("DepthwiseConv2dNativeBackpropInput", n => new DepthwiseConvBackpropKernel(n, filterGrad: false));
        registry.Add("DepthwiseConv2dNativeBackpropFilter", n => new DepthwiseConvBackpropKernel(n, filterGrad: true));
    }

    /// <summary>For tests: use the 8-wide (AVX2) vectors even where 16-wide ones are available.</summary>
    internal static bool ForceVector256 { get; set; }

    private static bool Use512 => Vector512.IsHardwareAccelerated && !ForceVector256;

    private static bool Use256 => Vector256.IsHardwareAccelerated && System.Runtime.Intrinsics.X86.Fma.IsSupported;

    private sealed class DepthwiseConvBackpropKernel : OpKernel
    {
        private readonly bool _filterGrad, _nchw;
        private readonly int _sh, _sw, _dh, _dw;
        private readonly PaddingKind _padding;
        private readonly (int, int, int, int) _explicit;

        public DepthwiseConvBackpropKernel(Node node, bool filterGrad) : base(node)
        {
            _filterGrad = filterGrad;
            (_nchw, _sh, _sw, _dh, _dw, _padding, _explicit) = DepthwiseWindow.FromNode(node);
        }

        public override void Compute(OpKernelContext context)
        {
            var sizesTensor = context.Input(_filterGrad ? 1 : 0);
            string sizesName = _filterGrad ? "filter_sizes" : "input_sizes";
            if (sizesTensor.DType != DataType.DtInt32 || sizesTensor.Shape.Rank != 1 || sizesTensor.Shape[0] != 4)
                throw Error($"{sizesName} must be a 4-element int32 vector, got {DataTypes.Name(sizesTensor.DType)}{sizesTensor.Shape}.");
            var sizes = sizesTensor.AsSpan<int>().ToArray();
            if (sizes.Any(v => v < 0)) throw Error($"{sizesName} [{string.Join(", ", sizes)}] has a negative dimension.");
            var input = _filterGrad ? context.Input(0) : null;
            var filter = _filterGrad ? null : context.Input(1);
            var dOut = context.Input(2);
            var data = _filterGrad ? input! : filter!;
            if (dOut.DType != DataType.DtFloat || data.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, dOut.DType != DataType.DtFloat ? dOut.DType : data.DType);
            var inShape = _filterGrad ? input!.Shape : new TensorShape(sizes);
            var fShape = _filterGrad ? new TensorShape(sizes) : filter!.Shape;
            if (inShape.Rank != 4 || fShape.Rank != 4 || dOut.Shape.Rank != 4)
                throw Error($"input {inShape}, filter {fShape} and out_backprop {dOut.Shape} must all be rank 4.");
            var (n, h, w, c) = Layout.Dims(inShape, _nchw);
            int kh = fShape[0], kw = fShape[1], mult = fShape[3];
            if (fShape[2] != c) throw Error($"input depth {c} must equal filter in_depth {fShape[2]} (input {inShape}, filter {fShape}).");
            Window2D g;
            try { g = Window2D.Create(n, h, w, c, kh, kw, _sh, _sw, _dh, _dw, _padding, _explicit); }
            catch (ArgumentException e) { throw Error(e.Message + $" (input {inShape}, filter {fShape})."); }
            int oc = c * mult;
            var expected = Layout.Shape(n, g.OH, g.OW, oc, _nchw);
            if (dOut.Shape != expected) throw Error($"out_backprop has shape {dOut.Shape}, expected {expected} (input {inShape}, filter {fShape}).");

            var result = context.AllocateOutput(0, DataType.DtFloat, _filterGrad ? fShape : inShape);
            if (result.NumElements == 0) return;
            float[]? xBuf = null, gBuf = null, rBuf = null;
            try
            {
                ReadOnlySpan<float> dy = dOut.AsSpan<float>();
                ReadOnlySpan<float> x = _filterGrad ? input!.AsSpan<float>() : default;
                if (_nchw)
                {
                    gBuf = ArrayPool<float>.Shared.Rent((int)dOut.NumElements);
                    Layout.NchwToNhwc<float>(dy, gBuf.AsSpan(0, (int)dOut.NumElements), n, oc, g.OH * g.OW);
                    dy = gBuf.AsSpan(0, (int)dOut.NumElements);
                    if (_filterGrad)
                    {
                        xBuf = ArrayPool<float>.Shared.Rent((int)input!.NumElements);
                        Layout.NchwToNhwc<float>(x, xBuf.AsSpan(0, (int)input.NumElements), n, c, h * w);
                        x = xBuf.AsSpan(0, (int)input.NumElements);
                    }
                }
                if (_filterGrad) FilterGrad(g, mult, x, dy, result.AsSpan<float>());
                else if (!_nchw) InputGrad(g, mult, filter!.AsSpan<float>(), dy, result.AsSpan<float>());
                else
                {
                    rBuf = ArrayPool<float>.Shared.Rent((int)result.NumElements);
                    var r = rBuf.AsSpan(0, (int)result.NumElements);
                    InputGrad(g, mult, filter!.AsSpan<float>(), dy, r);
                    Layout.NhwcToNchw<float>(r, result.AsSpan<float>(), n, c, h * w);
                }
            }
            finally
            {
                if (xBuf != null) ArrayPool<float>.Shared.Return(xBuf);
                if (gBuf != null) ArrayPool<float>.Shared.Return(gBuf);
                if (rBuf != null) ArrayPool<float>.Shared.Return(rBuf);
            }
        }
    }

    /// <summary>
    /// dInput (NHWC) of a depthwise conv with geometry <paramref name="g"/>. At stride 1 with multiplier 1 it is itself a
    /// forward depthwise conv — of dOut with each channel's window rotated by 180°, padded (KH−1)·DH − PT before and
    /// H − OH + PT after (likewise for width) — and runs on the forward kernel's register blocks. Otherwise each input
    /// pixel gathers the dOut pixels whose windows cover it (no scatter, so rows split across cores without races).
    /// </summary>
    internal static unsafe void InputGrad(Window2D g, int mult, ReadOnlySpan<float> filter, ReadOnlySpan<float> dOut, Span<float> dx)
    {
        if ((long)g.N * g.H * g.W * g.C == 0) return;
        if (g.OH == 0 || g.OW == 0 || g.KH == 0 || g.KW == 0)
        {
            dx.Clear();
            return;
        }
        if (mult == 1 && g.SH == 1 && g.SW == 1 && TryInputGradAsForward(g, filter, dOut, dx)) return;
        fixed (float* pf = filter, pg = dOut, pd = dx)
        {
            long perRow = Math.Max(1L, (long)g.W * g.C * mult * g.KH * g.KW);
            Workers.For((long)g.N * g.H, Math.Max(1, (1 << 15) / perRow), new GatherRows((nint)pf, (nint)pg, (nint)pd, g, mult),
                static (job, s, e) => job.Run(s, e));
        }
    }

    private static bool TryInputGradAsForward(Window2D g, ReadOnlySpan<float> filter, ReadOnlySpan<float> dOut, Span<float> dx)
    {
        int top = (g.KH - 1) * g.DH - g.PadTop, left = (g.KW - 1) * g.DW - g.PadLeft;
        int bottom = g.H - g.OH + g.PadTop, right = g.W - g.OW + g.PadLeft;
        if (top < 0 || left < 0 || bottom < 0 || right < 0) return false;
        Window2D back;
        try { back = Window2D.Create(g.N, g.OH, g.OW, g.C, g.KH, g.KW, 1, 1, g.DH, g.DW, PaddingKind.Explicit, (top, bottom, left, right)); }
        catch (ArgumentException) { return false; }
        if (back.OH != g.H || back.OW != g.W) return false;
        int taps = g.KH * g.KW, c = g.C;
        var rotated = ArrayPool<float>.Shared.Rent(taps * c);
        try
        {
            // rotated[KH−1−y, KW−1−x, c] = filter[y, x, c]: a tap's channel row moves as a whole.
            for (int t = 0; t < taps; t++) filter.Slice(t * c, c).CopyTo(rotated.AsSpan((taps - 1 - t) * c, c));
            DepthwiseConv2DKernel.Run(back, 1, dOut, rotated.AsSpan(0, taps * c), dx);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rotated);
        }
        return true;
    }

    /// <summary>Input rows [s, e) of the batch×H rows of dInput, each pixel gathering its covering dOut pixels.</summary>
    private readonly record struct GatherRows(nint Filter, nint DOut, nint DInput, Window2D G, int Mult)
    {
        public unsafe void Run(long s, long e)
        {
            var g = G;
            int oc = g.C * Mult;
            for (long r = s; r < e; r++)
            {
                int b = (int)(r / g.H), ih = (int)(r % g.H);
                float* drow = (float*)DInput + r * g.W * g.C;
                float* dy = (float*)DOut + (long)b * g.OH * g.OW * oc;
                int ch = 0;
                if (Mult == 1 && Use512 && g.C >= 16) ch = Gather<Lanes512, Vector512<float>>(g, ih, dy, (float*)Filter, drow, 0, g.C / 16 * 16);
                if (Mult == 1 && Use256 && g.C - ch >= 8) ch = Gather<Lanes256, Vector256<float>>(g, ih, dy, (float*)Filter, drow, ch, ch + (g.C - ch) / 8 * 8);
                for (int iw = 0; iw < g.W; iw++)
                    for (int c = ch; c < g.C; c++)
                    {
                        float acc = 0;
                        for (int ky = 0; ky < g.KH; ky++)
                        {
                            int t = ih + g.PadTop - ky * g.DH;
                            if (t < 0 || t % g.SH != 0 || t / g.SH >= g.OH) continue;
                            for (int kx = 0; kx < g.KW; kx++)
                            {
                                int u = iw + g.PadLeft - kx * g.DW;
                                if (u < 0 || u % g.SW != 0 || u / g.SW >= g.OW) continue;
                                float* gp = dy + ((long)(t / g.SH) * g.OW + u / g.SW) * oc + (long)c * Mult;
                                float* fp = (float*)Filter + ((long)(ky * g.KW + kx) * g.C + c) * Mult;
                                for (int m = 0; m < Mult; m++) acc = MathF.FusedMultiplyAdd(gp[m], fp[m], acc);
                            }
                        }
                        drow[(long)iw * g.C + c] = acc;
                    }
            }
        }
    }

    /// <summary>Channels [first, end) (whole vectors, M = 1) of one dInput row.</summary>
    private static unsafe int Gather<TL, TV>(in Window2D g, int ih, float* dy, float* filter, float* drow, int first, int end)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        long c = g.C;
        for (int iw = 0; iw < g.W; iw++)
            for (int ch = first; ch < end; ch += TL.Width)
            {
                var acc = TL.Zero;
                for (int ky = 0; ky < g.KH; ky++)
                {
                    int t = ih + g.PadTop - ky * g.DH;
                    if (t < 0 || t % g.SH != 0 || t / g.SH >= g.OH) continue;
                    float* grow = dy + (long)(t / g.SH) * g.OW * c + ch;
                    float* frow = filter + (long)ky * g.KW * c + ch;
                    for (int kx = 0; kx < g.KW; kx++)
                    {
                        int u = iw + g.PadLeft - kx * g.DW;
                        if (u < 0 || u % g.SW != 0 || u / g.SW >= g.OW) continue;
                        acc = TL.Fma(TL.Load(grow + (u / g.SW) * c), TL.Load(frow + kx * c), acc);
                    }
                }
                TL.Store(acc, drow + iw * c + ch);
            }
        return end;
    }

    /// <summary>
    /// dFilter (TF's [KH, KW, C, M]) of a depthwise conv with geometry <paramref name="g"/>: the batch×OH output rows are
    /// cut into one part per core, each summing into its own partial filter (per window tap, a vector of channels
    /// accumulates along the row in a register); the partials are then added in part order, so the result does not
    /// depend on which core ran which part.
    /// </summary>
    internal static unsafe void FilterGrad(Window2D g, int mult, ReadOnlySpan<float> input, ReadOnlySpan<float> dOut, Span<float> df)
    {
        df.Clear();
        long rows = (long)g.N * g.OH;
        if (rows == 0 || g.OW == 0 || (long)g.H * g.W == 0) return;
        int size = df.Length;
        long perRow = Math.Max(1L, (long)g.OW * g.C * mult * g.KH * g.KW);
        int parts = (int)Math.Clamp(rows * perRow / (1 << 15), 1, Math.Min(Workers.Count, rows));
        var partial = ArrayPool<float>.Shared.Rent(size * parts);
        try
        {
            Array.Clear(partial, 0, size * parts);
            fixed (float* pi = input, pg = dOut, pp = partial)
            {
                var job = new FilterParts((nint)pi, (nint)pg, (nint)pp, g, mult, rows, parts, size);
                Workers.For(parts, 1, job, static (j, s, e) => j.Run(s, e));
            }
            for (int p = 0; p < parts; p++)
                System.Numerics.Tensors.TensorPrimitives.Add(df, partial.AsSpan(p * size, size), df);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }
    }

    private readonly record struct FilterParts(nint Input, nint DOut, nint Partial, Window2D G, int Mult, long Rows, int Parts, int Size)
    {
        public unsafe void Run(long s, long e)
        {
            var g = G;
            int oc = g.C * Mult;
            for (long p = s; p < e; p++)
            {
                float* df = (float*)Partial + p * Size;
                long r0 = Rows * p / Parts, r1 = Rows * (p + 1) / Parts;
                for (long r = r0; r < r1; r++)
                {
                    int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                    float* image = (float*)Input + (long)b * g.H * g.W * g.C;
                    float* dy = (float*)DOut + r * g.OW * oc;
                    int ch = 0;
                    if (Mult == 1 && Use512 && g.C >= 16) ch = FilterRow<Lanes512, Vector512<float>>(g, oh, image, dy, df, 0, g.C / 16 * 16);
                    if (Mult == 1 && Use256 && g.C - ch >= 8) ch = FilterRow<Lanes256, Vector256<float>>(g, oh, image, dy, df, ch, ch + (g.C - ch) / 8 * 8);
                    if (ch < g.C) FilterRowScalar(g, Mult, oh, image, dy, df, ch);
                }
            }
        }
    }

    /// <summary>
    /// One output row's contribution to channels [first, end) (whole vectors, M = 1) of dFilter: for each tap inside the
    /// image, the output columns whose input column is inside too ([owLo, owHi), computed once — no per-pixel checks)
    /// accumulate x·dy in two registers, added to the partial filter once per tap.
    /// </summary>
    private static unsafe int FilterRow<TL, TV>(in Window2D g, int oh, float* image, float* dy, float* df, int first, int end)
        where TL : struct, IFloatLanes<TV> where TV : struct
    {
        long c = g.C, step = (long)g.SW * g.C;
        for (int ky = 0; ky < g.KH; ky++)
        {
            int ih = oh * g.SH - g.PadTop + ky * g.DH;
            if ((uint)ih >= (uint)g.H) continue;
            float* xrow = image + (long)ih * g.W * c;
            for (int kx = 0; kx < g.KW; kx++)
            {
                int off = kx * g.DW - g.PadLeft;
                var (owLo, owHi) = CoveredColumns(g, off);
                if (owLo >= owHi) continue;
                float* dft = df + (long)(ky * g.KW + kx) * c;
                for (int ch = first; ch < end; ch += TL.Width)
                {
                    TV a0 = TL.Zero, a1 = TL.Zero;
                    float* xp = xrow + ((long)owLo * g.SW + off) * c + ch;
                    float* gp = dy + (long)owLo * c + ch;
                    int ow = owLo;
                    for (; ow + 2 <= owHi; ow += 2, xp += 2 * step, gp += 2 * c)
                    {
                        a0 = TL.Fma(TL.Load(xp), TL.Load(gp), a0);
                        a1 = TL.Fma(TL.Load(xp + step), TL.Load(gp + c), a1);
                    }
                    if (ow < owHi) a0 = TL.Fma(TL.Load(xp), TL.Load(gp), a0);
                    TL.Store(TL.Add(TL.Load(dft + ch), TL.Add(a0, a1)), dft + ch);
                }
            }
        }
        return end;
    }

    /// <summary>Output columns [lo, hi) whose input column ow·SW + <paramref name="off"/> lies inside the image.</summary>
    private static (int Lo, int Hi) CoveredColumns(in Window2D g, int off)
    {
        int lo = off >= 0 ? 0 : (-off + g.SW - 1) / g.SW;
        long last = (long)g.W - 1 - off;
        int hi = last < 0 ? 0 : (int)Math.Min(g.OW, last / g.SW + 1);
        return (Math.Min(lo, g.OW), hi);
    }

    /// <summary>Channels [first, C) of one output row's dFilter contribution, any multiplier, one value at a time.</summary>
    private static unsafe void FilterRowScalar(in Window2D g, int mult, int oh, float* image, float* dy, float* df, int first)
    {
        int oc = g.C * mult;
        for (int ky = 0; ky < g.KH; ky++)
        {
            int ih = oh * g.SH - g.PadTop + ky * g.DH;
            if ((uint)ih >= (uint)g.H) continue;
            float* xrow = image + (long)ih * g.W * g.C;
            for (int kx = 0; kx < g.KW; kx++)
            {
                int off = kx * g.DW - g.PadLeft;
                var (owLo, owHi) = CoveredColumns(g, off);
                float* dft = df + (long)(ky * g.KW + kx) * oc;
                for (int c = first; c < g.C; c++)
                    for (int m = 0; m < mult; m++)
                    {
                        float acc = 0;
                        for (int ow = owLo; ow < owHi; ow++)
                            acc = MathF.FusedMultiplyAdd(xrow[((long)ow * g.SW + off) * g.C + c], dy[(long)ow * oc + c * mult + m], acc);
                        dft[c * mult + m] += acc;
                    }
            }
        }
    }
}
