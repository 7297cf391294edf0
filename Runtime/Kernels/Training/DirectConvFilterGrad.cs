using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// Conv2DBackpropFilter without a patch matrix, for few input channels and an output depth of whole Vector512s:
/// dF[kh, kw, c, o] = Σ over images and output pixels of x[n, oh·SH − top + kh·DH, ow·SW − left + kw·DW, c] · dOut[n, oh, ow, o].
/// </summary>
/// <remarks>
/// <para>Why: with C ≤ 16 the im2col path writes and re-reads a patch matrix KH·KW times the input (15 MB for a
/// 32×28×28×6 batch and a 5×5 window) and then runs a GEMM whose depth is every output pixel of the batch but whose
/// other two sides are small (150 × 16) — about 20 GFLOP/s on this project's machine. Here each image's input is copied
/// once into a zero-bordered buffer (the windows need no bounds checks), and for each group of 8 taps every output pixel
/// loads its dOut vector once and adds it, times 8 broadcast input values, into 8 accumulators held in registers.</para>
/// <para>Images are split into one part per core; each part sums into its own dF, and the parts are added at the end —
/// the summation order differs from the GEMM path (a float rounding difference, not a different function).</para>
/// </remarks>
internal static class DirectConvFilterGrad
{
    private const int Lanes = 16;

    /// <summary>Whether this path computes the filter gradient of <paramref name="g"/> with <paramref name="oc"/> output channels.</summary>
    public static bool Applies(in Window2D g, int oc)
        => Vector512.IsHardwareAccelerated && g.C <= 16 && oc % Lanes == 0 && oc > 0 && oc <= 256 && g.OH > 0 && g.OW > 0 && g.N > 0;

    /// <summary>Writes dF (<c>[KH, KW, C, OC]</c>, overwritten) from input <paramref name="x"/> (NHWC) and <paramref name="dOut"/> (NHWC).</summary>
    public static void Run(Window2D g, int oc, ReadOnlySpan<float> x, ReadOnlySpan<float> dOut, Span<float> df)
    {
        if (!Applies(g, oc)) throw new InvalidOperationException("DirectConvFilterGrad needs Vector512, C <= 16 and OC a multiple of 16.");
        int taps = g.KH * g.KW * g.C;
        int parts = Math.Min(Workers.Count, g.N);
        var partial = ArrayPool<float>.Shared.Rent(parts * taps * oc);
        try
        {
            unsafe
            {
                fixed (float* px = x, pd = dOut, pp = partial)
                {
                    var job = new Job(g, oc, (nint)px, (nint)pd, (nint)pp, parts);
                    Workers.For(parts, 1, job, static (j, s, e) =>
                    {
                        for (long p = s; p < e; p++) j.RunPart((int)p);
                    });
                }
            }
            var sum = df[..(taps * oc)];
            partial.AsSpan(0, taps * oc).CopyTo(sum);
            for (int p = 1; p < parts; p++)
                System.Numerics.Tensors.TensorPrimitives.Add(sum, partial.AsSpan(p * taps * oc, taps * oc), sum);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(partial);
        }
    }

    private readonly unsafe record struct Job(Window2D G, int Oc, nint X, nint DOut, nint Partial, int Parts)
    {
        public void RunPart(int p)
        {
            var g = G;
            int taps = g.KH * g.KW * g.C;
            int first = (int)((long)g.N * p / Parts), last = (int)((long)g.N * (p + 1) / Parts);
            // The padded image: every window of every output pixel lies inside it.
            int hp = (g.OH - 1) * g.SH + (g.KH - 1) * g.DH + 1, wp = (g.OW - 1) * g.SW + (g.KW - 1) * g.DW + 1;
            var padded = ArrayPool<float>.Shared.Rent(hp * wp * g.C);
            var offsets = ArrayPool<int>.Shared.Rent(taps);
            try
            {
                // Tap t = (kh·KW + kw)·C + c, the filter's own order; its offset into the padded image from a window's corner.
                for (int kh = 0, t = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++)
                        for (int c = 0; c < g.C; c++, t++)
                            offsets[t] = (kh * g.DH * wp + kw * g.DW) * g.C + c;
                var df = new Span<float>((float*)Partial + (long)p * taps * Oc, taps * Oc);
                df.Clear();
                var xs = new ReadOnlySpan<float>((float*)X, g.N * g.H * g.W * g.C);
                var dys = new ReadOnlySpan<float>((float*)DOut, g.N * g.OH * g.OW * Oc);
                for (int n = first; n < last; n++)
                {
                    FewOutputConv2D.PadRows(g, xs.Slice(n * g.H * g.W * g.C, g.H * g.W * g.C), padded.AsSpan(0, hp * wp * g.C), 0, hp, wp);
                    Accumulate(g, Oc, padded, wp, offsets.AsSpan(0, taps), dys.Slice(n * g.OH * g.OW * Oc, g.OH * g.OW * Oc), df);
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(padded);
                ArrayPool<int>.Shared.Return(offsets);
            }
        }
    }

    /// <summary>dF += this image's contribution: for each group of 8 taps and each 16-channel slice of OC, every output
    /// pixel adds its dOut vector times the 8 taps' input values into 8 register accumulators.</summary>
    private static void Accumulate(in Window2D g, int oc, float[] padded, int wp, ReadOnlySpan<int> offsets, ReadOnlySpan<float> dy, Span<float> df)
    {
        int taps = offsets.Length, c = g.C;
        int rowStep = g.SH * wp * c, pixelStep = g.SW * c;
        ref float xp = ref padded[0];
        ref float d0 = ref Unsafe.AsRef(in dy[0]);
        for (int v = 0; v < oc; v += Lanes)
        {
            int t = 0;
            for (; t + 8 <= taps; t += 8)
            {
                int o0 = offsets[t], o1 = offsets[t + 1], o2 = offsets[t + 2], o3 = offsets[t + 3];
                int o4 = offsets[t + 4], o5 = offsets[t + 5], o6 = offsets[t + 6], o7 = offsets[t + 7];
                Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int xRow = oh * rowStep;
                    int dRow = oh * g.OW * oc + v;
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        var d = Vector512.LoadUnsafe(ref d0, (nuint)(dRow + ow * oc));
                        ref float w = ref Unsafe.Add(ref xp, xRow + ow * pixelStep);
                        a0 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o0)), d, a0);
                        a1 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o1)), d, a1);
                        a2 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o2)), d, a2);
                        a3 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o3)), d, a3);
                        a4 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o4)), d, a4);
                        a5 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o5)), d, a5);
                        a6 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o6)), d, a6);
                        a7 = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref w, o7)), d, a7);
                    }
                }
                AddTo(df, t * oc + v, a0); AddTo(df, (t + 1) * oc + v, a1); AddTo(df, (t + 2) * oc + v, a2); AddTo(df, (t + 3) * oc + v, a3);
                AddTo(df, (t + 4) * oc + v, a4); AddTo(df, (t + 5) * oc + v, a5); AddTo(df, (t + 6) * oc + v, a6); AddTo(df, (t + 7) * oc + v, a7);
            }
            for (; t < taps; t++)
            {
                // The last few taps one at a time, two accumulators over alternate pixels.
                int o = offsets[t];
                Vector512<float> a = default, b = default;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    int xRow = oh * rowStep + o;
                    int dRow = oh * g.OW * oc + v;
                    int ow = 0;
                    for (; ow + 2 <= g.OW; ow += 2)
                    {
                        a = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, xRow + ow * pixelStep)), Vector512.LoadUnsafe(ref d0, (nuint)(dRow + ow * oc)), a);
                        b = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, xRow + (ow + 1) * pixelStep)), Vector512.LoadUnsafe(ref d0, (nuint)(dRow + (ow + 1) * oc)), b);
                    }
                    if (ow < g.OW)
                        a = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xp, xRow + ow * pixelStep)), Vector512.LoadUnsafe(ref d0, (nuint)(dRow + ow * oc)), a);
                }
                AddTo(df, t * oc + v, a + b);
            }
        }
    }

    private static void AddTo(Span<float> df, int at, Vector512<float> a)
    {
        var s = df.Slice(at, Lanes);
        (Vector512.Create<float>(s) + a).CopyTo(s);
    }
}
