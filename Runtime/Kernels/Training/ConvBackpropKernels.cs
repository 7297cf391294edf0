using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// Conv2DBackpropInput and Conv2DBackpropFilter (NHWC, float), by im2col/col2im around
/// <see cref="Gemm.Sgemm"/>: for each image, <c>col</c> is the [OH·OW, KH·KW·IC] patch matrix of the forward
/// conv, so dFilter += colᵀ·dOut and dCol = dOut·Fᵀ, scattered back into dInput. Padding and dilation follow
/// TF's SAME/VALID/EXPLICIT arithmetic (<see cref="Padding"/>); EXPLICIT reads <c>explicit_paddings</c> exactly as
/// the forward <see cref="Conv2DKernel"/> does (TF's conv_grad_input_ops.cc / conv_grad_filter_ops.cc pass them to
/// ConvBackpropComputeDimensionsV2).
/// </summary>
internal sealed class ConvBackpropKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Conv2DBackpropInput", n => new ConvBackpropKernel(n, filterGrad: false));
        registry.Add("Conv2DBackpropFilter", n => new ConvBackpropKernel(n, filterGrad: true));
    }

    private sealed class ConvBackpropKernel : OpKernel
    {
        private readonly bool _filterGrad;
        private readonly int _sh, _sw, _dh, _dw;
        private readonly PaddingKind _padding;
        private readonly (int, int, int, int) _explicit;

        public ConvBackpropKernel(Node node, bool filterGrad) : base(node)
        {
            _filterGrad = filterGrad;
            if (KernelAttrs.IsNchw(node)) throw Error("only data_format NHWC is supported.");
            var s = KernelAttrs.Quad(node, "strides", false);
            var d = KernelAttrs.Quad(node, "dilations", false, [1, 1, 1, 1]);
            if (s.N != 1 || s.C != 1) throw Error("strides in the batch and depth dims must be 1.");
            (_sh, _sw, _dh, _dw) = (s.H, s.W, d.H, d.W);
            _padding = KernelAttrs.PaddingOf(node);
            _explicit = Conv2DKernel.ExplicitPads(node, _padding, nchw: false);
        }

        public override void Compute(OpKernelContext context)
        {
            var sizes = ReadShape(context.Input(_filterGrad ? 1 : 0));
            var input = _filterGrad ? context.Input(0) : null;
            var filter = _filterGrad ? null : context.Input(1);
            var dOut = context.Input(2);
            if (dOut.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, dOut.DType);
            var inShape = _filterGrad ? input!.Shape : new TensorShape(sizes);
            var fShape = _filterGrad ? new TensorShape(sizes) : filter!.Shape;
            if (inShape.Rank != 4 || fShape.Rank != 4 || dOut.Shape.Rank != 4) throw Error($"input {inShape}, filter {fShape} and out_backprop {dOut.Shape} must all be rank 4.");
            int n = inShape[0], ih = inShape[1], iw = inShape[2], ic = inShape[3];
            int kh = fShape[0], kw = fShape[1], oc = fShape[3];
            if (fShape[2] != ic) throw Error($"filter in-depth {fShape[2]} does not match input depth {ic}.");
            Window2D geo;
            try { geo = Window2D.Create(n, ih, iw, ic, kh, kw, _sh, _sw, _dh, _dw, _padding, _explicit); }
            catch (ArgumentException e) { throw Error(e.Message + $" (input {inShape}, filter {fShape})."); }
            int oh = geo.OH, ow = geo.OW;
            if (dOut.Shape != new TensorShape(n, oh, ow, oc)) throw Error($"out_backprop has shape {dOut.Shape}, expected [{n}, {oh}, {ow}, {oc}].");
            int rows = oh * ow, cols = kh * kw * ic;
            var col = new float[(long)rows * cols];
            var g = dOut.AsSpan<float>();
            if (_filterGrad)
            {
                var df = context.AllocateOutput(0, DataType.DtFloat, fShape);
                df.AsSpan<float>().Clear();
                var x = input!.AsSpan<float>();
                for (int b = 0; b < n; b++)
                {
                    // The forward conv's im2col over image b's rows (it divides by OW, hence the guard for an empty output).
                    if (rows > 0) Conv2DKernel.Im2Col(geo, x, (long)b * rows, rows, col);
                    Gemm.Sgemm(true, false, cols, oc, rows, col, g.Slice(b * rows * oc, rows * oc), df.AsSpan<float>(), accumulate: true);
                }
            }
            else
            {
                var dx = context.AllocateOutput(0, DataType.DtFloat, inShape);
                dx.AsSpan<float>().Clear();
                var f = filter!.AsSpan<float>();
                for (int b = 0; b < n; b++)
                {
                    Gemm.Sgemm(false, true, rows, cols, oc, g.Slice(b * rows * oc, rows * oc), f, col);
                    Col2Im(col, dx.AsSpan<float>().Slice(b * ih * iw * ic, ih * iw * ic), geo);
                }
            }
        }

        private int[] ReadShape(Tensor t)
        {
            if (t.NumElements != 4) throw Error($"the sizes input must have 4 elements, got shape {t.Shape}.");
            return t.DType == DataType.DtInt64 ? t.ToArray<long>().Select(v => (int)v).ToArray() : t.ToArray<int>();
        }
    }

    // The adjoint of Conv2DKernel.Im2Col (one image, columns in filter order kh, kw, ic): every column entry is added back to the input pixel it was read from.
    private static void Col2Im(ReadOnlySpan<float> col, Span<float> dx, Window2D g)
    {
        int idx = 0;
        for (int oy = 0; oy < g.OH; oy++)
            for (int ox = 0; ox < g.OW; ox++)
                for (int ky = 0; ky < g.KH; ky++)
                {
                    int iy = oy * g.SH - g.PadTop + ky * g.DH;
                    for (int kx = 0; kx < g.KW; kx++)
                    {
                        int ix = ox * g.SW - g.PadLeft + kx * g.DW;
                        if (iy >= 0 && iy < g.H && ix >= 0 && ix < g.W)
                        {
                            var dst = dx.Slice((iy * g.W + ix) * g.C, g.C);
                            var src = col.Slice(idx, g.C);
                            for (int c = 0; c < g.C; c++) dst[c] += src[c];
                        }
                        idx += g.C;
                    }
                }
    }
}
