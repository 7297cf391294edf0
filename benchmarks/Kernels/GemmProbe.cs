using TypedGraph.Kernels.Simd;

namespace TypedGraph.Benchmarks.Kernels;

/// <summary>For the benchmarks' <c>gemm-big</c> probe: the micro-kernel's own speed on L1/L2-resident packed panels.</summary>
internal static unsafe class GemmProbe
{
    public static void Print(Func<Action, int, double> median)
    {
        const int kc = 256, panels = 16;
        var a = new float[panels * 8 * kc];
        var b = new float[32 * kc];
        var c = new float[panels * 8 * 32];
        for (int i = 0; i < a.Length; i++) a[i] = 1e-3f * (i % 17);
        for (int i = 0; i < b.Length; i++) b[i] = 1e-3f * (i % 13);
        double t = median(() =>
        {
            fixed (float* pa = a, pb = b, pc = c)
                for (int r = 0; r < 200; r++)
                    for (int i = 0; i < panels; i++)
                        GemmMicroKernels.Kernel8x32(kc, pa + i * 8 * kc, pb, pc + i * 256, 32, true);
        }, 20);
        var big = new float[1024 * 1024];
        var dst = new float[1024 * 1024 + 4096];
        double packA = median(() =>
        {
            fixed (float* src = big, d = dst)
                for (int p0 = 0; p0 < 1024; p0 += 256)
                    for (int ic = 0; ic < 1024; ic += 128)
                        GemmPacking.PackA(false, src, 1024, 1024, ic, 128, p0, 256, 8, d);
        }, 20);
        double packB = median(() =>
        {
            fixed (float* src = big, d = dst)
                for (int p0 = 0; p0 < 1024; p0 += 256)
                    GemmPacking.PackB(false, src, 1024, 1024, 0, 1024, p0, 256, 32, d);
        }, 20);
        Console.WriteLine($"1024x1024 pack A {packA * 1e3:F3} ms, pack B {packB * 1e3:F3} ms (the 1024^3 product at 240 GFLOP/s: {2.0 * 1024 * 1024 * 1024 / 240e9 * 1e3:F2} ms)");
        Console.WriteLine($"8x32 kernel, kc {kc}, A 128 KiB from L2, B 32 KiB in L1: {200.0 * panels * 2 * 8 * 32 * kc / t / 1e9:F1} GFLOP/s");
    }
}
