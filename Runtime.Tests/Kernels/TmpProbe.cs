using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Kernels.Training;
namespace TypedGraph.Tests.Kernels;
public class TmpProbe
{
    [Fact]
    public unsafe void Probe()
    {
        var res = "";
        foreach (var (c, oc) in new[] { (6, 1), (1, 6) })
        {
            var g = Window2D.Create(64, 28, 28, c, 5, 5, 1, 1, 1, 1, PaddingKind.Same, default);
            var x = new float[64 * 28 * 28 * c]; var f = new float[25 * c * oc]; var y = new float[64 * 28 * 28 * oc];
            new Random(1).NextBytes(new byte[1]);
            for (int i = 0; i < 20; i++) ThinConv2D.Run(g, oc, x, f, y, null, null);
            double best = 1e9, bestE = 1e9;
            var layout = new ThinRows(g, oc);
            var band = new float[layout.BandFloats(28) + layout.ScratchFloats + 16];
            double[] byMode = [1e9, 1e9];
            for (int rep = 0; rep < 5; rep++)
            {
                foreach (bool four in new[] { false, true })
                {
                    ThinConv2D.FourRows = four;
                    var s2 = System.Diagnostics.Stopwatch.StartNew();
                    for (int i = 0; i < 50; i++) ThinConv2D.Run(g, oc, x, f, y, null, null);
                    byMode[four ? 1 : 0] = Math.Min(byMode[four ? 1 : 0], s2.Elapsed.TotalMilliseconds / 50);
                }
                var sw = System.Diagnostics.Stopwatch.StartNew();
                for (int i = 0; i < 50; i++) ThinConv2D.Run(g, oc, x, f, y, null, null);
                best = Math.Min(best, sw.Elapsed.TotalMilliseconds / 50);
                sw.Restart();
                fixed (float* px = x, pb = band)
                    for (int i = 0; i < 10; i++) for (int b = 0; b < 64; b++) layout.Expand(px, b, 0, 32, pb, pb + layout.BandFloats(28));
                bestE = Math.Min(bestE, sw.Elapsed.TotalMilliseconds / 10);
            }
            res += $"\n one-row {byMode[0]:F3} four-row {byMode[1]:F3}; C={c} OC={oc}: run {best:F3} ms (2 threads), expand all images 1 thread {bestE:F3} ms; rowVectors {layout.RowVectors} rowFloats {layout.RowFloats} P {layout.Period}";
        }
        Assert.Fail(res);
    }
}
