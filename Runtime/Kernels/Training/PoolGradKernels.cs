using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// MaxPoolGrad (the gradient goes to the first maximum of each window, in row-major window order, as TF's CPU
/// kernel; overlapping windows accumulate), AvgPoolGrad (each output gradient is spread evenly over the
/// window's in-bounds inputs — TF's average excludes padding) and MaxPoolGradGrad (inputs orig_input, orig_output and a
/// gradient shaped like orig_input; each output cell takes that gradient at the first window cell, in row-major order,
/// whose input equals the pooled output exactly, 0 when none does — maxpooling_op.cc
/// <c>MaxPoolingGradGradOp::SpatialMaxPoolGradGrad</c>). NHWC, float.
/// </summary>
internal sealed class PoolGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MaxPoolGrad", n => new PoolGradKernel(n, Mode.MaxGrad));
        registry.Add("AvgPoolGrad", n => new PoolGradKernel(n, Mode.AvgGrad));
        registry.Add("MaxPoolGradGrad", n => new PoolGradKernel(n, Mode.MaxGradGrad));
    }

    private enum Mode { MaxGrad, AvgGrad, MaxGradGrad }

    private sealed class PoolGradKernel : OpKernel
    {
        private readonly Mode _mode;
        private readonly bool _max;
        private readonly int _kh, _kw, _sh, _sw;
        private readonly PaddingKind _padding;

        public PoolGradKernel(Node node, Mode mode) : base(node)
        {
            _mode = mode;
            _max = mode != Mode.AvgGrad;
            if (KernelAttrs.IsNchw(node)) throw Error("only data_format NHWC is supported.");
            var k = KernelAttrs.Quad(node, "ksize", false);
            var s = KernelAttrs.Quad(node, "strides", false);
            if (k.N != 1 || k.C != 1 || s.N != 1 || s.C != 1) throw Error("pooling over the batch or depth dim is not supported.");
            (_kh, _kw, _sh, _sw) = (k.H, k.W, s.H, s.W);
            _padding = KernelAttrs.PaddingOf(node);
        }

        public override void Compute(OpKernelContext context)
        {
            Tensor? x = null;
            TensorShape inShape;
            if (_max)
            {
                x = context.Input(0);
                inShape = x.Shape;
            }
            else
            {
                var s = context.Input(0);
                inShape = new TensorShape(s.DType == DataType.DtInt64 ? s.ToArray<long>().Select(v => (int)v).ToArray() : s.ToArray<int>());
            }
            var grad = context.Input(_max ? 2 : 1);
            if (grad.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, grad.DType);
            if (inShape.Rank != 4) throw Error($"the input must be rank 4, got {inShape}.");
            int n = inShape[0], ih = inShape[1], iw = inShape[2], c = inShape[3];
            int pt = 0, pb = 0, pl = 0, pr = 0;
            int oh = Padding.OutputSize(ih, _kh, 1, _sh, _padding, ref pt, ref pb);
            int ow = Padding.OutputSize(iw, _kw, 1, _sw, _padding, ref pl, ref pr);
            if (_mode == Mode.MaxGradGrad)
            {
                GradGrad(context, x!, grad, (oh, ow, pt, pl));
                return;
            }
            if (grad.Shape != new TensorShape(n, oh, ow, c)) throw Error($"grad has shape {grad.Shape}, expected [{n}, {oh}, {ow}, {c}].");
            var dx = context.AllocateOutput(0, DataType.DtFloat, inShape);
            // One image per part: an image's window cells are its own, so parts never write the same element; each part
            // clears its own images first (no serial pass over the whole gradient).
            var geometry = new Geometry(ih, iw, c, oh, ow, pt, pl, _kh, _kw, _sh, _sw);
            Workers.For(n, 1, (Max: _max, geometry, x, grad, dx), static (st, first, last) =>
            {
                long image = (long)st.geometry.Ih * st.geometry.Iw * st.geometry.C;
                // Windows that tile the input exactly once write every cell of dx (the vector path stores zeros where a cell
                // did not win), so only the other cases start from a cleared gradient.
                if (!(st.Max && Vector512.IsHardwareAccelerated && Tiles(st.geometry)))
                    st.dx.AsSpan<float>().Slice((int)(first * image), (int)((last - first) * image)).Clear();
                for (long b = first; b < last; b++)
                    if (st.Max && Vector512.IsHardwareAccelerated) MaxGradImageVectors(st.geometry, st.x!.AsSpan<float>(), st.grad.AsSpan<float>(), st.dx.AsSpan<float>(), (int)b);
                    else if (st.Max) MaxGradImage(st.geometry, st.x!.AsSpan<float>(), st.grad.AsSpan<float>(), st.dx.AsSpan<float>(), (int)b);
                    else AvgGradImage(st.geometry, st.grad.AsSpan<float>(), st.dx.AsSpan<float>(), (int)b);
            });
        }

        private readonly record struct Geometry(int Ih, int Iw, int C, int Oh, int Ow, int Pt, int Pl, int Kh, int Kw, int Sh, int Sw);

        // Each output pixel's window is scanned cell by cell (rows, then columns) with all channels of a cell side by
        // side; a channel's maximum is the first cell holding its largest value (a later cell must be strictly greater,
        // and a NaN in the first cell stays), and its gradient goes there.
        private static void MaxGradImage(Geometry q, ReadOnlySpan<float> xv, ReadOnlySpan<float> g, Span<float> d, int b)
        {
            int c = q.C;
            float[]? rented = c > 512 ? System.Buffers.ArrayPool<float>.Shared.Rent(c) : null;
            int[]? rentedAt = c > 512 ? System.Buffers.ArrayPool<int>.Shared.Rent(c) : null;
            Span<float> bestV = rented ?? stackalloc float[c];
            Span<int> bestAt = rentedAt ?? stackalloc int[c];
            try
            {
                for (int oy = 0; oy < q.Oh; oy++)
                {
                    int y0 = Math.Max(oy * q.Sh - q.Pt, 0), y1 = Math.Min(oy * q.Sh - q.Pt + q.Kh, q.Ih);
                    for (int ox = 0; ox < q.Ow; ox++)
                    {
                        int x0 = Math.Max(ox * q.Sw - q.Pl, 0), x1 = Math.Min(ox * q.Sw - q.Pl + q.Kw, q.Iw);
                        if (y0 >= y1 || x0 >= x1) continue; // a window wholly in the padding has no cell to take the gradient
                        bool firstCell = true;
                        for (int yy = y0; yy < y1; yy++)
                            for (int xx = x0; xx < x1; xx++)
                            {
                                int cell = ((b * q.Ih + yy) * q.Iw + xx) * c;
                                var xs = xv.Slice(cell, c);
                                if (firstCell)
                                {
                                    xs.CopyTo(bestV);
                                    for (int ch = 0; ch < c; ch++) bestAt[ch] = cell + ch;
                                    firstCell = false;
                                    continue;
                                }
                                for (int ch = 0; ch < c; ch++)
                                    if (xs[ch] > bestV[ch]) { bestV[ch] = xs[ch]; bestAt[ch] = cell + ch; }
                            }
                        var gs = g.Slice(((b * q.Oh + oy) * q.Ow + ox) * c, c);
                        for (int ch = 0; ch < c; ch++) d[bestAt[ch]] += gs[ch];
                    }
                }
            }
            finally
            {
                if (rented != null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
                if (rentedAt != null) System.Buffers.ArrayPool<int>.Shared.Return(rentedAt);
            }
        }

        // Whether the windows cover every input cell exactly once: stride equal to the window, the first window starting
        // inside it (padding before smaller than the window) and the last reaching the input's end (a LeNet's 2×2/2 SAME pools).
        private static bool Tiles(Geometry q)
            => q.Sh == q.Kh && q.Sw == q.Kw && q.Pt < q.Kh && q.Pl < q.Kw && (long)q.Oh * q.Sh - q.Pt >= q.Ih && (long)q.Ow * q.Sw - q.Pl >= q.Iw;

        // MaxGradImage with the channels in Vector512s (a last masked block when C is not a whole number of vectors): the
        // window's cells are compared in the same row-major order, a later cell replacing the best only where it is
        // strictly greater (so a NaN or a tie keeps the earlier cell, as the scalar scan does), the winning cell's number
        // kept per lane; then each cell adds the pixel's gradient in the lanes it won.
        private static unsafe void MaxGradImageVectors(Geometry q, ReadOnlySpan<float> xv, ReadOnlySpan<float> g, Span<float> d, int b)
        {
            int c = q.C, full = c / 16 * 16;
            var tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(c - full)).AsSingle();
            // Windows that tile the input (a LeNet's 2×2/2 SAME pools) store each cell once, no read-modify-write.
            bool tiles = Tiles(q);
            fixed (float* px = xv, pg = g, pd = d)
            {
                for (int oy = 0; oy < q.Oh; oy++)
                {
                    int y0 = Math.Max(oy * q.Sh - q.Pt, 0), y1 = Math.Min(oy * q.Sh - q.Pt + q.Kh, q.Ih);
                    for (int ox = 0; ox < q.Ow; ox++)
                    {
                        int x0 = Math.Max(ox * q.Sw - q.Pl, 0), x1 = Math.Min(ox * q.Sw - q.Pl + q.Kw, q.Iw);
                        if (y0 >= y1 || x0 >= x1) continue; // a window wholly in the padding has no cell to take the gradient
                        float* gp = pg + (long)((b * q.Oh + oy) * q.Ow + ox) * c;
                        long corner = ((long)(b * q.Ih + y0) * q.Iw + x0) * c, rowStep = (long)q.Iw * c;
                        for (int cb = 0; cb < c; cb += 16)
                        {
                            bool tail = cb == full;
                            var mask = tail ? tailMask : Vector512<float>.AllBitsSet;
                            float* first = px + corner + cb;
                            var best = tail ? Avx512F.MaskLoad(first, mask, Vector512<float>.Zero) : Vector512.Load(first);
                            var at = Vector512<int>.Zero;
                            int k = 0;
                            for (int yy = y0; yy < y1; yy++)
                            {
                                float* cell = px + corner + (yy - y0) * rowStep + cb;
                                for (int xx = x0; xx < x1; xx++, cell += c, k++)
                                {
                                    if (k == 0) continue;
                                    var v = tail ? Avx512F.MaskLoad(cell, mask, Vector512<float>.Zero) : Vector512.Load(cell);
                                    var greater = Vector512.GreaterThan(v, best);
                                    best = Vector512.ConditionalSelect(greater, v, best);
                                    at = Vector512.ConditionalSelect(greater.AsInt32(), Vector512.Create(k), at);
                                }
                            }
                            var gv = tail ? Avx512F.MaskLoad(gp + cb, mask, Vector512<float>.Zero) : Vector512.Load(gp + cb);
                            if (tiles)
                            {
                                // Each cell is in this window only and dx was not cleared: every cell gets the gradient in the
                                // lanes it won and zero in the others.
                                k = 0;
                                for (int yy = y0; yy < y1; yy++)
                                {
                                    float* cell = pd + corner + (yy - y0) * rowStep + cb;
                                    for (int xx = x0; xx < x1; xx++, cell += c, k++)
                                    {
                                        var value = Vector512.ConditionalSelect(Vector512.Equals(at, Vector512.Create(k)).AsSingle(), gv, Vector512<float>.Zero);
                                        if (tail) Avx512F.MaskStore(cell, mask, value);
                                        else value.Store(cell);
                                    }
                                }
                                continue;
                            }
                            k = 0;
                            for (int yy = y0; yy < y1; yy++)
                            {
                                float* cell = pd + corner + (yy - y0) * rowStep + cb;
                                for (int xx = x0; xx < x1; xx++, cell += c, k++)
                                {
                                    var won = Vector512.Equals(at, Vector512.Create(k)).AsSingle() & mask;
                                    if (won.AsInt32() == Vector512<int>.Zero) continue;
                                    Avx512F.MaskStore(cell, won, Avx512F.MaskLoad(cell, won, Vector512<float>.Zero) + gv);
                                }
                            }
                        }
                    }
                }
            }
        }

        // Each output pixel's gradient is shared equally by the cells of its window inside the input (TF's AvgPoolGrad
        // divides by the window's in-bounds size).
        private static void AvgGradImage(Geometry q, ReadOnlySpan<float> g, Span<float> d, int b)
        {
            int c = q.C;
            for (int oy = 0; oy < q.Oh; oy++)
            {
                int y0 = Math.Max(oy * q.Sh - q.Pt, 0), y1 = Math.Min(oy * q.Sh - q.Pt + q.Kh, q.Ih);
                for (int ox = 0; ox < q.Ow; ox++)
                {
                    int x0 = Math.Max(ox * q.Sw - q.Pl, 0), x1 = Math.Min(ox * q.Sw - q.Pl + q.Kw, q.Iw);
                    int count = (y1 - y0) * (x1 - x0);
                    if (count <= 0) continue;
                    var gs = g.Slice(((b * q.Oh + oy) * q.Ow + ox) * c, c);
                    for (int yy = y0; yy < y1; yy++)
                        for (int xx = x0; xx < x1; xx++)
                        {
                            var ds = d.Slice(((b * q.Ih + yy) * q.Iw + xx) * c, c);
                            for (int ch = 0; ch < c; ch++) ds[ch] += gs[ch] / count;
                        }
                }
            }
        }

        // MaxPoolGradGrad: out[o] = grad[first window cell whose input == output[o]], else 0.
        private void GradGrad(OpKernelContext context, Tensor x, Tensor grad, (int Oh, int Ow, int Pt, int Pl) plan)
        {
            var y = context.Input(1);
            int n = x.Shape[0], ih = x.Shape[1], iw = x.Shape[2], c = x.Shape[3];
            var outShape = new TensorShape(n, plan.Oh, plan.Ow, c);
            if (y.Shape != outShape) throw Error($"orig_output has shape {y.Shape}, expected {outShape}.");
            if (grad.Shape != x.Shape) throw Error($"grad has shape {grad.Shape}, expected the orig_input shape {x.Shape}.");
            if (x.DType != DataType.DtFloat || y.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, x.DType == DataType.DtFloat ? y.DType : x.DType);
            var result = context.AllocateOutput(0, DataType.DtFloat, outShape);
            var r = result.AsSpan<float>();
            r.Clear();
            var xv = x.AsSpan<float>();
            var yv = y.AsSpan<float>();
            var g = grad.AsSpan<float>();
            for (int b = 0; b < n; b++)
                for (int oy = 0; oy < plan.Oh; oy++)
                {
                    int y0 = Math.Max(oy * _sh - plan.Pt, 0), y1 = Math.Min(oy * _sh - plan.Pt + _kh, ih);
                    for (int ox = 0; ox < plan.Ow; ox++)
                    {
                        int x0 = Math.Max(ox * _sw - plan.Pl, 0), x1 = Math.Min(ox * _sw - plan.Pl + _kw, iw);
                        for (int ch = 0; ch < c; ch++)
                        {
                            int o = ((b * plan.Oh + oy) * plan.Ow + ox) * c + ch;
                            bool found = false;
                            for (int yy = y0; yy < y1 && !found; yy++)
                                for (int xx = x0; xx < x1 && !found; xx++)
                                {
                                    int at = ((b * ih + yy) * iw + xx) * c + ch;
                                    if (xv[at] == yv[o]) { r[o] = g[at]; found = true; }
                                }
                        }
                    }
                }
        }
    }
}
