using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Simd;
using static TypedGraph.Kernels.NN.WinogradTransforms;

namespace TypedGraph.Kernels.NN;

internal static partial class WinogradConv2D
{
    /// <summary>
    /// Tile blocks [start, end): input transform of the block's tiles into V[ξ, tile, C], 36 GEMMs into
    /// M[ξ, tile, OC], output transform into the NHWC output (edge tiles clipped to OH×OW), then the fused epilogue.
    /// <see cref="Tile"/> is the output tile side: 4 for F(4×4, 3×3), 2 for F(2×2, 5×5); both read 6×6 input patches
    /// whose origins are <see cref="Tile"/> apart.
    /// </summary>
    private readonly record struct Blocks(Window2D P, int OH, int OW, int Oc, int Tile, int TilesH, int TilesW, long Tiles, int Block,
        nint In, nint U, nint Out, PackedB[] Packed, Epilogue? Epilogue, Tensor? Bias)
    {
        public unsafe void Run(long start, long end)
        {
            int c = P.C;
            // One extra cache line between the 36 matrices: with a stride of a multiple of 2 KiB, the 36 rows a tile
            // writes (and the output transform reads) would fall into one or two L1 sets.
            long vXi = (long)Block * c + 16, mXi = (long)Block * Oc + 16;
            var v = ArrayPool<float>.Shared.Rent(checked((int)(Xi * vXi)));
            var m = ArrayPool<float>.Shared.Rent(checked((int)(Xi * mXi)));
            try
            {
                fixed (float* pv = v, pm = m)
                {
                    var uAll = new ReadOnlySpan<float>((float*)U, Xi * c * Oc);
                    for (long blk = start; blk < end; blk++)
                    {
                        long t0 = blk * Block;
                        int count = (int)Math.Min(Block, Tiles - t0);
                        for (int t = 0; t < count; t++) InputTile(t0 + t, pv + (long)t * c, vXi);
                        for (int xi = 0; xi < Xi; xi++)
                        {
                            var a = new ReadOnlySpan<float>(pv + xi * vXi, count * c);
                            var dst = new Span<float>(pm + xi * mXi, count * Oc);
                            Gemm.SgemmPackedSerial(false, count, Oc, c, a, uAll.Slice(xi * c * Oc, c * Oc), Packed[xi], dst, directA: true);
                        }
                        for (int t = 0; t < count; t++) OutputTile(t0 + t, pm + (long)t * Oc, mXi);
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(v);
                ArrayPool<float>.Shared.Return(m);
            }
        }

        // V[ξ = 6i + k, tile, c] = (Bᵀ·d·B)[i, k] for the tile's 6×6 patch, 16 channels at a time.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void InputTile(long tile, float* v, long vXi)
        {
            var p = P;
            int c = p.C;
            int perImage = TilesH * TilesW;
            int b = (int)(tile / perImage), rem = (int)(tile % perImage), ty = rem / TilesW, tx = rem % TilesW;
            float* patch = (float*)In + (((long)b * p.H + (long)ty * Tile) * p.W + (long)tx * Tile) * c;
            long rowStep = (long)p.W * c;
            var tmp = stackalloc Vector512<float>[Xi];
            for (int ch = 0; ch < c; ch += 16)
            {
                for (int j = 0; j < T; j++)
                {
                    float* col = patch + (long)j * c + ch;
                    InputRows(Vector512.Load(col), Vector512.Load(col + rowStep), Vector512.Load(col + 2 * rowStep),
                        Vector512.Load(col + 3 * rowStep), Vector512.Load(col + 4 * rowStep), Vector512.Load(col + 5 * rowStep),
                        out tmp[j], out tmp[T + j], out tmp[2 * T + j], out tmp[3 * T + j], out tmp[4 * T + j], out tmp[5 * T + j]);
                }
                float* dst = v + ch;
                for (int i = 0; i < T; i++, dst += T * vXi)
                {
                    var row = tmp + i * T;
                    InputRows(row[0], row[1], row[2], row[3], row[4], row[5], out var r0, out var r1, out var r2, out var r3, out var r4, out var r5);
                    r0.Store(dst); r1.Store(dst + vXi); r2.Store(dst + 2 * vXi);
                    r3.Store(dst + 3 * vXi); r4.Store(dst + 4 * vXi); r5.Store(dst + 5 * vXi);
                }
            }
        }

        // Y = Aᵀ·M·A for one tile, 16 output channels at a time; rows and columns past OH/OW are not written.
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private unsafe void OutputTile(long tile, float* mt, long mXi)
        {
            int perImage = TilesH * TilesW, side = Tile;
            int b = (int)(tile / perImage), rem = (int)(tile % perImage), ty = rem / TilesW, tx = rem % TilesW;
            int rows = Math.Min(side, OH - ty * side), cols = Math.Min(side, OW - tx * side);
            float* outTile = (float*)Out + (((long)b * OH + (long)ty * side) * OW + (long)tx * side) * Oc;
            long rowStep = (long)OW * Oc;
            var tmp = stackalloc Vector512<float>[4 * T];
            for (int o = 0; o < Oc; o += 16)
            {
                float* src = mt + o;
                // Columns: tmp[i, j] = (Aᵀ·M)[i, j] for the tile's `side` output rows.
                for (int j = 0; j < T; j++)
                {
                    float* col = src + j * mXi;
                    var m0 = Vector512.Load(col);
                    var m1 = Vector512.Load(col + T * mXi);
                    var m2 = Vector512.Load(col + 2 * T * mXi);
                    var m3 = Vector512.Load(col + 3 * T * mXi);
                    var m4 = Vector512.Load(col + 4 * T * mXi);
                    var m5 = Vector512.Load(col + 5 * T * mXi);
                    if (side == 4) OutputRows4(m0, m1, m2, m3, m4, m5, out tmp[j], out tmp[T + j], out tmp[2 * T + j], out tmp[3 * T + j]);
                    else OutputRows2(m0, m1, m2, m3, m4, m5, out tmp[j], out tmp[T + j]);
                }
                for (int i = 0; i < rows; i++)
                {
                    var row = tmp + i * T;
                    float* dst = outTile + i * rowStep + o;
                    if (side == 2)
                    {
                        OutputRows2(row[0], row[1], row[2], row[3], row[4], row[5], out var z0, out var z1);
                        z0.Store(dst);
                        if (cols > 1) z1.Store(dst + Oc);
                        continue;
                    }
                    OutputRows4(row[0], row[1], row[2], row[3], row[4], row[5], out var y0, out var y1, out var y2, out var y3);
                    if (cols == 4)
                    {
                        y0.Store(dst); y1.Store(dst + Oc); y2.Store(dst + 2 * Oc); y3.Store(dst + 3 * Oc);
                        continue;
                    }
                    y0.Store(dst);
                    if (cols > 1) y1.Store(dst + Oc);
                    if (cols > 2) y2.Store(dst + 2 * Oc);
                }
            }
            if (Epilogue == null) return;
            for (int i = 0; i < rows; i++)
                Epilogue.Apply(new Span<float>(outTile + i * rowStep, cols * Oc), Bias!.AsSpan<float>());
        }
    }
}
