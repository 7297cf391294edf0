using System.Numerics;

namespace TypedGraph.Tests.Support;

/// <summary>Independent complex references for the linear-algebra tests.</summary>
internal static class ComplexReference
{
    /// <summary>det(A) of a row-major n×n matrix by Gaussian elimination with partial pivoting, in Complex (double).</summary>
    public static Complex Determinant(Complex[] a, int n)
    {
        var m = (Complex[])a.Clone();
        Complex det = 1;
        for (int c = 0; c < n; c++)
        {
            int p = c;
            for (int i = c + 1; i < n; i++) if (Complex.Abs(m[i * n + c]) > Complex.Abs(m[p * n + c])) p = i;
            if (p != c) { det = -det; for (int j = 0; j < n; j++) (m[c * n + j], m[p * n + j]) = (m[p * n + j], m[c * n + j]); }
            det *= m[c * n + c];
            for (int i = c + 1; i < n; i++)
            {
                var f = m[i * n + c] / m[c * n + c];
                for (int j = c; j < n; j++) m[i * n + j] -= f * m[c * n + j];
            }
        }
        return det;
    }
}
