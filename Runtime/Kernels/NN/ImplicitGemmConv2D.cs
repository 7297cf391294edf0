using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// NHWC float convolution as a GEMM whose A matrix (the im2col rows) is never materialized: a register tile of 8
/// output pixels × 32 output channels accumulates over every filter tap, reading each tap's C input channels
/// straight from the (zero-bordered) input — for one pixel and one tap they are contiguous in NHWC — and the
/// filter in place as the [KH·KW·C, OC] matrix TF's [KH, KW, C, OC] layout already is. This removes im2col's
/// copy (KH·KW·C floats per output pixel written and read back), which costs a large share of a conv whose
/// depth is modest (the TF MNIST net's second conv: 25 taps × 32 channels).
/// </summary>
internal static class ImplicitGemmConv2D
{
    private const int MR = 8, NR = 32;

    /// <summary>
    /// The plan's choice over im2col + GEMM: Vector512 hardware, OC a whole number of 32-float panels, more than
    /// the direct kernel's <see cref="DirectConv2D.MaxC"/> channels, and a real window (1×1 stride-1 convs are one plain GEMM already).
    /// </summary>
    public static bool IsPreferred(in Window2D g, int oc)
        => Vector512.IsHardwareAccelerated && oc % NR == 0 && g.C > DirectConv2D.MaxC && (long)g.KH * g.KW > 1;

    /// <summary>
    /// The filter as the micro-kernel's panels: OC/32 blocks of [KH·KW·C, 32], each contiguous, so a tile streams one
    /// 128-byte row per depth step instead of every OC-long filter row's slice (kept by the kernel for a constant filter,
    /// see <see cref="Simd.WeightCache{T}"/>).
    /// </summary>
    public static float[] PackFilter(ReadOnlySpan<float> filter, int depth, int oc)
    {
        if (oc % NR != 0 || filter.Length < (long)depth * oc) throw new ArgumentException("ImplicitGemmConv2D.PackFilter: OC must be a multiple of 32 and the filter [depth, OC].");
        var panels = new float[(long)depth * oc];
        for (int j = 0; j < oc; j += NR)
        {
            var panel = panels.AsSpan(j * depth, depth * NR);
            for (int d = 0; d < depth; d++) filter.Slice(d * oc + j, NR).CopyTo(panel.Slice(d * NR, NR));
        }
        return panels;
    }

    /// <summary>Convolves NHWC <paramref name="input"/> with [KH,KW,C,OC] <paramref name="filter"/> into [N·OH·OW, OC].</summary>
    /// <remarks><c>panels</c>: the filter as <see cref="PackFilter"/> made it, or empty to read <c>filter</c> in place.</remarks>
    public static unsafe void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue, Tensor? bias, ReadOnlySpan<float> panels = default)
    {
        if (!panels.IsEmpty && panels.Length != (long)g.KH * g.KW * g.C * oc) throw new ArgumentException("ImplicitGemmConv2D: filter panels of the wrong size.");
        if (!Vector512.IsHardwareAccelerated || oc % NR != 0) throw new InvalidOperationException("ImplicitGemmConv2D needs Vector512 and OC a multiple of 32.");
        if (input.Length < (long)g.N * g.H * g.W * g.C || filter.Length < (long)g.KH * g.KW * g.C * oc || output.Length < (long)g.N * g.OH * g.OW * oc)
            throw new ArgumentException("ImplicitGemmConv2D: buffer smaller than the geometry.");
        var p = g;
        float[]? rented = PaddedInput.Rent(ref p, input);
        int taps = g.KH * g.KW;
        var tapOffsets = ArrayPool<nint>.Shared.Rent(taps);
        try
        {
            for (int ky = 0; ky < g.KH; ky++)
                for (int kx = 0; kx < g.KW; kx++)
                    tapOffsets[ky * g.KW + kx] = ((nint)ky * g.DH * p.W + (nint)kx * g.DW) * g.C;
            ReadOnlySpan<float> x = rented ?? input;
            bool packed = !panels.IsEmpty;
            fixed (float* pin = x, pf = packed ? panels : filter, pout = output)
            fixed (nint* pt = tapOffsets)
            {
                long pixels = (long)g.N * g.OH * g.OW;
                long blocks = (pixels + MR - 1) / MR;
                var job = new Blocks(p, oc, taps, pixels, (nint)pin, (nint)pf, packed, (nint)pout, (nint)pt, epilogue, bias);
                // A block is 8·OC·KH·KW·C FMAs; hand out a few hundred thousand per chunk.
                long perBlock = (long)MR * oc * taps * g.C;
                Workers.For(blocks, Math.Max(1, (1 << 18) / Math.Max(1, perBlock)), job, static (j, s, e) => j.Run(s, e));
            }
        }
        finally
        {
            ArrayPool<nint>.Shared.Return(tapOffsets);
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    private readonly record struct Blocks(Window2D P, int Oc, int Taps, long Pixels, nint In, nint Filter, bool Panels, nint Out, nint TapOffsets,
        Epilogue? Epilogue, Tensor? Bias)
    {
        public unsafe void Run(long start, long end)
        {
            var p = P;
            float* input = (float*)In, filter = (float*)Filter, output = (float*)Out;
            nint* rows = stackalloc nint[MR];
            float* tile = stackalloc float[MR * NR];
            int ohw = p.OH * p.OW;
            for (long blk = start; blk < end; blk++)
            {
                long q0 = blk * MR;
                int valid = (int)Math.Min(MR, Pixels - q0);
                for (int r = 0; r < MR; r++)
                {
                    // Rows past the last pixel repeat the first one; their results go to the scratch tile only.
                    long q = q0 + (r < valid ? r : 0);
                    int b = (int)(q / ohw), rem = (int)(q % ohw), oh = rem / p.OW, ow = rem % p.OW;
                    rows[r] = (nint)(input + (((long)b * p.H + (long)oh * p.SH) * p.W + (long)ow * p.SW) * p.C);
                }
                float* outBlock = output + q0 * Oc;
                long depth = (long)Taps * p.C;
                for (int j = 0; j < Oc; j += NR)
                {
                    // Panels: block j/32 is [depth, 32] contiguous; in place: columns j.. of the [depth, OC] filter.
                    float* fb = Panels ? filter + j * depth : filter + j;
                    int ldb = Panels ? NR : Oc;
                    if (valid == MR) Tile(rows, (nint*)TapOffsets, Taps, p.C, fb, ldb, outBlock + j, Oc);
                    else
                    {
                        Tile(rows, (nint*)TapOffsets, Taps, p.C, fb, ldb, tile, NR);
                        for (int r = 0; r < valid; r++)
                            new ReadOnlySpan<float>(tile + r * NR, NR).CopyTo(new Span<float>(outBlock + (long)r * Oc + j, NR));
                    }
                }
                Epilogue?.Apply(new Span<float>(outBlock, valid * Oc), Bias!.AsSpan<float>());
            }
        }
    }

    // One 8×32 tile of C: for every tap, C channels of 8 pixels (broadcast) times 32 filter columns (two vectors).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile(nint* rows, nint* tapOffsets, int taps, int c, float* filter, int ldb, float* dst, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        float* b = filter;
        for (int t = 0; t < taps; t++)
        {
            nint off = tapOffsets[t];
            float* x0 = (float*)(rows[0] + off * sizeof(float)), x1 = (float*)(rows[1] + off * sizeof(float));
            float* x2 = (float*)(rows[2] + off * sizeof(float)), x3 = (float*)(rows[3] + off * sizeof(float));
            float* x4 = (float*)(rows[4] + off * sizeof(float)), x5 = (float*)(rows[5] + off * sizeof(float));
            float* x6 = (float*)(rows[6] + off * sizeof(float)), x7 = (float*)(rows[7] + off * sizeof(float));
            for (int ci = 0; ci < c; ci++, b += ldb)
            {
                var b0 = Vector512.Load(b);
                var b1 = Vector512.Load(b + 16);
                var a = Vector512.Create(x0[ci]); c00 = Vector512.FusedMultiplyAdd(a, b0, c00); c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
                a = Vector512.Create(x1[ci]); c10 = Vector512.FusedMultiplyAdd(a, b0, c10); c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
                a = Vector512.Create(x2[ci]); c20 = Vector512.FusedMultiplyAdd(a, b0, c20); c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
                a = Vector512.Create(x3[ci]); c30 = Vector512.FusedMultiplyAdd(a, b0, c30); c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
                a = Vector512.Create(x4[ci]); c40 = Vector512.FusedMultiplyAdd(a, b0, c40); c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
                a = Vector512.Create(x5[ci]); c50 = Vector512.FusedMultiplyAdd(a, b0, c50); c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
                a = Vector512.Create(x6[ci]); c60 = Vector512.FusedMultiplyAdd(a, b0, c60); c61 = Vector512.FusedMultiplyAdd(a, b1, c61);
                a = Vector512.Create(x7[ci]); c70 = Vector512.FusedMultiplyAdd(a, b0, c70); c71 = Vector512.FusedMultiplyAdd(a, b1, c71);
            }
        }
        c00.Store(dst); c01.Store(dst + 16); dst += ldc; c10.Store(dst); c11.Store(dst + 16); dst += ldc;
        c20.Store(dst); c21.Store(dst + 16); dst += ldc; c30.Store(dst); c31.Store(dst + 16); dst += ldc;
        c40.Store(dst); c41.Store(dst + 16); dst += ldc; c50.Store(dst); c51.Store(dst + 16); dst += ldc;
        c60.Store(dst); c61.Store(dst + 16); dst += ldc; c70.Store(dst); c71.Store(dst + 16);
    }
}
