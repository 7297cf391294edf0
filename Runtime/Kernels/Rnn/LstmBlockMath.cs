using System.Numerics.Tensors;
using TypedGraph.Kernels.Simd;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// Where the cell-input and forget gates sit in the fused gate matrix <c>[x, h] · w + b</c> (columns of 4·cell):
/// LSTMBlockCell / BlockLSTM use i, ci, f, o (TF's <c>GateLayout::ICFO</c>), BlockLSTMV2 uses i, f, ci, o
/// (<c>IFCO</c>, the Keras/cuDNN order) — tensorflow/core/kernels/rnn/lstm_ops.h <c>gate_c_offset</c> /
/// <c>gate_f_offset</c>. The input gate is always first and the output gate last.
/// </summary>
internal enum LstmGateLayout
{
    /// <summary>i, ci, f, o.</summary>
    Icfo,

    /// <summary>i, f, ci, o.</summary>
    Ifco,
}

/// <summary>
/// One time step of TF's fused LSTM cell, forward and backward, on float rows of <c>batch × cell</c>
/// (tensorflow/core/kernels/rnn/lstm_ops.cc <c>LSTMBlockCellFpropWithEigen</c> / <c>LSTMBlockCellBpropWithEigen</c>,
/// lstm_ops.h <c>BlockLSTMBprop</c>). The forward computes, with the peephole terms only when enabled:
/// <code>
/// gates = [x, h_prev] · w + b
/// i  = σ(g_i + cs_prev ⊙ wci)          ci = tanh(g_c)
/// f  = σ(g_f + forget_bias + cs_prev ⊙ wcf)
/// cs = clip(i ⊙ ci + f ⊙ cs_prev, ±cell_clip)   (only when cell_clip &gt; 0)
/// co = tanh(cs)                         o = σ(g_o + cs ⊙ wco)      h = o ⊙ co
/// </code>
/// The backward is TF's, which treats the clip as the identity (it never looks at cell_clip).
/// </summary>
internal static class LstmBlockMath
{
    /// <summary>(column offset of ci, column offset of f) in a gate row of 4·<paramref name="cell"/>.</summary>
    public static (int C, int F) Offsets(LstmGateLayout layout, int cell) => layout == LstmGateLayout.Icfo ? (cell, 2 * cell) : (2 * cell, cell);

    /// <summary>Writes <c>[a, b]</c> row by row into <paramref name="ab"/> (<c>rows × (na + nb)</c>).</summary>
    public static void ConcatRows(ReadOnlySpan<float> a, int na, ReadOnlySpan<float> b, int nb, Span<float> ab, int rows)
    {
        for (int r = 0; r < rows; r++)
        {
            a.Slice(r * na, na).CopyTo(ab.Slice(r * (na + nb), na));
            b.Slice(r * nb, nb).CopyTo(ab.Slice(r * (na + nb) + na, nb));
        }
    }

    /// <summary>The forward of one step. <paramref name="xh"/> (<c>batch × (input + cell)</c>) and
    /// <paramref name="gates"/> (<c>batch × 4·cell</c>) are scratch.</summary>
    public static void Forward(int batch, int input, int cell, LstmGateLayout layout, float forgetBias, float cellClip, bool peephole,
        ReadOnlySpan<float> x, ReadOnlySpan<float> csPrev, ReadOnlySpan<float> hPrev, ReadOnlySpan<float> w,
        ReadOnlySpan<float> wci, ReadOnlySpan<float> wcf, ReadOnlySpan<float> wco, ReadOnlySpan<float> b,
        Span<float> xh, Span<float> gates,
        Span<float> i, Span<float> cs, Span<float> f, Span<float> o, Span<float> ci, Span<float> co, Span<float> h)
    {
        int n4 = 4 * cell;
        ConcatRows(x, input, hPrev, cell, xh, batch);
        Gemm.Sgemm(false, false, batch, n4, input + cell, xh, w, gates);
        var (cOff, fOff) = Offsets(layout, cell);
        for (int r = 0; r < batch; r++)
        {
            var g = gates.Slice(r * n4, n4);
            TensorPrimitives.Add(g, b, g);
            int row = r * cell;
            for (int j = 0; j < cell; j++)
            {
                int k = row + j;
                float cp = csPrev[k];
                float gi = g[j], gf = g[fOff + j] + forgetBias;
                if (peephole)
                {
                    gi += cp * wci[j];
                    gf += cp * wcf[j];
                }
                float ig = Sigmoid(gi), cin = MathF.Tanh(g[cOff + j]), fg = Sigmoid(gf);
                float c = ig * cin + fg * cp;
                // Eigen's scalar_clip_op: min(max(c, −clip), clip), applied only for a positive clip.
                if (cellClip > 0f) c = MathF.Min(MathF.Max(c, -cellClip), cellClip);
                float ct = MathF.Tanh(c);
                float go = g[3 * cell + j];
                if (peephole) go += c * wco[j];
                float og = Sigmoid(go);
                i[k] = ig; ci[k] = cin; f[k] = fg; cs[k] = c; co[k] = ct; o[k] = og; h[k] = og * ct;
            }
        }
    }

    /// <summary>
    /// The gate gradients of one step from the total gradients reaching cs and h: writes <paramref name="dgates"/>
    /// (<c>batch × 4·cell</c>, in the layout's order) and <paramref name="csPrevGrad"/>, and with peepholes adds the
    /// peephole weight gradients into <paramref name="wciGrad"/>/<paramref name="wcfGrad"/>/<paramref name="wcoGrad"/>.
    /// </summary>
    public static void Backward(int batch, int cell, LstmGateLayout layout, bool peephole,
        ReadOnlySpan<float> csPrev, ReadOnlySpan<float> i, ReadOnlySpan<float> cs, ReadOnlySpan<float> f, ReadOnlySpan<float> o,
        ReadOnlySpan<float> ci, ReadOnlySpan<float> co, ReadOnlySpan<float> csGrad, ReadOnlySpan<float> hGrad,
        ReadOnlySpan<float> wci, ReadOnlySpan<float> wcf, ReadOnlySpan<float> wco,
        Span<float> dgates, Span<float> csPrevGrad, Span<float> wciGrad, Span<float> wcfGrad, Span<float> wcoGrad)
    {
        int n4 = 4 * cell;
        var (cOff, fOff) = Offsets(layout, cell);
        for (int r = 0; r < batch; r++)
        {
            var dg = dgates.Slice(r * n4, n4);
            int row = r * cell;
            for (int j = 0; j < cell; j++)
            {
                int k = row + j;
                float hg = hGrad[k], ov = o[k], cov = co[k], iv = i[k], fv = f[k], civ = ci[k], cp = csPrev[k];
                float dO = ov * (1f - ov) * hg * cov;
                float dcs = (1f - cov * cov) * hg * ov + csGrad[k];
                if (peephole) dcs += dO * wco[j];
                float dci = (1f - civ * civ) * dcs * iv;
                float df = fv * (1f - fv) * dcs * cp;
                float di = iv * (1f - iv) * dcs * civ;
                dg[j] = di;
                dg[cOff + j] = dci;
                dg[fOff + j] = df;
                dg[3 * cell + j] = dO;
                float cpg = dcs * fv;
                if (peephole)
                {
                    cpg = cpg + di * wci[j] + df * wcf[j];
                    wciGrad[j] += di * cp;
                    wcfGrad[j] += df * cp;
                    wcoGrad[j] += dO * cs[k];
                }
                csPrevGrad[k] = cpg;
            }
        }
    }

    public static float Sigmoid(float v) => 1f / (1f + MathF.Exp(-v));
}
