using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the FFT family (FFT/IFFT, RFFT/IRFFT, 1–3D), after TF's fft_ops.py (<c>_fft_grad</c>,
/// <c>_rfft_grad_helper</c>, <c>_irfft_grad_helper</c>). TF's convention: for a real loss L and a complex z = u + iv the
/// gradient is ∂L/∂u + i·∂L/∂v, so a linear map's gradient is its adjoint applied to the incoming one.
/// <list type="bullet">
/// <item>FFT: TF's <c>ifft(grad)·N</c>, built as <c>conj(FFT(conj grad))</c> (the same sum Σ g·e^{+2πijk/N}, with no
/// size to compute or round); IFFT: TF's <c>fft(grad)/N</c> as <c>conj(IFFT(conj grad))</c>.</item>
/// <item>RFFT: the gradient wrt the cropped input is <c>Re Σ_{k ≤ N/2} g_k·e^{+2πijk/N}</c>. With the kernel's inverse
/// (inverse complex FFTs on the outer dims, then a complex-to-real inverse on the innermost one that reads only the real
/// parts of the DC and Nyquist bins and counts every other bin twice), that is <c>N·IRFFT(g ⊙ w)</c> with w = 1 on the
/// innermost DC and (even N) Nyquist bins and ½ elsewhere. TF writes the same sum as
/// <c>½·(N·irfft(g) + Re(extra terms))</c>, the extra terms re-adding the DC/Nyquist rows (a DFT-matrix product over the
/// outer dim for RFFT2D).</item>
/// <item>IRFFT: TF's <c>rfft(grad)·mask/N</c> with mask = [1, 2, …, 2, 1 (even N)] along the innermost dim.</item>
/// </list>
/// The real forms follow the kernel's crop: a transformed input dim longer than fft_length gets zeros beyond it, an
/// empty one an empty gradient (TF's helpers assume the input already has the fft_length shape and give a wrongly
/// shaped gradient otherwise). TF registers no gradient for RFFT3D/IRFFT3D; the formulas above hold for any rank, so
/// they are registered here too. fft_length must be a constant (the masks are built from it), as tf.signal passes it.
/// </summary>
internal static class FftGradients
{
    public static void Register()
    {
        foreach (var (suffix, rank) in new[] { ("", 1), ("2D", 2), ("3D", 3) })
        {
            string forward = "FFT" + suffix, inverse = "IFFT" + suffix;
            int r = rank;
            GradientRegistry.Register(forward, (c, op, g) => [ConjugatedTransform(c, forward, g[0]!.Value)]);
            GradientRegistry.Register(inverse, (c, op, g) => [ConjugatedTransform(c, inverse, g[0]!.Value)]);
            GradientRegistry.Register("RFFT" + suffix, (c, op, g) => [RealForwardGrad(c, op, g[0]!.Value, r, suffix), null]);
            GradientRegistry.Register("IRFFT" + suffix, (c, op, g) => [RealInverseGrad(c, op, g[0]!.Value, r, suffix), null]);
        }
    }

    /// <summary><c>conj(op(conj g))</c>: the adjoint of the unnormalised transform that <paramref name="type"/> is not.</summary>
    private static Output ConjugatedTransform(GradientContext c, string type, Output grad)
    {
        var b = c.Builder;
        var t = b.OutputOf(b.AddOperation(type, [ComplexGradients.Conj(c, grad, "Conj")], null, type));
        return ComplexGradients.Conj(c, t, "Conj_1");
    }

    private static Output RealForwardGrad(GradientContext c, Node op, Output grad, int rank, string suffix)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        var fft = FftLengths(c, op, rank);
        if (fft.Contains(0)) return b.ZerosLike(x, "zeros_like");
        // N·w along the innermost bins: N at DC and (even N) Nyquist, N/2 between.
        double total = Product(fft);
        var weights = BinWeights(fft, edge: total, middle: total / 2);
        var weighted = b.Multiply(grad, b.Cast(RealConstant(b, weights, x.BaseType, "weights"), grad.BaseType, "Cast"), "mul");
        var full = b.OutputOf(b.AddOperation("IRFFT" + suffix, [weighted, c.In(op, 1)],
            new Dictionary<string, AttrValue> { ["Treal"] = Attrs.Type(x.BaseType), ["Tcomplex"] = Attrs.Type(grad.BaseType) }, "IRFFT" + suffix));
        return ToInputShape(c, op, full, x, fft, rank);
    }

    private static Output RealInverseGrad(GradientContext c, Node op, Output grad, int rank, string suffix)
    {
        var b = c.Builder;
        var y = c.In(op, 0);
        var fft = FftLengths(c, op, rank);
        if (fft.Contains(0)) return b.ZerosLike(y, "zeros_like");
        // mask/N: 1/N at DC and (even N) Nyquist, 2/N between (those bins stand for two conjugate ones).
        double total = Product(fft);
        var weights = BinWeights(fft, edge: 1 / total, middle: 2 / total);
        var spectrum = b.OutputOf(b.AddOperation("RFFT" + suffix, [grad, c.In(op, 1)],
            new Dictionary<string, AttrValue> { ["Treal"] = Attrs.Type(grad.BaseType), ["Tcomplex"] = Attrs.Type(y.BaseType) }, "RFFT" + suffix));
        var scaled = b.Multiply(spectrum, b.Cast(RealConstant(b, weights, grad.BaseType, "weights"), y.BaseType, "Cast"), "mul");
        var used = fft.ToArray();
        used[^1] = weights.Length;
        return ToInputShape(c, op, scaled, y, used, rank);
    }

    /// <summary>
    /// One weight per innermost bin (fft/2 + 1 of them): <paramref name="edge"/> on the DC bin and, for an even length, the
    /// Nyquist bin (each stands for one frequency), <paramref name="middle"/> on the others (each stands for a conjugate pair).
    /// </summary>
    private static double[] BinWeights(int[] fft, double edge, double middle)
    {
        int n = fft[^1], bins = n / 2 + 1;
        return Enumerable.Range(0, bins).Select(k => k == 0 || (n % 2 == 0 && k == bins - 1) ? edge : middle).ToArray();
    }

    private static double Product(int[] fft) => fft.Aggregate(1.0, (p, d) => p * d);

    /// <summary>The constant fft_length of a real FFT node, or a clear error.</summary>
    private static int[] FftLengths(GradientContext c, Node op, int rank)
    {
        var values = StaticShapes.ConstValues(c.Builder, op.Inputs[1])
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs a constant fft_length (the Hermitian weights are built from it).");
        if (values.Length != rank || values.Any(v => v < 0))
            throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}): fft_length [{string.Join(", ", values)}] is not {rank} non-negative lengths.");
        return values.Select(v => checked((int)v)).ToArray();
    }

    private static Output RealConstant(GraphBuilder b, double[] values, DataType dtype, string name)
        => dtype == DataType.DtFloat ? b.Constant(Tensor.Create(values.Select(v => (float)v).ToArray(), values.Length), name)
            : b.Constant(Tensor.Create(values, values.Length), name);

    /// <summary>
    /// The gradient <paramref name="grad"/> wrt the cropped input (inner dims <paramref name="used"/>) widened to
    /// <paramref name="input"/>'s shape: zeros where the kernel cropped, an empty tensor where the input dim was 0.
    /// Static shapes give a Pad (or nothing); otherwise Pad by max(dim − used, 0) and Slice to Shape(input).
    /// </summary>
    private static Output ToInputShape(GradientContext c, Node op, Output grad, Output input, int[] used, int rank)
    {
        var b = c.Builder;
        var shape = StaticShapes.Of(b, input)
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the input's rank to be known.");
        int inRank = shape.Length, lead = inRank - rank;
        var inner = shape[lead..];
        if (inner.All(d => d >= 0))
        {
            if (inner.Contains(0)) return b.ZerosLike(input, "zeros_like");
            if (inner.Select((d, i) => d == used[i]).All(e => e)) return grad;
            var pads = new int[inRank, 2];
            for (int i = 0; i < rank; i++) pads[lead + i, 1] = checked((int)(inner[i] - used[i]));
            return b.Pad(grad, pads, "Pad");
        }
        var inputShape = b.Shape(input, "Shape");
        var innerDims = b.Slice(inputShape, b.Constant(new[] { lead }, "Slice/begin"), b.Constant(new[] { rank }, "Slice/size"), "Slice");
        var extra = b.Maximum(b.Subtract(innerDims, b.Constant(used, "used"), "sub"), b.Constant(0, "zero"), "Maximum");
        var after = b.Concat([b.Constant(new int[lead], "zeros"), extra], 0, "concat");
        var paddings = b.Stack([b.Constant(new int[inRank], "zeros_1"), after], 1, "paddings");
        var padded = b.OutputOf(b.AddOperation("Pad", [grad, paddings], null, "Pad"));
        return b.Slice(padded, b.Constant(new int[inRank], "Slice_1/begin"), inputShape, "Slice_1");
    }
}
