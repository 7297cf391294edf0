using System.Numerics;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.ComplexArithmetic;

/// <summary>
/// complex64/complex128 forms of the elementwise ops TF registers on complex types (cwise_op_*.cc), checked against
/// System.Numerics.Complex reference loops written here (broadcast index arithmetic included), plus the edge cases TF's
/// formulas define: Eigen's complex_sqrt/complex_rsqrt branches and extremes, log 0, hypot without overflow,
/// DivNoNan / MulNoNan / Xlogy / Xdivy zero rules, SquaredDifference = |a − b|².
/// </summary>
public class ComplexArithmeticKernelTests
{
    internal static Complex[] Random(int count, int seed, double scale = 2)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex((r.NextDouble() - 0.5) * scale, (r.NextDouble() - 0.5) * scale)).ToArray();
    }

    /// <summary>A complex64 tensor of the values (rounded to float).</summary>
    internal static Tensor C64(Complex[] values, params int[] shape)
    {
        var t = Tensor.Zeros(DataType.DtComplex64, new TensorShape(shape));
        var f = t.AsSpan<float>();
        for (int i = 0; i < values.Length; i++) { f[2 * i] = (float)values[i].Real; f[2 * i + 1] = (float)values[i].Imaginary; }
        return t;
    }

    /// <summary>The values of a complex64 or complex128 tensor.</summary>
    internal static Complex[] Values(Tensor t)
    {
        if (t.DType == DataType.DtComplex128) return t.ToArray<Complex>();
        Assert.Equal(DataType.DtComplex64, t.DType);
        var f = t.ToArray<float>();
        return Enumerable.Range(0, f.Length / 2).Select(i => new Complex(f[2 * i], f[2 * i + 1])).ToArray();
    }

    internal static Complex Round32(Complex z) => new((float)z.Real, (float)z.Imaginary);

    internal static void Close(Complex[] expected, Complex[] actual, double relTol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Complex.Abs(expected[i] - actual[i]);
            Assert.True(err <= relTol * Math.Max(1, Complex.Abs(expected[i])), $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    // out[i] = f(a[ia], b[ib]) with numpy broadcasting, written with explicit multi-indices.
    internal static Complex[] BroadcastRef(Complex[] a, int[] aShape, Complex[] b, int[] bShape, Func<Complex, Complex, Complex> f, out int[] outShape)
    {
        int rank = Math.Max(aShape.Length, bShape.Length);
        int Dim(int[] s, int d) => d < rank - s.Length ? 1 : s[d - (rank - s.Length)];
        outShape = Enumerable.Range(0, rank).Select(d => Math.Max(Dim(aShape, d), Dim(bShape, d))).ToArray();
        int total = outShape.Aggregate(1, (x, y) => x * y);
        var result = new Complex[total];
        var idx = new int[rank];
        for (int o = 0; o < total; o++)
        {
            int rem = o;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % outShape[d]; rem /= outShape[d]; }
            int Flat(int[] s)
            {
                int off = 0;
                for (int d = 0; d < rank; d++)
                {
                    int size = Dim(s, d);
                    off = off * size + (size == 1 ? 0 : idx[d]);
                }
                return off;
            }
            result[o] = f(a[Flat(aShape)], b[Flat(bShape)]);
        }
        return result;
    }

    public static TheoryData<string> BinaryOps => new() { "Add", "AddV2", "Sub", "Mul", "Div", "RealDiv", "Pow", "SquaredDifference", "Xlogy", "Xdivy", "DivNoNan", "MulNoNan" };

    private static Complex BinaryRef(string op, Complex x, Complex y) => op switch
    {
        "Add" or "AddV2" => x + y,
        "Sub" => x - y,
        "Mul" => x * y,
        "Div" or "RealDiv" or "DivNoNan" or "Xdivy" => x / y,
        "Pow" => Complex.Exp(y * Complex.Log(x)),
        "SquaredDifference" => (x - y) * Complex.Conjugate(x - y),
        "Xlogy" => x * Complex.Log(y),
        "MulNoNan" => x * y,
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void Binary_op_on_complex128_and_complex64_broadcasts_like_a_reference_loop(string op)
    {
        int[] aShape = [2, 1, 3], bShape = [4, 1];
        var a = Random(6, 1);
        var b = Random(4, 2);
        var expected = BroadcastRef(a, aShape, b, bShape, (x, y) => BinaryRef(op, x, y), out var outShape);
        var got = Compute1(op, [Tensor.Create(a, aShape), Tensor.Create(b, bShape)]);
        Assert.Equal(DataType.DtComplex128, got.DType);
        Assert.Equal(outShape, got.Shape.ToArray());
        Close(expected, Values(got), 1e-14, op);
        // complex64: inputs rounded to float, result within float accuracy of the double reference on those inputs.
        var a32 = a.Select(Round32).ToArray();
        var b32 = b.Select(Round32).ToArray();
        var expected32 = BroadcastRef(a32, aShape, b32, bShape, (x, y) => BinaryRef(op, x, y), out _);
        var got32 = Compute1(op, [C64(a, aShape), C64(b, bShape)]);
        Assert.Equal(DataType.DtComplex64, got32.DType);
        Close(expected32, Values(got32), 3e-7, op + " complex64");
        // Same-shape and scalar operands take other paths: check them too.
        var same = Compute1(op, [Tensor.Create(a, 6), Tensor.Create(b.Concat(b).Take(6).ToArray(), 6)]);
        Close(a.Zip(b.Concat(b).Take(6), (x, y) => BinaryRef(op, x, y)).ToArray(), Values(same), 1e-14, op + " same shape");
        var scalar = Compute1(op, [Tensor.Create(new[] { b[0] }, []), Tensor.Create(a, 6)]);
        Close(a.Select(y => BinaryRef(op, b[0], y)).ToArray(), Values(scalar), 1e-14, op + " scalar ⊕ row");
    }

    [Fact]
    public void The_zero_rules_of_DivNoNan_MulNoNan_Xlogy_Xdivy_are_TFs()
    {
        Complex inf = new(double.PositiveInfinity, 0), nan = new(double.NaN, 0);
        // div_no_nan_op<complex>: 0 when b == 0 (even for a = ∞/NaN) or a·conj(b) == 0.
        var divNoNan = Values(Compute1("DivNoNan", [Tensor.Create(new[] { inf, nan, Complex.Zero, new Complex(1, 2) }, 4), Tensor.Create(new[] { Complex.Zero, Complex.Zero, new Complex(1e-200, 1e-200), new Complex(0, 2) }, 4)]));
        Assert.Equal(new[] { Complex.Zero, Complex.Zero, Complex.Zero, new Complex(1, -0.5) }, divNoNan);
        // mul_no_nan: 0 when b == 0 even for an infinite a; ∞·b otherwise.
        var mulNoNan = Values(Compute1("MulNoNan", [Tensor.Create(new[] { inf, new Complex(2, 3) }, 2), Tensor.Create(new[] { Complex.Zero, new Complex(0, 1) }, 2)]));
        Assert.Equal(new[] { Complex.Zero, new Complex(-3, 2) }, mulNoNan);
        // xlogy / xdivy: 0 when x == 0, even where log y = −∞ or y = 0.
        Assert.Equal(new[] { Complex.Zero }, Values(Compute1("Xlogy", [Tensor.Create(new[] { Complex.Zero }, 1), Tensor.Create(new[] { Complex.Zero }, 1)])));
        Assert.Equal(new[] { Complex.Zero }, Values(Compute1("Xdivy", [Tensor.Create(new[] { Complex.Zero }, 1), Tensor.Create(new[] { Complex.Zero }, 1)])));
        // SquaredDifference is |a − b|² with a zero imaginary part, not (a − b)².
        var sd = Values(Compute1("SquaredDifference", [Tensor.Create(new[] { new Complex(1, 2) }, 1), Tensor.Create(new[] { new Complex(0, 0) }, 1)]));
        Assert.Equal(new[] { new Complex(5, 0) }, sd);
    }

    [Fact]
    public void Division_scales_the_divisor_so_huge_and_tiny_divisors_do_not_overflow()
    {
        // |b|² overflows (1e300²) and underflows (1e-300²) in the textbook formula; Eigen's pdiv_complex scales b first.
        var a = new[] { new Complex(1e300, 1e300), new Complex(1e-300, 2e-300) };
        var b = new[] { new Complex(1e300, 1e300), new Complex(1e-300, 1e-300) };
        var q = Values(Compute1("Div", [Tensor.Create(a, 2), Tensor.Create(b, 2)]));
        Close([Complex.One, new Complex(1.5, 0.5)], q, 1e-15, "a / b");
    }

    public static TheoryData<string> UnaryOps => new() { "Neg", "Square", "Reciprocal", "Inv", "Sqrt", "Rsqrt", "Exp", "Log", "Log1p", "Expm1", "Sin", "Cos", "Tan", "Sinh", "Cosh", "Tanh", "Sigmoid", "Sign" };

    private static Complex UnaryRef(string op, Complex z) => op switch
    {
        "Neg" => -z,
        "Square" => z * z,
        "Reciprocal" or "Inv" => 1 / z,
        "Sqrt" => Complex.Sqrt(z),
        "Rsqrt" => 1 / Complex.Sqrt(z),
        "Exp" => Complex.Exp(z),
        "Log" => Complex.Log(z),
        "Log1p" => Complex.Log(1 + z),
        "Expm1" => Complex.Exp(z) - 1,
        "Sin" => Complex.Sin(z),
        "Cos" => Complex.Cos(z),
        "Tan" => Complex.Tan(z),
        "Sinh" => Complex.Sinh(z),
        "Cosh" => Complex.Cosh(z),
        "Tanh" => Complex.Tanh(z),
        "Sigmoid" => 1 / (1 + Complex.Exp(-z)),
        "Sign" => z / Complex.Abs(z),
        _ => throw new ArgumentException(op),
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_op_on_complex_matches_System_Numerics_Complex(string op)
    {
        var z = Random(12, 3, scale: 4);
        var got = Compute1(op, [Tensor.Create(z, 3, 4)]);
        Assert.Equal([3, 4], got.Shape.ToArray());
        Close(z.Select(v => UnaryRef(op, v)).ToArray(), Values(got), 1e-13, op);
        var z32 = z.Select(Round32).ToArray();
        var got32 = Compute1(op, [C64(z, 3, 4)]);
        Assert.Equal(DataType.DtComplex64, got32.DType);
        Close(z32.Select(v => UnaryRef(op, v)).ToArray(), Values(got32), 4e-7, op + " complex64");
    }

    [Fact]
    public void Log1p_and_Expm1_keep_their_digits_for_tiny_arguments()
    {
        var z = new Complex(1e-10, 2e-10);
        // log(1 + z) = z − z²/2 + …  and  e^z − 1 = z + z²/2 + …  to ~1e-30 here; the naive forms lose ~6 digits.
        var log1p = Values(Compute1("Log1p", [Tensor.Create(new[] { z }, 1)]))[0];
        var expm1 = Values(Compute1("Expm1", [Tensor.Create(new[] { z }, 1)]))[0];
        Close([z - z * z / 2], [log1p], 1e-15, "log1p");
        Close([z + z * z / 2], [expm1], 1e-15, "expm1");
    }

    [Fact]
    public void Sqrt_and_Rsqrt_follow_Eigens_branch_cut_and_extreme_values()
    {
        double inf = double.PositiveInfinity;
        var input = new[]
        {
            new Complex(-4, 0), new Complex(-4, -0.0), new Complex(0, 0), new Complex(0, 2),
            new Complex(1, inf), new Complex(inf, 3), new Complex(-inf, 3), new Complex(double.NaN, 1), new Complex(1e308, 1e308),
        };
        var s = Values(Compute1("Sqrt", [Tensor.Create(input, input.Length)]));
        Assert.Equal(new Complex(0, 2), s[0]);                 // principal root above the cut
        Assert.Equal(new Complex(0, -2), s[1]);                // −0 imaginary part: below the cut
        Assert.Equal(Complex.Zero, s[2]);
        Close([new Complex(1, 1)], [s[3]], 1e-15, "sqrt(2i)");
        Assert.Equal(new Complex(inf, inf), s[4]);
        Assert.Equal(new Complex(inf, 0), s[5]);
        Assert.Equal(new Complex(0, inf), s[6]);
        Assert.True(double.IsNaN(s[7].Real) && double.IsNaN(s[7].Imaginary));
        // |z| overflows double here; the scaled evaluation does not.
        Close([Complex.Sqrt(new Complex(1, 1)) * Math.Sqrt(1e308)], [s[8]], 1e-15, "sqrt(huge)");
        var r = Values(Compute1("Rsqrt", [Tensor.Create(input, input.Length)]));
        Close([new Complex(0, -0.5)], [r[0]], 1e-15, "rsqrt(-4)");
        Assert.True(double.IsPositiveInfinity(r[2].Real) && double.IsNaN(r[2].Imaginary), $"rsqrt(0) = {r[2]}");
        Assert.Equal(Complex.Zero, r[4]);
        Close([1 / Complex.Sqrt(new Complex(1, 1)) / Math.Sqrt(1e308)], [r[8]], 1e-15, "rsqrt(huge)");
    }

    [Fact]
    public void Log_of_zero_is_minus_infinity_and_abs_uses_hypot()
    {
        var log = Values(Compute1("Log", [Tensor.Create(new[] { Complex.Zero, new Complex(-1, 0) }, 2)]));
        Assert.Equal(double.NegativeInfinity, log[0].Real);
        Assert.Equal(0, log[0].Imaginary);
        Close([new Complex(0, Math.PI)], [log[1]], 1e-15, "log(-1)");
        var abs = Compute1("ComplexAbs", [Tensor.Create(new[] { new Complex(Math.ScaleB(3, 1000), Math.ScaleB(4, 1000)), new Complex(Math.ScaleB(3, -1060), -Math.ScaleB(4, -1060)) }, 2)]);
        Assert.Equal(DataType.DtDouble, abs.DType);
        // |z|² overflows (2^2000) and underflows (2^-2120) in double; hypot gives 5·2^k exactly.
        Assert.Equal(new[] { Math.ScaleB(5, 1000), Math.ScaleB(5, -1060) }, abs.ToArray<double>());
    }

    [Fact]
    public void Complex_real_imag_angle_abs_and_conj_take_values_apart_and_back()
    {
        // Complex(real [2,3], imag [3]) broadcasts like a binary op.
        float[] re = [1, -2, 3, 0, 5, -6];
        float[] im = [0.5f, -1, 2];
        var z = Compute1("Complex", [Tensor.Create(re, 2, 3), Tensor.Create(im, 3)]);
        Assert.Equal(DataType.DtComplex64, z.DType);
        var expected = Enumerable.Range(0, 6).Select(i => new Complex(re[i], im[i % 3])).ToArray();
        Assert.Equal(expected, Values(z));
        Assert.Equal(re, Compute1("Real", [z]).ToArray<float>());
        Assert.Equal(Enumerable.Range(0, 6).Select(i => im[i % 3]).ToArray(), Compute1("Imag", [z]).ToArray<float>());
        Assert.Equal(expected.Select(c => (float)Math.Atan2(c.Imaginary, c.Real)).ToArray(), Compute1("Angle", [z]).ToArray<float>());
        Assert.Equal(expected.Select(c => (float)Complex.Abs(c)).ToArray(), Compute1("ComplexAbs", [z]).ToArray<float>());
        Assert.Equal(expected.Select(Complex.Conjugate).ToArray(), Values(Compute1("Conj", [z])));
        // double parts → complex128 and back.
        var z128 = Compute1("Complex", [Tensor.Create(new double[] { 1.5 }, []), Tensor.Create(new double[] { -2, 3 }, 2)], Attrs(("Tout", DataType.DtComplex128)));
        Assert.Equal(new[] { new Complex(1.5, -2), new Complex(1.5, 3) }, Values(z128));
        Assert.Equal(new[] { -2.0, 3.0 }, Compute1("Imag", [z128]).ToArray<double>());
        // Real/Conj are complex-only kernels; a Tout that does not match the parts is refused.
        Assert.Contains("Real", Assert.Throws<GraphExecutionException>(() => Compute1("Real", [Tensor.Create(re, 6)])).Message);
        Assert.Contains("Tout", Assert.Throws<GraphExecutionException>(() => Compute1("Real", [z], Attrs(("Tout", DataType.DtDouble)))).Message);
        Assert.Throws<GraphExecutionException>(() => Compute1("Complex", [Tensor.Create(re, 6), Tensor.Create(new double[6], 6)]));
    }

    [Fact]
    public void Equal_NotEqual_and_AddN_on_complex()
    {
        var a = new[] { new Complex(1, 2), new Complex(1, 2), new Complex(double.NaN, 0) };
        var b = new[] { new Complex(1, 2), new Complex(1, -2), new Complex(double.NaN, 0) };
        Assert.Equal(new[] { true, false, false }, Compute1("Equal", [Tensor.Create(a, 3), Tensor.Create(b, 3)]).ToArray<bool>());
        Assert.Equal(new[] { false, true, true }, Compute1("NotEqual", [Tensor.Create(a, 3), Tensor.Create(b, 3)]).ToArray<bool>());
        // Broadcast comparison against a scalar, complex64.
        Assert.Equal(new[] { true, true, false }, Compute1("Equal", [C64(a, 3), C64([new Complex(1, 2)], [])]).ToArray<bool>());
        Assert.Throws<GraphExecutionException>(() => Compute1("Less", [Tensor.Create(a, 3), Tensor.Create(b, 3)]));
        var x = Random(6, 7);
        var y = Random(6, 8);
        var w = Random(6, 9);
        Close(x.Select((v, i) => v + y[i] + w[i]).ToArray(), Values(Compute1("AddN", [Tensor.Create(x, 2, 3), Tensor.Create(y, 2, 3), Tensor.Create(w, 2, 3)])), 1e-15, "AddN");
        Close(x.Select((v, i) => v + y[i]).ToArray(), Values(Compute1("AddN", [C64(x, 6), C64(y, 6)])), 3e-7, "AddN complex64");
    }

    [Fact]
    public void Ops_TF_does_not_define_on_complex_are_refused_by_name()
    {
        var z = Tensor.Create(Random(2, 1), 2);
        foreach (var op in new[] { "Maximum", "FloorDiv", "Atan2" })
            Assert.Contains("complex128", Assert.Throws<GraphExecutionException>(() => Compute1(op, [z, z])).Message);
        foreach (var op in new[] { "Abs", "Relu", "Floor" })
            Assert.Contains("complex128", Assert.Throws<GraphExecutionException>(() => Compute1(op, [z])).Message);
    }
}
