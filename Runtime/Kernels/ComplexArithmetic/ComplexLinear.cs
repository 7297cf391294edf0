using System.Numerics;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.ComplexArithmetic;

/// <summary>The complex forms of MatMul / BatchMatMul (the real kernels in Linalg/MatMulKernels.cs hand complex here).</summary>
internal static class ComplexMatMul
{
    /// <summary>
    /// C = op(A)·op(B) for one matrix pair, where op transposes when <paramref name="ta"/>/<paramref name="tb"/> and also
    /// conjugates when <paramref name="conjugate"/>: MatMul's transpose_a/transpose_b are plain transposes
    /// (matmul_op_impl.h), BatchMatMul's adj_x/adj_y are conjugate transposes (adjoints). Every product is summed, zeros
    /// included (0·∞ = NaN as in TF's contraction). Offsets and sizes are in complex elements.
    /// </summary>
    public static void Multiply(bool ta, bool tb, bool conjugate, int m, int n, int k, Tensor a, long aOff, Tensor b, long bOff, Tensor c, long cOff)
    {
        var sa = ComplexData.Read(a, aOff, m * k);
        var sb = ComplexData.Read(b, bOff, k * n);
        var acc = new Complex[m * n];
        bool ca = ta && conjugate, cb = tb && conjugate;
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                var av = ta ? sa[p * m + i] : sa[i * k + p];
                if (ca) av = Complex.Conjugate(av);
                for (int j = 0; j < n; j++)
                {
                    var bv = tb ? sb[j * k + p] : sb[p * n + j];
                    if (cb) bv = Complex.Conjugate(bv);
                    acc[i * n + j] += ComplexMath.Multiply(av, bv);
                }
            }
        Store(c, cOff, acc);
    }

    // Writes a block of complex values at an element offset of a complex64/complex128 tensor.
    private static void Store(Tensor c, long offset, ReadOnlySpan<Complex> values)
    {
        if (c.DType == DataType.DtComplex128)
        {
            values.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Complex>(c.Bytes).Slice((int)offset, values.Length));
            return;
        }
        var f = c.AsSpan<float>().Slice((int)(2 * offset), 2 * values.Length);
        for (int i = 0; i < values.Length; i++)
        {
            f[2 * i] = (float)values[i].Real;
            f[2 * i + 1] = (float)values[i].Imaginary;
        }
    }
}

/// <summary>Sum, Prod and Mean over complex tensors (TF_CALL_NUMBER_TYPES in reduction_ops_sum.cc / _prod.cc /
/// _mean.cc includes complex64/complex128); the real kernel (Reduction/ReductionKernels.cs) hands complex here.</summary>
internal static class ComplexReduction
{
    /// <summary>True for the reductions TF defines on complex (Max/Min/All/Any are not).</summary>
    public static bool Supports(string op) => op is "Sum" or "Prod" or "Mean";

    /// <summary>
    /// Reduces <paramref name="x"/> into <paramref name="y"/> given the reduction plan's collapsed groups
    /// (<paramref name="groups"/> sizes, <paramref name="reduced"/> flags): sums/products in input order; Mean divides the
    /// sum by the element count (a real divisor, i.e. both parts divided); Mean of nothing is 0/0 = NaN + NaN·i, Sum 0,
    /// Prod 1.
    /// </summary>
    public static void Run(string op, Tensor x, Tensor y, int[] groups, bool[] reduced, long reduceCount)
    {
        var d = ComplexData.Target(y);
        bool prod = op == "Prod";
        d.Fill(prod ? Complex.One : Complex.Zero);
        var s = ComplexData.Read(x);
        if (!d.IsEmpty && !s.IsEmpty)
        {
            int rank = groups.Length;
            var outStride = new long[rank];
            long st = 1;
            for (int i = rank - 1; i >= 0; i--)
            {
                outStride[i] = reduced[i] ? 0 : st;
                if (!reduced[i]) st *= groups[i];
            }
            var idx = new int[rank];
            long yo = 0;
            for (int xi = 0; xi < s.Length; xi++)
            {
                d[(int)yo] = prod ? ComplexMath.Multiply(d[(int)yo], s[xi]) : d[(int)yo] + s[xi];
                for (int a = rank - 1; a >= 0; a--)
                {
                    yo += outStride[a];
                    if (++idx[a] < groups[a]) break;
                    yo -= outStride[a] * groups[a];
                    idx[a] = 0;
                }
            }
        }
        if (op == "Mean")
            for (int i = 0; i < d.Length; i++) d[i] = new Complex(d[i].Real / reduceCount, d[i].Imaginary / reduceCount);
        ComplexData.Commit(y, d);
    }
}

/// <summary>Cast to and from complex as TF's cast_op.h (Eigen <c>scalar_cast_op</c> specializations, "replicate numpy"):
/// complex → real keeps the real part, real → complex sets the imaginary part to 0, complex ↔ complex converts both parts.</summary>
internal static class ComplexCast
{
    /// <summary>complex64 ↔ complex128 (or same type) into <paramref name="o"/>.</summary>
    public static void ComplexToComplex(Tensor x, Tensor o)
    {
        var s = ComplexData.Read(x);
        var d = ComplexData.Target(o);
        s.CopyTo(d);
        ComplexData.Commit(o, d);
    }

    /// <summary>The real parts of a complex tensor as a new double tensor (then cast to the target real type as double
    /// is: TF casts the real part with static_cast).</summary>
    public static Tensor RealParts(Tensor x)
    {
        var s = ComplexData.Read(x);
        var r = new double[s.Length];
        for (int i = 0; i < s.Length; i++) r[i] = s[i].Real;
        return new Tensor(DataType.DtDouble, x.Shape, System.Runtime.InteropServices.MemoryMarshal.AsBytes(r.AsSpan()).ToArray());
    }

    /// <summary>(v, 0) for each value of a double tensor, into complex <paramref name="o"/>.</summary>
    public static void FromReal(Tensor doubles, Tensor o)
    {
        var s = doubles.AsSpan<double>();
        var d = ComplexData.Target(o);
        for (int i = 0; i < s.Length; i++) d[i] = new Complex(s[i], 0);
        ComplexData.Commit(o, d);
    }
}
