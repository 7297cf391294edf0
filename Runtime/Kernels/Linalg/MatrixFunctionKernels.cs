using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// Matrix functions over the innermost two (square) dims, batched, as TF's <c>matrix_square_root_op.cc</c>
/// and <c>matrix_logarithm_op.cc</c> (each a <c>LinearAlgebraOp</c> calling Eigen's
/// unsupported MatrixFunctions module; a 0×0 matrix returns at once), computed in double / complex double and rounded
/// once on output:
/// <list type="bullet">
/// <item><c>MatrixSquareRoot</c> (float, double, complex64, complex128 — the dtypes TF registers): the principal square
/// root Q·√T·Qᴴ from a complex Schur form A = Q·T·Qᴴ (<see cref="ComplexMatrices.Schur"/>) and Eigen's triangular
/// recurrence. For real input Eigen works on the real Schur form, where a negative real eigenvalue is a 1×1 block whose
/// real <c>sqrt</c> is NaN, and Q·√T·Qᵀ then spreads that NaN to every entry; we return all-NaN when a real input has an
/// eigenvalue with negative real part and an imaginary part below n·ε·‖A‖₁ (the Schur form of a real matrix holds
/// real eigenvalues only up to rounding; a complex pair closer to the real axis than that is a borderline case where
/// Eigen's 2×2 block test may decide otherwise). Otherwise the real part of the (real) root is returned.</item>
/// <item><c>MatrixLogarithm</c> (complex64, complex128 only — TF does not register real types, its comment says the
/// real part alone would be wrong for matrices with negative eigenvalues): the principal logarithm Q·log(T)·Qᴴ, log(T)
/// by inverse scaling and squaring (square roots of T until ‖T − I‖₁ ≤ 0.25, then the 8-point Gauss–Legendre form of
/// the [8/8] Padé approximant of log(I + X), times 2ˢ, its diagonal then set to log(Tᵢᵢ) directly) in place of Eigen's Schur–Parlett blocking — the principal
/// logarithm is unique, so both agree up to rounding. A 1×1 matrix is <c>std::log</c> of its entry; a larger matrix
/// with an exactly zero eigenvalue in its Schur form (singular, whose logarithm does not exist; Eigen produces −∞/NaN
/// entries) gives all-NaN. TF registers no gradient.</item>
/// </list>
/// Non-finite input gives NaN output (the Schur iteration does not converge; Eigen returns whatever its unconverged
/// iteration held, without an error).
/// </summary>
internal sealed class MatrixFunctionKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MatrixSquareRoot", n => new Exec.DelegateKernel(n, ctx => Apply(ctx, complexOnly: false, SquareRoot)));
        registry.Add("MatrixLogarithm", n => new Exec.DelegateKernel(n, ctx => Apply(ctx, complexOnly: true, (a, size, _) => Logarithm(a, size))));
    }

    private static void Apply(OpKernelContext ctx, bool complexOnly, Func<Complex[], int, bool, Complex[]> f)
    {
        var input = ctx.Input(0);
        bool isComplex = ComplexMatrices.IsComplex(input.DType);
        if (!isComplex && (complexOnly || input.DType is not (DataType.DtFloat or DataType.DtDouble))) throw KernelAttrs.BadType(ctx.Node, input.DType);
        if (input.Shape.Rank < 2) throw ctx.Error($"Input tensor 0 must have rank >= 2, got {input.Shape.Rank}");
        if (input.Shape[-1] != input.Shape[-2]) throw ctx.Error("Input matrix must be square.");
        var (batch, n, _) = MatrixDecompositionKernels.Matrices(ctx, input, "Input", square: true);
        var output = ctx.AllocateOutput(0, input.DType, input.Shape);
        if (n == 0 || batch == 0) return;
        var a = ComplexMatrices.Read(ctx, input);
        var result = new Complex[a.Length];
        for (int b = 0; b < batch; b++)
            f(ComplexMatrices.Block(a, b * n * n, n * n), n, isComplex).CopyTo(result, b * n * n);
        ComplexMatrices.Write(output, result);
    }

    private static Complex[] NaNs(int n) => Enumerable.Repeat(new Complex(double.NaN, double.NaN), n * n).ToArray();

    internal static Complex[] SquareRoot(Complex[] a, int n, bool isComplex)
    {
        if (!ComplexMatrices.Schur(a, n, out var t, out var q)) return NaNs(n);
        if (!isComplex)
        {
            double realAxis = n * 2.220446049250313e-16 * ComplexMatrices.Norm1(a, n);
            for (int i = 0; i < n; i++)
            {
                var d = t[i * n + i];
                if (d.Real < 0 && Math.Abs(d.Imaginary) <= realAxis) return NaNs(n);
            }
        }
        return ComplexMatrices.Similarity(q, ComplexMatrices.TriangularSqrt(t, n), n);
    }

    // Gauss–Legendre nodes/weights on [0, 1] for log(I + X) = ∫₀¹ X(I + tX)⁻¹ dt (the [m/m] Padé approximant).
    private static readonly (double T, double W)[] LogQuadrature = GaussLegendre01(8);

    private static (double T, double W)[] GaussLegendre01(int m)
    {
        var r = new (double, double)[m];
        for (int i = 0; i < m; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (m + 0.5));
            double dp = 0;
            for (int it = 0; it < 100; it++)
            {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= m; k++) { double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
                dp = m * (x * p1 - p0) / (x * x - 1);
                double dx = p1 / dp;
                x -= dx;
                if (Math.Abs(dx) < 1e-16) break;
            }
            double w = 2 / ((1 - x * x) * dp * dp);
            r[i] = ((x + 1) / 2, w / 2);
        }
        return r;
    }

    internal static Complex[] Logarithm(Complex[] a, int n)
    {
        if (n == 1) return [Complex.Log(a[0])];
        if (!ComplexMatrices.Schur(a, n, out var t, out var q)) return NaNs(n);
        for (int i = 0; i < n; i++)
            if (t[i * n + i] == Complex.Zero) return NaNs(n);
        var original = (Complex[])t.Clone();
        int roots = 0;
        while (roots < 64)
        {
            var x = (Complex[])t.Clone();
            for (int i = 0; i < n; i++) x[i * n + i] -= 1;
            if (ComplexMatrices.Norm1(x, n) <= 0.25) break;
            t = ComplexMatrices.TriangularSqrt(t, n);
            roots++;
        }
        for (int i = 0; i < n; i++) t[i * n + i] -= 1;   // t is now X, upper triangular
        var log = new Complex[n * n];
        foreach (var (node, weight) in LogQuadrature)
        {
            // Y = (I + node·X)⁻¹·X by back substitution (both factors upper triangular and commuting).
            var y = (Complex[])t.Clone();
            for (int j = 0; j < n; j++)
                for (int i = j; i >= 0; i--)
                {
                    var s = y[i * n + j];
                    for (int k = i + 1; k <= j; k++) s -= node * t[i * n + k] * y[k * n + j];
                    y[i * n + j] = s / (1 + node * t[i * n + i]);
                }
            for (int i = 0; i < n * n; i++) log[i] += weight * y[i];
        }
        double scale = Math.ScaleB(1.0, roots);
        for (int i = 0; i < n * n; i++) log[i] *= scale;
        // The diagonal of log(T) is exactly log(Tᵢᵢ): taken directly (std::log, as Eigen's 1×1 atomic blocks), which
        // avoids the rounding the repeated square roots leave on it (Al-Mohy & Higham's recomputation of the diagonal).
        for (int i = 0; i < n; i++) log[i * n + i] = Complex.Log(original[i * n + i]);
        return ComplexMatrices.Similarity(q, log, n);
    }
}
