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

        private static void Sum<T>(ReadOnlySpan<T> g, Span<T> y, long outer, int channels, long inner) where T : unmanaged, System.Numerics.INumber<T>
        {
            y.Clear();
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
        public override void Compute(OpKernelContext context)
        {
            var s0 = Read(context.Input(0));
            var s1 = Read(context.Input(1));
            int n = Math.Max(s0.Length, s1.Length);
            var r0 = new List<long>();
            var r1 = new List<long>();
            for (int i = 0; i < n; i++)
            {
                // Align from the right; a missing dim acts as 1.
                long x = i - (n - s0.Length) >= 0 ? s0[i - (n - s0.Length)] : 1;
                long y = i - (n - s1.Length) >= 0 ? s1[i - (n - s1.Length)] : 1;
                if (x == y)
                {
                    if (x == 1) { r0.Add(i); r1.Add(i); }
                }
                else if (x == 1) r0.Add(i);
                else if (y == 1) r1.Add(i);
                else throw Error($"incompatible shapes [{string.Join(", ", s0)}] and [{string.Join(", ", s1)}].");
            }
            Write(context, 0, r0);
            Write(context, 1, r1);
        }

        private long[] Read(Tensor t) => t.DType switch
        {
            DataType.DtInt32 => t.AsSpan<int>().ToArray().Select(v => (long)v).ToArray(),
            DataType.DtInt64 => t.ToArray<long>(),
            _ => throw KernelAttrs.BadType(Node, t.DType),
        };

        private void Write(OpKernelContext context, int index, List<long> values)
        {
            var dtype = context.Input(0).DType;
            var t = context.AllocateOutput(index, dtype, new TensorShape(values.Count));
            if (dtype == DataType.DtInt32) for (int i = 0; i < values.Count; i++) t.AsSpan<int>()[i] = (int)values[i];
            else for (int i = 0; i < values.Count; i++) t.AsSpan<long>()[i] = values[i];
        }
    }
}
