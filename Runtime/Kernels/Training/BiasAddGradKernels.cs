using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>BiasAddGrad: the gradient summed over every dim but the channel dim (last for NHWC, 1 for NCHW),
/// and BroadcastGradientArgs: the reduction indices of a broadcasting binary op's two gradients (TF's BCast).</summary>
internal sealed class BiasAddGradKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("BiasAddGrad", n => new BiasAddGradKernel(n));
        registry.Add("BroadcastGradientArgs", n => new BroadcastGradientArgsKernel(n));
    }

    private sealed class BiasAddGradKernel : OpKernel
    {
        private readonly bool _nchw;

        public BiasAddGradKernel(Node node) : base(node) => _nchw = KernelAttrs.IsNchw(node);

        public override void Compute(OpKernelContext context)
        {
            var g = context.Input(0);
            if (g.Shape.Rank < 2) throw Error($"out_backprop must be at least rank 2, got shape {g.Shape}.");
            int cAxis = _nchw && g.Shape.Rank >= 3 ? 1 : g.Shape.Rank - 1;
            int channels = g.Shape[cAxis];
            long inner = 1;
            for (int i = cAxis + 1; i < g.Shape.Rank; i++) inner *= g.Shape[i];
            long outer = g.NumElements / Math.Max(1, channels * inner);
            var y = context.AllocateOutput(0, g.DType, new TensorShape(channels));
            switch (g.DType)
            {
                case DataType.DtFloat: Sum(g.AsSpan<float>(), y.AsSpan<float>(), outer, channels, inner); break;
                case DataType.DtDouble: Sum(g.AsSpan<double>(), y.AsSpan<double>(), outer, channels, inner); break;
                default: throw KernelAttrs.BadType(Node, g.DType);
            }
        }

        // Channels last in Vector512 blocks of 16 channels, the last block masked (a LeNet's 6 channels: one block of 6
        // lanes instead of a scalar loop): each channel still adds its rows one after another, so the result equals the
        // scalar loop's bit for bit.
        private static unsafe void SumChannelsLast(ReadOnlySpan<float> g, Span<float> y, long outer, int channels)
        {
            fixed (float* pg = g, py = y)
            {
                for (int c0 = 0; c0 < channels; c0 += 16)
                {
                    int width = Math.Min(16, channels - c0);
                    var mask = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(width)).AsSingle();
                    var acc = Vector512<float>.Zero;
                    float* row = pg + c0;
                    if (width == 16)
                        for (long o = 0; o < outer; o++, row += channels) acc += Vector512.Load(row);
                    else
                        for (long o = 0; o < outer; o++, row += channels) acc += Avx512F.MaskLoad(row, mask, Vector512<float>.Zero);
                    Avx512F.MaskStore(py + c0, mask, acc);
                }
            }
        }

        private static void Sum<T>(ReadOnlySpan<T> g, Span<T> y, long outer, int channels, long inner) where T : unmanaged, System.Numerics.INumber<T>
        {
            y.Clear();
            if (typeof(T) == typeof(float) && inner == 1 && Vector512.IsHardwareAccelerated)
            {
                SumChannelsLast(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(g), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(y), outer, channels);
                return;
            }
            if (inner == 1 && channels >= System.Numerics.Vector<T>.Count)
            {
                // Channels last (NHWC): whole vectors of channels add row after row — every channel still sums its rows in
                // order, so the result is the scalar loop's below, bit for bit.
                int width = System.Numerics.Vector<T>.Count, full = channels / width * width;
                for (int c0 = 0; c0 < full; c0 += width)
                {
                    var acc = System.Numerics.Vector<T>.Zero;
                    for (long o = 0; o < outer; o++) acc += new System.Numerics.Vector<T>(g.Slice((int)(o * channels) + c0, width));
                    acc.CopyTo(y.Slice(c0, width));
                }
                for (int c = full; c < channels; c++)
                {
                    T acc = T.Zero;
                    for (long o = 0; o < outer; o++) acc += g[(int)(o * channels) + c];
                    y[c] = acc;
                }
                return;
            }
            int idx = 0;
            for (long o = 0; o < outer; o++)
                for (int c = 0; c < channels; c++)
                {
                    T acc = T.Zero;
                    for (long i = 0; i < inner; i++) acc += g[idx++];
                    y[c] += acc;
                }
        }
    }

    private sealed class BroadcastGradientArgsKernel(Node node) : OpKernel(node)
    {
        // Shapes are short: read them into stack buffers so the kernel allocates nothing but its outputs (it runs once
        // per iteration in TF1 gradient loops).
        private const int MaxRank = 64;

        public override void Compute(OpKernelContext context)
        {
            var a = context.Input(0);
            var b = context.Input(1);
            if (a.NumElements > MaxRank || b.NumElements > MaxRank)
                throw Error($"shapes of rank {a.NumElements} and {b.NumElements}; at most {MaxRank} dims are supported.");
            Span<long> s0 = stackalloc long[(int)a.NumElements];
            Span<long> s1 = stackalloc long[(int)b.NumElements];
            Read(a, s0);
            Read(b, s1);
            int n = Math.Max(s0.Length, s1.Length);
            Span<int> r0 = stackalloc int[n];
            Span<int> r1 = stackalloc int[n];
            int c0 = 0, c1 = 0;
            for (int i = 0; i < n; i++)
            {
                // Align from the right; a missing dim acts as 1.
                long x = i - (n - s0.Length) >= 0 ? s0[i - (n - s0.Length)] : 1;
                long y = i - (n - s1.Length) >= 0 ? s1[i - (n - s1.Length)] : 1;
                if (x == y)
                {
                    if (x == 1) { r0[c0++] = i; r1[c1++] = i; }
                }
                else if (x == 1) r0[c0++] = i;
                else if (y == 1) r1[c1++] = i;
                else throw Error($"incompatible shapes [{string.Join(", ", s0.ToArray())}] and [{string.Join(", ", s1.ToArray())}].");
            }
            Write(context, 0, r0[..c0]);
            Write(context, 1, r1[..c1]);
        }

        private void Read(Tensor t, Span<long> dst)
        {
            switch (t.DType)
            {
                case DataType.DtInt32:
                    var i32 = t.AsSpan<int>();
                    for (int i = 0; i < dst.Length; i++) dst[i] = i32[i];
                    break;
                case DataType.DtInt64:
                    t.AsSpan<long>().CopyTo(dst);
                    break;
                default:
                    throw KernelAttrs.BadType(Node, t.DType);
            }
        }

        private static void Write(OpKernelContext context, int index, ReadOnlySpan<int> values)
        {
            var dtype = context.Input(0).DType;
            var t = context.AllocateOutput(index, dtype, [values.Length]);
            if (dtype == DataType.DtInt32) values.CopyTo(t.AsSpan<int>());
            else
            {
                var o = t.AsSpan<long>();
                for (int i = 0; i < values.Length; i++) o[i] = values[i];
            }
        }
    }
}
