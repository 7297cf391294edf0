using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of <c>SelfAdjointEigV2</c>, <c>Svd</c> and <c>Eig</c>, after TF's linalg_grad.py (<c>_SelfAdjointEigV2Grad</c>,
/// <c>_SvdGrad</c>, <c>_EigGrad</c>, all with <c>_SafeReciprocal(x) = x / (x² + 1e-20)</c>), real and complex dtypes. A missing output gradient
/// is zeros, as TF's gradient machinery fills it. TF registers no gradient for <c>Lu</c>.
/// <para>
/// SelfAdjointEigV2: with <c>F = 1/(eⱼ − eᵢ)</c> off the diagonal (0 on it),
/// <c>G = V·(diag(dE) + F ⊙ (Vᴴ·dV))·Vᴴ</c> (without <c>compute_v</c>, V comes from a second SelfAdjointEigV2 and only
/// dE counts); the result is <c>tril(G + Gᴴ)</c> with the diagonal halved, i.e. the gradient lands on the lower triangle
/// the kernel reads.
/// </para>
/// <para>
/// Svd: without <c>compute_uv</c>, <c>U·diag(ds)·Vᴴ</c> from a second Svd(compute_uv=true). Otherwise Giles/Ionescu's
/// formula as TF writes it, on the wide orientation (a tall input swaps U/V and their gradients and transposes the
/// result): <c>term1 = U·(diag(ds) + (F⊙UᴴdU + h.c.)·S + S·(F⊙V₁ᴴdV₁ + h.c.))·V₁ᴴ</c> with <c>F = 1/(sⱼ² − sᵢ²)</c>, plus
/// for m ≠ n <c>U·S⁻¹·(dV₁ᴴ − dV₁ᴴV₁·V₁ᴴ [− V₁ᴴdV₂·V₂ᴴ under full_matrices])</c>. As in TF the matrix dims must be known
/// statically, and <c>full_matrices</c> with |m − n| &gt; 1 has no gradient. Complex inputs (e and s are then complex
/// with zero imaginary parts, as TF's ops type them) take TF's conjugate transposes and, for Svd, its extra
/// <c>½·U·S⁻¹·(Lᴴ − L)·V₁ᴴ</c> term; both are checked against central differences in ComplexGradientTests.
/// </para>
/// </summary>
internal static class SpectralGradients
{
    public static void Register()
    {
        GradientRegistry.Register("SelfAdjointEigV2", (c, op, g) =>
        {
            var b = c.Builder;
            var e = c.Out(op, 0);
            var gradE = g[0] ?? b.ZerosLike(e, "zeros_like");
            Output gradA;
            if (op.GetBool("compute_v", true))
            {
                var v = c.Out(op, 1);
                var gradV = g[1] ?? b.ZerosLike(v, "zeros_like_1");
                var f = DifferenceReciprocals(b, e, "");
                var inner = b.Add(MatrixDiag(b, gradE, "MatrixDiag"), b.Multiply(f, LinalgGradients.Bmm(b, v, gradV, true, false, "MatMul"), "mul"), "add");
                gradA = LinalgGradients.Bmm(b, v, LinalgGradients.Bmm(b, inner, v, false, true, "MatMul_1"), false, false, "MatMul_2");
            }
            else
            {
                var eig = b.AddOperation("SelfAdjointEigV2", [c.In(op, 0)], new Dictionary<string, AttrValue> { ["compute_v"] = Attrs.Bool(true) }, "SelfAdjointEigV2");
                var v = b.OutputOf(eig, 1);
                gradA = LinalgGradients.Bmm(b, v, LinalgGradients.Bmm(b, MatrixDiag(b, gradE, "MatrixDiag"), v, false, true, "MatMul"), false, false, "MatMul_1");
            }
            // tril(G + Gᴴ) with the diagonal halved; Gᴴ is formed as Gᴴ·I through BatchMatMul's adjoint flag, so the
            // batch rank need not be known statically.
            var eye = MatrixDiag(b, b.OnesLike(e, "ones_like"), "eye");
            var sym = b.Add(gradA, LinalgGradients.Bmm(b, gradA, eye, true, false, "adjoint"), "add_1");
            var lower = BandPart(b, sym, -1, 0, "MatrixBandPart");
            var halfDiag = b.Multiply(b.OutputOf(b.AddOperation("MatrixDiagPart", [lower], null, "MatrixDiagPart")), 0.5, "mul_1");
            return [b.OutputOf(b.AddOperation("MatrixSetDiag", [lower, halfDiag], null, "MatrixSetDiag"))];
        });

        GradientRegistry.Register("Eig", EigGrad);

        GradientRegistry.Register("Svd", (c, op, g) =>
        {
            var b = c.Builder;
            var a = c.In(op, 0);
            var s = c.Out(op, 0);
            var gradS = g[0] ?? b.ZerosLike(s, "zeros_like");
            // A complex Svd's s is real-valued (its imaginary part is identically 0), so only Re(grad_s) counts. TF's
            // formula takes grad_s as given; tf.linalg.svd hands out math_ops.real(s), so the grad_s reaching TF's op is
            // already real and both agree there. A raw Svd whose s feeds complex arithmetic needs the real part.
            if (ComplexGradients.IsComplex(gradS.BaseType))
            {
                var re = ComplexGradients.Part(c, "Real", gradS);
                gradS = ComplexGradients.MakeComplex(c, re, b.ZerosLike(re, "zeros_like_re"), "Complex");
            }
            var gradSMat = MatrixDiag(b, gradS, "MatrixDiag");
            if (!op.GetBool("compute_uv", true))
            {
                var svd = b.AddOperation("Svd", [a], new Dictionary<string, AttrValue> { ["compute_uv"] = Attrs.Bool(true), ["full_matrices"] = Attrs.Bool(false) }, "Svd");
                var u0 = b.OutputOf(svd, 1);
                var v0 = b.OutputOf(svd, 2);
                return [LinalgGradients.Bmm(b, u0, LinalgGradients.Bmm(b, gradSMat, v0, false, true, "MatMul"), false, false, "MatMul_1")];
            }
            var shape = StaticShapes.Of(b, a);
            if (shape == null || shape.Length < 2 || shape[^1] < 0 || shape[^2] < 0)
                throw new NotSupportedException($"SVD gradient has not been implemented for input with unknown inner matrix shape ('{op.Name}').");
            int rank = shape.Length;
            int m = (int)shape[^2], n = (int)shape[^1];
            bool full = op.GetBool("full_matrices", false);
            var u = c.Out(op, 1);
            var v = c.Out(op, 2);
            var gradU = g[1] ?? b.ZerosLike(u, "zeros_like_1");
            var gradV = g[2] ?? b.ZerosLike(v, "zeros_like_2");
            bool useAdjoint = m > n;
            if (useAdjoint)
            {
                (m, n) = (n, m);
                (u, v) = (v, u);
                (gradU, gradV) = (gradV, gradU);
            }
            if (full && Math.Abs(m - n) > 1)
                throw new NotSupportedException($"svd gradient is not implemented for abs(m - n) > 1 when full_matrices is True ('{op.Name}': m={m}, n={n}).");
            var sMat = MatrixDiag(b, s, "MatrixDiag_1");
            var f = DifferenceReciprocals(b, b.Square(s, "Square"), "_s2");
            var sInvMat = MatrixDiag(b, SafeReciprocal(b, s, "SafeReciprocal_s"), "MatrixDiag_2");
            var v1 = LastAxisSlice(b, v, rank, 0, m, "strided_slice");
            var gradV1 = LastAxisSlice(b, gradV, rank, 0, m, "strided_slice_1");
            var uGu = LinalgGradients.Bmm(b, u, gradU, true, false, "MatMul");
            var vGv = LinalgGradients.Bmm(b, v1, gradV1, true, false, "MatMul_1");
            var fU = b.Multiply(f, uGu, "mul");
            var fV = b.Multiply(f, vGv, "mul_1");
            // X + Xᴴ for square X, with Xᴴ as Xᴴ·I so the batch rank need not be spelled out.
            var eye = MatrixDiag(b, b.OnesLike(s, "ones_like"), "eye");
            var fUSym = b.Add(fU, LinalgGradients.Bmm(b, fU, eye, true, false, "adjoint"), "add");
            var fVSym = b.Add(fV, LinalgGradients.Bmm(b, fV, eye, true, false, "adjoint_1"), "add_1");
            var term1NoUv = b.Add(b.Add(gradSMat, LinalgGradients.Bmm(b, fUSym, sMat, false, false, "MatMul_2"), "add_2"),
                LinalgGradients.Bmm(b, sMat, fVSym, false, false, "MatMul_3"), "add_3");
            var result = LinalgGradients.Bmm(b, u, LinalgGradients.Bmm(b, term1NoUv, v1, false, true, "MatMul_4"), false, false, "MatMul_5");
            if (m != n)
            {
                var gv1t = ComplexGradients.Conj(c, Transpose(b, gradV1, rank, "transpose"), "Conj");
                var gv1tV1 = LinalgGradients.Bmm(b, gv1t, v1, false, false, "MatMul_6");
                var term2NoUs = b.Subtract(gv1t, LinalgGradients.Bmm(b, gv1tV1, v1, false, true, "MatMul_7"), "sub");
                if (full)
                {
                    var v2 = LastAxisSlice(b, v, rank, m, n - m, "strided_slice_2");
                    var gradV2 = LastAxisSlice(b, gradV, rank, m, n - m, "strided_slice_3");
                    var v1tGv2 = LinalgGradients.Bmm(b, v1, gradV2, true, false, "MatMul_8");
                    term2NoUs = b.Subtract(term2NoUs, LinalgGradients.Bmm(b, v1tGv2, v2, false, true, "MatMul_9"), "sub_1");
                }
                var uSInv = LinalgGradients.Bmm(b, u, sInvMat, false, false, "MatMul_10");
                result = b.Add(result, LinalgGradients.Bmm(b, uSInv, term2NoUs, false, false, "MatMul_11"), "add_4");
            }
            if (ComplexGradients.IsComplex(a.BaseType))
            {
                // TF's complex term: ½·U·S⁻¹·(Lᴴ − L)·V₁ᴴ with L = I ⊙ V₁ᴴdV₁ — the imaginary part of the diagonal of
                // V₁ᴴdV₁, i.e. the gauge freedom of a complex singular pair's common phase.
                var l = b.Multiply(eye, vGv, "mul_2");
                var term3NoUv = LinalgGradients.Bmm(b, sInvMat, b.Subtract(LinalgGradients.Bmm(b, l, eye, true, false, "adjoint_2"), l, "sub_2"), false, false, "MatMul_12");
                var term3 = LinalgGradients.Bmm(b, u, LinalgGradients.Bmm(b, term3NoUv, v1, false, true, "MatMul_13"), false, false, "MatMul_14");
                result = b.Add(result, b.Multiply(term3, 0.5, "mul_3"), "add_5");
            }
            return [useAdjoint ? ComplexGradients.Conj(c, Transpose(b, result, rank, "transpose_1"), "Conj_1") : result];
        });
    }

    /// <summary>
    /// TF's <c>_EigGrad</c> (Boeddeker et al. eq. 4.77, distinct eigenvalues): with Vᴴ the adjoint of the eigenvectors and
    /// F = conj(1/(eⱼ − eᵢ)) off the diagonal, <c>mid = diag(dE) + F ⊙ (VᴴdV − VᴴV·diag(Re diag(VᴴdV)))</c> and the
    /// gradient solves <c>Vᴴ·G = mid·Vᴴ</c>; without <c>compute_v</c>, V comes from a second Eig and only dE counts. The
    /// result is cast to the input's dtype (the real part for a float/double input, as TF's Cast from complex). The
    /// Re-diagonal term removes the dependence on each eigenvector's phase, so a loss that uses an eigenvector's phase has
    /// no meaningful gradient — as in TF.
    /// </summary>
    private static Output?[] EigGrad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var a = c.In(op, 0);
        var e = c.Out(op, 0);
        var gradE = g[0] ?? b.ZerosLike(e, "zeros_like");
        Output v, rhs;
        if (op.GetBool("compute_v", true))
        {
            v = c.Out(op, 1);
            var gradV = g[1] ?? b.ZerosLike(v, "zeros_like_1");
            var f = ComplexGradients.Conj(c, DifferenceReciprocals(b, e, ""), "Conj");
            var vgv = LinalgGradients.Bmm(b, v, gradV, true, false, "MatMul");
            var diagRe = ComplexGradients.Part(c, "Real", b.OutputOf(b.AddOperation("MatrixDiagPart", [vgv], null, "MatrixDiagPart")));
            var realDiag = ComplexGradients.MakeComplex(c, diagRe, b.ZerosLike(diagRe, "zeros_like_2"), "Complex");
            var vtv = LinalgGradients.Bmm(b, v, v, true, false, "MatMul_1");
            var correction = b.Subtract(vgv, LinalgGradients.Bmm(b, vtv, MatrixDiag(b, realDiag, "MatrixDiag"), false, false, "MatMul_2"), "sub");
            var mid = b.Add(MatrixDiag(b, gradE, "MatrixDiag_1"), b.Multiply(f, correction, "mul"), "add");
            rhs = LinalgGradients.Bmm(b, mid, v, false, true, "MatMul_3");
        }
        else
        {
            var eig = b.AddOperation("Eig", [a], new Dictionary<string, AttrValue> { ["compute_v"] = Attrs.Bool(true), ["Tout"] = Attrs.Type(e.BaseType) }, "Eig");
            v = b.OutputOf(eig, 1);
            rhs = LinalgGradients.Bmm(b, MatrixDiag(b, gradE, "MatrixDiag"), v, false, true, "MatMul");
        }
        // Vᴴ as Vᴴ·I, so the batch rank need not be known statically.
        var vt = LinalgGradients.Bmm(b, v, MatrixDiag(b, b.OnesLike(e, "ones_like"), "eye"), true, false, "adjoint");
        var gradA = b.OutputOf(b.AddOperation("MatrixSolve", [vt, rhs], new Dictionary<string, AttrValue> { ["adjoint"] = Attrs.Bool(false) }, "MatrixSolve"));
        return [gradA.BaseType == a.BaseType ? gradA : b.Cast(gradA, a.BaseType, "Cast")];
    }

    /// <summary>TF's <c>_SafeReciprocal</c>: <c>x · 1/(x² + 1e-20)</c>.</summary>
    private static Output SafeReciprocal(GraphBuilder b, Output x, string name)
        => b.Multiply(x, b.Reciprocal(b.Binary("AddV2", b.Multiply(x, x, name + "/mul"), 1e-20, name + "/add"), name + "/Reciprocal"), name);

    /// <summary><c>matrix_set_diag(SafeReciprocal(expand_dims(x, -2) − expand_dims(x, -1)), 0)</c>: entry (i, j) is
    /// 1/(xⱼ − xᵢ) off the diagonal.</summary>
    private static Output DifferenceReciprocals(GraphBuilder b, Output x, string suffix)
    {
        var diff = b.Subtract(b.ExpandDims(x, -2, "ExpandDims" + suffix), b.ExpandDims(x, -1, "ExpandDims_1" + suffix), "sub" + suffix);
        var recip = SafeReciprocal(b, diff, "SafeReciprocal" + suffix);
        return b.OutputOf(b.AddOperation("MatrixSetDiag", [recip, b.ZerosLike(x, "zeros_like" + suffix)], null, "MatrixSetDiag" + suffix));
    }

    private static Output MatrixDiag(GraphBuilder b, Output diagonal, string name)
        => b.OutputOf(b.AddOperation("MatrixDiag", [diagonal], null, name));

    private static Output BandPart(GraphBuilder b, Output x, long lower, long upper, string name)
        => b.OutputOf(b.AddOperation("MatrixBandPart",
            [x, b.Constant(Tensor.FromScalar(lower), name + "/num_lower"), b.Constant(Tensor.FromScalar(upper), name + "/num_upper")], null, name));

    /// <summary>Swaps the last two dims of a rank-<paramref name="rank"/> tensor.</summary>
    private static Output Transpose(GraphBuilder b, Output x, int rank, string name)
    {
        var perm = Enumerable.Range(0, rank).ToArray();
        (perm[^1], perm[^2]) = (perm[^2], perm[^1]);
        return b.Transpose(x, perm, name);
    }

    // x[..., :, start:start+size], named as TF's strided slices.
    private static Output LastAxisSlice(GraphBuilder b, Output x, int rank, int start, int size, string name)
        => QrGradient.LastAxisSlice(b, x, rank, start, size, name);
}
