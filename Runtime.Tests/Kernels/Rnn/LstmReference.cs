namespace TypedGraph.Tests.Kernels.Rnn;

/// <summary>
/// A hand-written double LSTM written from the equations of TF's rnn_ops.cc op docs (not from our kernel): per step
/// gates = [x, h]·w + b split into i, ci, f, o (or i, f, ci, o for BlockLSTMV2), peepholes on i/f from the previous
/// cell and on o from the new one, forget_bias on f, cs clipped to ±cell_clip when cell_clip &gt; 0; steps at or past
/// seq_len_max give zero cs and h (and zero gates here). Returns i, cs, f, o, ci, co, h, each [time·batch·cell].
/// </summary>
internal static class LstmReference
{
    public sealed record Params(double[] X, double[] Cs0, double[] H0, double[] W, double[] Wci, double[] Wcf, double[] Wco, double[] B);

    public static double[][] Run(Params p, int time, int batch, int input, int cell, double forgetBias, double cellClip, bool peephole, bool ifco, int seqLenMax)
    {
        var outs = Enumerable.Range(0, 7).Select(_ => new double[time * batch * cell]).ToArray();
        var cs = (double[])p.Cs0.Clone();
        var h = (double[])p.H0.Clone();
        int cOff = ifco ? 2 * cell : cell, fOff = ifco ? cell : 2 * cell;
        static double Sig(double v) => 1 / (1 + Math.Exp(-v));
        for (int t = 0; t < seqLenMax; t++)
        {
            var ncs = new double[batch * cell];
            var nh = new double[batch * cell];
            for (int bi = 0; bi < batch; bi++)
            {
                var g = new double[4 * cell];
                for (int col = 0; col < 4 * cell; col++)
                {
                    double s = p.B[col];
                    for (int k = 0; k < input; k++) s += p.X[(t * batch + bi) * input + k] * p.W[k * 4 * cell + col];
                    for (int k = 0; k < cell; k++) s += h[bi * cell + k] * p.W[(input + k) * 4 * cell + col];
                    g[col] = s;
                }
                for (int j = 0; j < cell; j++)
                {
                    double cp = cs[bi * cell + j];
                    double i = Sig(g[j] + (peephole ? cp * p.Wci[j] : 0));
                    double f = Sig(g[fOff + j] + forgetBias + (peephole ? cp * p.Wcf[j] : 0));
                    double ci = Math.Tanh(g[cOff + j]);
                    double c = i * ci + f * cp;
                    if (cellClip > 0) c = Math.Clamp(c, -cellClip, cellClip);
                    double o = Sig(g[3 * cell + j] + (peephole ? c * p.Wco[j] : 0));
                    double co = Math.Tanh(c);
                    int k = (t * batch + bi) * cell + j;
                    outs[0][k] = i; outs[1][k] = c; outs[2][k] = f; outs[3][k] = o; outs[4][k] = ci; outs[5][k] = co; outs[6][k] = o * co;
                    ncs[bi * cell + j] = c;
                    nh[bi * cell + j] = o * co;
                }
            }
            cs = ncs;
            h = nh;
        }
        return outs;
    }

    /// <summary>Uniform values in [−scale, scale), rounded to float so the float graph and this reference see the same numbers.</summary>
    public static double[] Rand(Random rng, int n, double scale) => Enumerable.Range(0, n).Select(_ => (double)(float)((rng.NextDouble() * 2 - 1) * scale)).ToArray();

    public static float[] F32(double[] v) => Array.ConvertAll(v, d => (float)d);
}
