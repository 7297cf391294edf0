using System.Buffers;
using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// DepthwiseConv2dNative: filter [KH,KW,C,M]; output channel c·M+m = Σ input[…, c]·filter[kh,kw,c,m].
/// Direct NHWC loops (NCHW transposed); with M = 1 each window step is one vectorized multiply-add over
/// the channel row.
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
            nint ii = (nint)pi, fi = (nint)pf, oi = (nint)po;
            int inLen = input.Length, fLen = filter.Length, outLen = output.Length;
            int oc = g.C * mult;
            Workers.For((long)g.N * g.OH, Math.Max(1, 4096 / Math.Max(1, g.OW * oc)), (s, e) =>
            {
                var src = new ReadOnlySpan<float>((float*)ii, inLen);
                var flt = new ReadOnlySpan<float>((float*)fi, fLen);
                var dst = new Span<float>((float*)oi, outLen);
                for (long r = s; r < e; r++)
                {
                    int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        var o = dst.Slice((int)((r * g.OW + ow) * oc), oc);
                        o.Clear();
                        for (int y = 0; y < g.KH; y++)
                        {
                            int ih = oh * g.SH - g.PadTop + y * g.DH;
                            if ((uint)ih >= (uint)g.H) continue;
                            for (int x = 0; x < g.KW; x++)
                            {
                                int iw = ow * g.SW - g.PadLeft + x * g.DW;
                                if ((uint)iw >= (uint)g.W) continue;
                                var cell = src.Slice(((b * g.H + ih) * g.W + iw) * g.C, g.C);
                                var f = flt.Slice((y * g.KW + x) * oc, oc);
                                if (mult == 1) TensorPrimitives.MultiplyAdd(cell, f, o, o);
                                else
                                    for (int ch = 0; ch < g.C; ch++)
                                        for (int m = 0; m < mult; m++) o[ch * mult + m] += cell[ch] * f[ch * mult + m];
                            }
                        }
                    }
                }
            });
        }
    }
}
