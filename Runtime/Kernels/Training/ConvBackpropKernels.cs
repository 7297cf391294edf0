using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// Conv2DBackpropInput and Conv2DBackpropFilter (NHWC, float). With few input channels the filter gradient runs
/// <see cref="DirectConvFilterGrad"/> (no patch matrix); otherwise dFilter += colᵀ·dOut with <c>col</c> the
/// [OH·OW, KH·KW·IC] im2col patch matrix of the forward conv (several images per GEMM). dInput at stride 1 is a
/// forward conv of dOut with the rotated filter (no patch matrix); strided, it is dCol = dOut·Fᵀ scattered back by col2im. Padding and dilation follow
/// TF's SAME/VALID/EXPLICIT arithmetic (<see cref="Padding"/>); EXPLICIT reads <c>explicit_paddings</c> exactly as
/// the forward <see cref="Conv2DKernel"/> does (TF's conv_grad_input_ops.cc / conv_grad_filter_ops.cc pass them to
/// ConvBackpropComputeDimensionsV2).
/// </summary>
internal sealed class ConvBackpropKernels : KernelSet
{
    /// <summary>Probes only: false runs the filter gradient's im2col on the calling thread (the pre-session-7 way), for A/B runs.</summary>
    internal static bool ParallelIm2Col { get; set; } = true;

    /// <summary>Tests and probes: false sends every filter gradient through im2col + GEMM (for A/B and cross-checks).</summary>
    internal static bool DirectFilterGrad { get; set; } = true;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Conv2DBackpropInput", n => new ConvBackpropKernel(n, filterGrad: false));
        registry.Add("Conv2DBackpropFilter", n => new ConvBackpropKernel(n, filterGrad: true));
    }

    /// <summary>Whether the filter gradient is formed as dFᵀ = dOutᵀ·col (OC narrower than the KH·KW·C patch) instead of colᵀ·dOut.</summary>
    internal static bool FilterGradTransposed(int patch, int oc) => oc < patch;

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
            var g = dOut.AsSpan<float>();
            if (_filterGrad)
            {
                var df = context.AllocateOutput(0, DataType.DtFloat, fShape);
                df.AsSpan<float>().Clear();
                if (rows == 0 || n == 0) return;
                if (DirectFilterGrad && DirectConvFilterGrad.Applies(geo, oc)) DirectConvFilterGrad.Run(geo, oc, input!.AsSpan<float>(), g, df.AsSpan<float>());
                else if (DirectFilterGrad && ThinConvFilterGrad.Applies(geo, oc)) ThinConvFilterGrad.Run(geo, oc, input!.AsSpan<float>(), g, df.AsSpan<float>());
                else FilterGrad(geo, oc, input!.AsSpan<float>(), g, df.AsSpan<float>());
            }
            else
            {
                var dx = context.AllocateOutput(0, DataType.DtFloat, inShape);
                if (TryInputGradAsConv(geo, oc, filter!.AsSpan<float>(), g, dx.AsSpan<float>())) return;
                dx.AsSpan<float>().Clear();
                var f = filter!.AsSpan<float>();
                var col = new float[(long)rows * cols];
                for (int b = 0; b < n; b++)
                {
                    Gemm.Sgemm(false, true, rows, cols, oc, g.Slice(b * rows * oc, rows * oc), f, col);
                    Col2Im(col, dx.AsSpan<float>().Slice(b * ih * iw * ic, ih * iw * ic), geo);
                }
            }
        }

        /// <summary>
        /// Stride 1: the input gradient is itself a forward convolution — of dOut with the filter rotated by 180° and its
        /// in/out channels swapped, padded by (KH−1)·DH − top before and IH − OH + top after (likewise for width) — so it
        /// runs on the forward conv's direct / implicit-GEMM / im2col choice instead of a GEMM into a patch matrix plus a
        /// col2im scatter. Returns false (strided convs) to use the col2im path.
        /// </summary>
        private static bool TryInputGradAsConv(Window2D geo, int oc, ReadOnlySpan<float> filter, ReadOnlySpan<float> dOut, Span<float> dx)
        {
            if (geo.SH != 1 || geo.SW != 1) return false;
            int top = (geo.KH - 1) * geo.DH - geo.PadTop, left = (geo.KW - 1) * geo.DW - geo.PadLeft;
            int bottom = geo.H - geo.OH + geo.PadTop, right = geo.W - geo.OW + geo.PadLeft;
            if (top < 0 || left < 0 || bottom < 0 || right < 0) return false;
            if ((long)geo.N * geo.H * geo.W * geo.C == 0) return true;
            Window2D back;
            try { back = Window2D.Create(geo.N, geo.OH, geo.OW, oc, geo.KH, geo.KW, 1, 1, geo.DH, geo.DW, PaddingKind.Explicit, (top, bottom, left, right)); }
            catch (ArgumentException) { return false; }
            if (back.OH != geo.H || back.OW != geo.W) return false;
            int ic = geo.C;
            var rotated = System.Buffers.ArrayPool<float>.Shared.Rent(filter.Length);
            try
            {
                // rotated[kh−1−y, kw−1−x, o, i] = filter[y, x, i, o]
                for (int y = 0; y < geo.KH; y++)
                    for (int x = 0; x < geo.KW; x++)
                    {
                        int src = (y * geo.KW + x) * ic * oc, dst = ((geo.KH - 1 - y) * geo.KW + (geo.KW - 1 - x)) * oc * ic;
                        for (int i = 0; i < ic; i++)
                            for (int o = 0; o < oc; o++) rotated[dst + o * ic + i] = filter[src + i * oc + o];
                    }
                if (geo.OH * geo.OW == 0) dx.Clear();
                else Conv2DKernel.Run(back, ic, dOut, rotated.AsSpan(0, filter.Length), dx);
            }
            finally { System.Buffers.ArrayPool<float>.Shared.Return(rotated); }
            return true;
        }

        /// <summary>
        /// dFilter = Σ over images of colᵀ·dOut, with the im2col rows of several images in one block (≤ 4 MiB) so that
        /// each block is one GEMM with a deep k (its rows), not one small GEMM and one fork/join per image. The GEMM's
        /// A operand is transposed (k = the block's rows runs down its columns), and the shared GEMM packs a transposed A
        /// one value at a time; so when OC is narrower than the patch (the usual case: 5×5×6 = 150 columns against 16
        /// output channels) the product is formed the other way round, dFᵀ[OC, patch] = dOutᵀ·col: the transposed
        /// operand is then dOut (OC·rows values instead of patch·rows), col is B (packed by contiguous copies), and
        /// the GEMM's 32-wide tiles run along the wide patch dimension instead of a 16-wide OC (half of each tile
        /// wasted). dFᵀ is summed over the blocks and added to dF transposed once at the end.
        /// </summary>
        private static void FilterGrad(Window2D geo, int oc, ReadOnlySpan<float> x, ReadOnlySpan<float> dOut, Span<float> df)
        {
            int rows = geo.OH * geo.OW, cols = geo.KH * geo.KW * geo.C;
            int perBlock = (int)Math.Clamp((1L << 20) / Math.Max(1L, (long)rows * cols), 1, geo.N);
            bool transposed = FilterGradTransposed(cols, oc);
            var col = System.Buffers.ArrayPool<float>.Shared.Rent((int)((long)perBlock * rows * cols));
            var dft = transposed ? System.Buffers.ArrayPool<float>.Shared.Rent(cols * oc) : null;
            try
            {
                for (int b0 = 0; b0 < geo.N; b0 += perBlock)
                {
                    int count = Math.Min(perBlock, geo.N - b0);
                    long blockRows = (long)count * rows;
                    if (ParallelIm2Col) Im2ColParallel(geo, x, (long)b0 * rows, (int)blockRows, cols, col);
                    else Conv2DKernel.Im2Col(geo, x, (long)b0 * rows, (int)blockRows, col);
                    var g = dOut.Slice(b0 * rows * oc, (int)blockRows * oc);
                    if (transposed) Gemm.Sgemm(true, false, oc, cols, (int)blockRows, g, col, dft, accumulate: b0 > 0);
                    else Gemm.Sgemm(true, false, cols, oc, (int)blockRows, col, g, df, accumulate: true);
                }
                if (transposed)
                    for (int o = 0; o < oc; o++)
                        for (int j = 0; j < cols; j++) df[j * oc + o] += dft![o * cols + j];
            }
            finally
            {
                System.Buffers.ArrayPool<float>.Shared.Return(col);
                if (dft != null) System.Buffers.ArrayPool<float>.Shared.Return(dft);
            }
        }

        /// <summary>
        /// <see cref="Conv2DKernel.Im2Col"/> of rows [r0, r0 + count) split across the cores: the block is up to 4 MiB of
        /// patch rows (written once, read once by the GEMM), and on one core this copy took about as long as the GEMM.
        /// </summary>
        private static unsafe void Im2ColParallel(Window2D geo, ReadOnlySpan<float> x, long r0, int count, int cols, Span<float> col)
        {
            fixed (float* px = x, pc = col)
            {
                var job = (geo, (nint)px, x.Length, (nint)pc, col.Length, r0, cols);
                // A chunk of at least 256 rows (a few KiB to tens of KiB of patches) per hand-off.
                Workers.For(count, 256, job, static (j, s, e) =>
                {
                    var src = new ReadOnlySpan<float>((float*)j.Item2, j.Item3);
                    var dst = new Span<float>((float*)j.Item4, j.Item5).Slice((int)(s * j.cols), (int)((e - s) * j.cols));
                    Conv2DKernel.Im2Col(j.geo, src, j.r0 + s, (int)(e - s), dst);
                });
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
