using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// MaxPool, MaxPoolV2 (ksize/strides as inputs) and AvgPool, NHWC (NCHW transposed), SAME/VALID as TF.
/// Windows are clipped to the input, never padded with values: MaxPool ignores the padding and AvgPool
/// divides by the number of valid cells in each window, as TF does. Rows of channels are vectorized.
/// </summary>
internal sealed class PoolingKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MaxPool", n => new PoolKernel(n, max: true, v2: false));
        registry.Add("MaxPoolV2", n => new PoolKernel(n, max: true, v2: true));
        registry.Add("AvgPool", n => new PoolKernel(n, max: false, v2: false));
    }
}

/// <summary>One pooling node.</summary>
internal sealed class PoolKernel : OpKernel
{
    private readonly bool _max, _v2, _nchw;
    private readonly PaddingKind _padding;
    private readonly (int N, int H, int W, int C) _k, _s;

    public PoolKernel(Node node, bool max, bool v2) : base(node)
    {
        (_max, _v2) = (max, v2);
        _nchw = KernelAttrs.IsNchw(node);
        _padding = KernelAttrs.PaddingOf(node);
        if (_padding == PaddingKind.Explicit) throw Error("EXPLICIT padding is not supported for pooling.");
        if (!v2)
        {
            _k = KernelAttrs.Quad(node, "ksize", _nchw);
            _s = KernelAttrs.Quad(node, "strides", _nchw);
            Validate();
        }
    }

    private void Validate()
    {
        if (_k.N != 1 || _s.N != 1) throw Error("Pooling is not yet supported on the batch dimension.");
        if (_k.C != 1 || _s.C != 1) throw Error("Pooling over the depth dimension is not supported here (ksize and strides must be 1 in depth).");
        if (_k.H < 1 || _k.W < 1 || _s.H < 1 || _s.W < 1) throw Error("ksize and strides must be ≥ 1.");
    }

    public override void Compute(OpKernelContext context)
    {
        var input = context.Input(0);
        var (k, s) = (_k, _s);
        if (_v2)
        {
            var ks = context.Input(1).ToArray<int>();
            var ss = context.Input(2).ToArray<int>();
            if (ks.Length != 4 || ss.Length != 4) throw Error("ksize and strides inputs must have 4 elements.");
            k = _nchw ? (ks[0], ks[2], ks[3], ks[1]) : (ks[0], ks[1], ks[2], ks[3]);
            s = _nchw ? (ss[0], ss[2], ss[3], ss[1]) : (ss[0], ss[1], ss[2], ss[3]);
            if (k.N != 1 || s.N != 1 || k.C != 1 || s.C != 1 || k.H < 1 || k.W < 1 || s.H < 1 || s.W < 1)
                throw Error($"unsupported ksize {string.Join(",", ks)} / strides {string.Join(",", ss)}.");
        }
        if (input.Shape.Rank != 4) throw Error($"input must be 4-dimensional, got {input.Shape}.");
        var (n, h, w, c) = Layout.Dims(input.Shape, _nchw);
        Window2D g;
        try { g = Window2D.Create(n, h, w, c, k.H, k.W, s.H, s.W, 1, 1, _padding, default); }
        catch (ArgumentException e) { throw Error(e.Message + $" (input {input.Shape})."); }
        var output = context.AllocateOutput(0, input.DType, _nchw ? [n, c, g.OH, g.OW] : [n, g.OH, g.OW, c]);
        if (output.NumElements == 0) return;
        switch (input.DType)
        {
            case DataType.DtFloat: Dispatch<float>(g, input, output); break;
            case DataType.DtDouble: Dispatch<double>(g, input, output); break;
            case DataType.DtInt32 when _max: Dispatch<int>(g, input, output); break;
            case DataType.DtInt64 when _max: Dispatch<long>(g, input, output); break;
            default: throw KernelAttrs.BadType(Node, input.DType);
        }
    }

    private void Dispatch<T>(Window2D g, Tensor input, Tensor output) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        if (!_nchw)
        {
            Pool(g, _max, input.AsSpan<T>(), output.AsSpan<T>());
            return;
        }
        var inBuf = ArrayPool<T>.Shared.Rent((int)input.NumElements);
        var outBuf = ArrayPool<T>.Shared.Rent((int)output.NumElements);
        try
        {
            var xi = inBuf.AsSpan(0, (int)input.NumElements);
            var xo = outBuf.AsSpan(0, (int)output.NumElements);
            Layout.NchwToNhwc<T>(input.AsSpan<T>(), xi, g.N, g.C, g.H * g.W);
            Pool(g, _max, xi, xo);
            Layout.NhwcToNchw<T>(xo, output.AsSpan<T>(), g.N, g.C, g.OH * g.OW);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(inBuf);
            ArrayPool<T>.Shared.Return(outBuf);
        }
    }

    /// <summary>NHWC pooling; parallel over output rows (n, oh).</summary>
    internal static unsafe void Pool<T>(Window2D g, bool max, ReadOnlySpan<T> input, Span<T> output) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated)
        {
            PoolFloatVectors(g, max, MemoryMarshal.Cast<T, float>(input), MemoryMarshal.Cast<T, float>(output));
            return;
        }
        fixed (T* pi = input, po = output)
        {
            nint ii = (nint)pi, oi = (nint)po;
            int inLen = input.Length, outLen = output.Length;
            Workers.For((long)g.N * g.OH, Math.Max(1, 4096 / Math.Max(1, g.OW * g.C)), (s, e) =>
            {
                var src = new ReadOnlySpan<T>((T*)ii, inLen);
                var dst = new Span<T>((T*)oi, outLen);
                int c = g.C;
                // Max starts below every value: -inf for floats (an all-NaN-free window then gives its max).
                T lowest = typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity
                    : typeof(T) == typeof(double) ? (T)(object)double.NegativeInfinity : T.MinValue;
                for (long r = s; r < e; r++)
                {
                    int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                    int h0 = oh * g.SH - g.PadTop;
                    int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KH, g.H);
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int w0 = ow * g.SW - g.PadLeft;
                        int ws = Math.Max(w0, 0), we = Math.Min(w0 + g.KW, g.W);
                        var o = dst.Slice((int)((r * g.OW + ow) * c), c);
                        if (max) o.Fill(lowest);
                        else o.Clear();
                        for (int y = hs; y < he; y++)
                        {
                            var rowIn = src.Slice(((b * g.H + y) * g.W) * c, g.W * c);
                            for (int x = ws; x < we; x++)
                            {
                                var cell = rowIn.Slice(x * c, c);
                                if (max) TensorPrimitives.Max(o, cell, o);
                                else TensorPrimitives.Add(o, cell, o);
                            }
                        }
                        if (!max)
                        {
                            int count = (he - hs) * (we - ws);
                            if (count > 0) TensorPrimitives.Divide(o, T.CreateTruncating(count), o);
                        }
                    }
                }
            });
        }
    }

    /// <summary>
    /// Float pooling with Vector512s along the channels: each output pixel's channel block is kept in a register across
    /// its window (no per-cell calls), which matters for small windows over many pixels; a channel count that is not a
    /// whole number of vectors ends in a masked block (a LeNet's 6 channels: one block of 6 lanes), so nothing past the
    /// pixel is read or written.
    /// </summary>
    private static unsafe void PoolFloatVectors(Window2D g, bool max, ReadOnlySpan<float> input, Span<float> output)
    {
        fixed (float* pi = input, po = output)
        {
            Workers.For((long)g.N * g.OH, Math.Max(1, 4096 / Math.Max(1, g.OW * g.C)), (g, max, (nint)pi, (nint)po), static (st, s, e) =>
            {
                var (g, max, ii, oi) = st;
                float* src = (float*)ii, dst = (float*)oi;
                int c = g.C, full = c / 16 * 16;
                var tailMask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(c - full)).AsSingle();
                var start = max ? Vector512.Create(float.NegativeInfinity) : Vector512<float>.Zero;
                for (long r = s; r < e; r++)
                {
                    int b = (int)(r / g.OH), oh = (int)(r % g.OH);
                    int h0 = oh * g.SH - g.PadTop;
                    int hs = Math.Max(h0, 0), he = Math.Min(h0 + g.KH, g.H);
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int w0 = ow * g.SW - g.PadLeft;
                        int ws = Math.Max(w0, 0), we = Math.Min(w0 + g.KW, g.W);
                        float* o = dst + (r * g.OW + ow) * c;
                        var scale = Vector512.Create(1f / Math.Max(1, (he - hs) * (we - ws)));
                        for (int cb = 0; cb < c; cb += 16)
                        {
                            bool tail = cb == full;
                            var acc = start;
                            for (int y = hs; y < he; y++)
                            {
                                float* cell = src + ((long)(b * g.H + y) * g.W + ws) * c + cb;
                                for (int x = ws; x < we; x++, cell += c)
                                {
                                    var v = tail ? Avx512F.MaskLoad(cell, tailMask, start) : Vector512.Load(cell);
                                    acc = max ? Vector512.Max(acc, v) : acc + v;
                                }
                            }
                            if (!max) acc *= scale;
                            if (tail) Avx512F.MaskStore(o + cb, tailMask, acc);
                            else acc.Store(o + cb);
                        }
                    }
                }
            });
        }
    }
}
