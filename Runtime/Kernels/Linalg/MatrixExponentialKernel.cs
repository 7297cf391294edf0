using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>MatrixExponential</c> (float, double, complex64, complex128; TF registers the op as deprecated — TF ≥ 1.11's
/// <c>tf.linalg.expm</c> is a Python composite of matmuls and a solve, so only older graphs contain the op), batched.
/// TF's <c>matrix_exponential_op.cc</c> calls Eigen's <c>MatrixBase::exp()</c> in the input's own scalar type, so this
/// runs Eigen's <c>matrix_exp_compute</c> (unsupported/Eigen/src/MatrixFunctions/MatrixExponential.h) in that
/// precision (<see cref="IScalarOps{T}"/>): float and complex64 in single precision, double and complex128 in double.
/// <list type="bullet">
/// <item>‖A‖₁ = the largest column sum of |aᵢⱼ|, accumulated in the real type;</item>
/// <item><c>matrix_exp_computeUV&lt;…, float&gt;</c>: Padé degree 3 when ‖A‖₁ &lt; 0.4258730016922831f, 5 when
/// &lt; 1.880152677804762f, else degree 7 on A/2ˢ with s the <c>frexp</c> exponent of ‖A‖₁/3.925724783138660f (at least
/// 0);</item>
/// <item><c>matrix_exp_computeUV&lt;…, double&gt;</c>: degree 3/5/7/9 below 1.495585217958292e-2 / 2.539398330063230e-1 /
/// 9.504178996162932e-1 / 2.097847961257068, else 13 on A/2ˢ, s from ‖A‖₁/5.371920351148152;</item>
/// <item>U and V grouped as Eigen's <c>matrix_exp_padeN</c> (A², A⁴ = A²·A², A⁶ = A⁴·A², A⁸ = A⁶·A²; each linear
/// combination summed from the highest power down, as the expression templates evaluate it; degree 13 nests A⁶), then
/// R = (V − U)⁻¹(V + U) by <c>PartialPivLU</c> and R squared s times.</item>
/// </list>
/// Products accumulate in index order, not in Eigen's blocked GEMM order, so results agree with TF to the precision's
/// rounding, not bit for bit on every matrix. A 0×0 matrix returns at once. TF registers no gradient.
/// </summary>
internal sealed class MatrixExponentialKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("MatrixExponential", n => new Exec.DelegateKernel(n, Compute));

    private static void Compute(OpKernelContext ctx)
    {
        var input = ctx.Input(0);
        if (input.DType is not (DataType.DtFloat or DataType.DtDouble or DataType.DtComplex64 or DataType.DtComplex128)) throw Common.KernelAttrs.BadType(ctx.Node, input.DType);
        if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {input.Shape.Rank}");
        if (input.Shape[-1] != input.Shape[-2]) throw ctx.Error("Input matrix must be square.");
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var output = ctx.AllocateOutput(0, input.DType, input.Shape);
        if (n == 0 || batch == 0) return;
        BatchedSquare.Run(ctx, input, output, batch, n, new Exp());
    }

    private readonly struct Exp : BatchedSquare.IFunction
    {
        public T[] Apply<T, TOps>(T[] a, int n) where T : struct where TOps : struct, IScalarOps<T> => Exponential<T, TOps>(a, n);
    }

    // Padé numerator coefficients bᵢ of Higham (2005), the ones Eigen's matrix_exp_pade3 … matrix_exp_pade13 use.
    private static readonly double[] Pade3 = [120, 60, 12, 1];
    private static readonly double[] Pade5 = [30240, 15120, 3360, 420, 30, 1];
    private static readonly double[] Pade7 = [17297280, 8648640, 1995840, 277200, 25200, 1512, 56, 1];
    private static readonly double[] Pade9 = [17643225600, 8821612800, 2075673600, 302702400, 30270240, 2162160, 110880, 3960, 90, 1];
    private static readonly double[] Pade13 =
    [
        64764752532480000, 32382376266240000, 7771770303897600, 1187353796428800, 129060195264000, 10559470521600,
        670442572800, 33522128640, 1323241920, 40840800, 960960, 16380, 182, 1,
    ];

    /// <summary>The Padé degree (as its coefficients) and the number of squarings Eigen's <c>matrix_exp_computeUV</c>
    /// picks for a 1-norm, in single or double precision.</summary>
    internal static (double[] Coefficients, int Squarings) Choose(double norm, bool single)
    {
        if (single)
        {
            float l1 = (float)norm;
            if (l1 < 0.4258730016922831f) return (Pade3, 0);
            if (l1 < 1.880152677804762f) return (Pade5, 0);
            return (Pade7, FrexpExponent(l1 / 3.925724783138660f));
        }
        if (norm < 1.495585217958292e-2) return (Pade3, 0);
        if (norm < 2.539398330063230e-1) return (Pade5, 0);
        if (norm < 9.504178996162932e-1) return (Pade7, 0);
        if (norm < 2.097847961257068) return (Pade9, 0);
        return (Pade13, FrexpExponent(norm / 5.371920351148152));
    }

    /// <summary>e of frexp(x) = m·2^e, m in [0.5, 1), clamped at 0 as Eigen does; glibc's frexp gives 0 for NaN/Inf.</summary>
    private static int FrexpExponent(double x) => double.IsFinite(x) && x > 0 ? Math.Max(0, Math.ILogB(x) + 1) : 0;

    internal static T[] Exponential<T, TOps>(T[] a, int n) where T : struct where TOps : struct, IScalarOps<T>
    {
        var (b, squarings) = Choose(DenseMatrix<T, TOps>.Norm1(a, n), TOps.Single);
        if (squarings > 0)
        {
            // MatrixExponentialScalingOp: ldexp(x, −s) on each (real and imaginary) part — exact, as is this product.
            double scale = Math.ScaleB(1.0, -squarings);
            a = Array.ConvertAll(a, v => TOps.Scale(v, scale));
        }
        var (u, v) = PadeUV<T, TOps>(a, n, b);
        // (V − U)·R = (V + U).
        var lhs = new T[n * n];
        var rhs = new T[n * n];
        for (int i = 0; i < n * n; i++) { rhs[i] = TOps.Add(u[i], v[i]); lhs[i] = TOps.Sub(v[i], u[i]); }
        DenseMatrix<T, TOps>.Solve(lhs, rhs, n, n);
        for (int s = 0; s < squarings; s++) rhs = DenseMatrix<T, TOps>.Mul(rhs, rhs, n, n, n);
        return rhs;
    }

    /// <summary>Σ cₖ·Mₖ over the terms in the order given (Eigen evaluates b₇·A⁶ + b₅·A⁴ + … left to right).</summary>
    private static T[] Combine<T, TOps>(int size, params (double C, T[] M)[] terms) where T : struct where TOps : struct, IScalarOps<T>
    {
        var r = new T[size];
        for (int t = 0; t < terms.Length; t++)
        {
            var (c, m) = terms[t];
            for (int i = 0; i < size; i++)
            {
                T term = TOps.Scale(m[i], c);
                r[i] = t == 0 ? term : TOps.Add(r[i], term);
            }
        }
        return r;
    }

    /// <summary>U (odd part, times A) and V (even part) of the Padé approximant with coefficients b, in the grouping of
    /// Eigen's matrix_exp_padeN.</summary>
    private static (T[] U, T[] V) PadeUV<T, TOps>(T[] a, int n, double[] b) where T : struct where TOps : struct, IScalarOps<T>
    {
        int nn = n * n;
        var eye = DenseMatrix<T, TOps>.Identity(n);
        var a2 = DenseMatrix<T, TOps>.Mul(a, a, n, n, n);
        if (b.Length == 14)
        {
            var a4 = DenseMatrix<T, TOps>.Mul(a2, a2, n, n, n);
            var a6 = DenseMatrix<T, TOps>.Mul(a4, a2, n, n, n);
            // V = b13·A⁶ + b11·A⁴ + b9·A²; tmp = A⁶·V; tmp += b7·A⁶ + b5·A⁴ + b3·A² + b1·I; U = A·tmp.
            var uTmp = DenseMatrix<T, TOps>.Mul(a6, Combine<T, TOps>(nn, (b[13], a6), (b[11], a4), (b[9], a2)), n, n, n);
            AddInto(uTmp, Combine<T, TOps>(nn, (b[7], a6), (b[5], a4), (b[3], a2), (b[1], eye)));
            // tmp = b12·A⁶ + b10·A⁴ + b8·A²; V = A⁶·tmp; V += b6·A⁶ + b4·A⁴ + b2·A² + b0·I.
            var v13 = DenseMatrix<T, TOps>.Mul(a6, Combine<T, TOps>(nn, (b[12], a6), (b[10], a4), (b[8], a2)), n, n, n);
            AddInto(v13, Combine<T, TOps>(nn, (b[6], a6), (b[4], a4), (b[2], a2), (b[0], eye)));
            return (DenseMatrix<T, TOps>.Mul(a, uTmp, n, n, n), v13);
        }
        // Degrees 3…9: I, A², A⁴ = A²·A², A⁶ = A⁴·A², A⁸ = A⁶·A² up to A^(degree−1).
        var powers = new List<T[]> { eye, a2 };
        while (powers.Count * 2 < b.Length) powers.Add(DenseMatrix<T, TOps>.Mul(powers[^1], a2, n, n, n));
        var odd = Combine<T, TOps>(nn, powers.Select((p, k) => (b[2 * k + 1], p)).Reverse().ToArray());
        var even = Combine<T, TOps>(nn, powers.Select((p, k) => (b[2 * k], p)).Reverse().ToArray());
        return (DenseMatrix<T, TOps>.Mul(a, odd, n, n, n), even);

        static void AddInto(T[] target, T[] add)
        {
            for (int i = 0; i < target.Length; i++) target[i] = TOps.Add(target[i], add[i]);
        }
    }
}
