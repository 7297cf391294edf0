using System.Numerics;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Kernels.ComplexArithmetic.ComplexArithmeticKernelTests;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels.ComplexArithmetic;

/// <summary>
/// Complex MatMul (transpose_a/b = plain transpose, as matmul_op_impl.h) and BatchMatMul/V2/V3 (adj_x/adj_y = conjugate
/// transpose), ConjugateTranspose, Sum/Prod/Mean, Cast to and from complex (cast_op.h: real part / zero imaginary part),
/// OnesLike, and complex values flowing through a Session graph with the byte-moving ops (Pack, Concat, Slice, Select),
/// all against reference loops written here.
/// </summary>
public class ComplexLinearKernelTests
{
    // C = op(A)·op(B) with op ∈ {identity, transpose, adjoint} on row-major matrices.
    private static Complex[] MatMulRef(Complex[] a, Complex[] b, int m, int n, int k, bool ta, bool tb, bool conj)
    {
        var c = new Complex[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
                for (int p = 0; p < k; p++)
                {
                    var av = ta ? a[p * m + i] : a[i * k + p];
                    var bv = tb ? b[j * k + p] : b[p * n + j];
                    if (conj && ta) av = Complex.Conjugate(av);
                    if (conj && tb) bv = Complex.Conjugate(bv);
                    c[i * n + j] += av * bv;
                }
        return c;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatMul_transposes_without_conjugating_and_BatchMatMul_adjoints_conjugate(bool ta, bool tb)
    {
        const int m = 3, n = 4, k = 5;
        var a = Random(m * k, 11);
        var b = Random(k * n, 12);
        int[] aShape = ta ? [k, m] : [m, k], bShape = tb ? [n, k] : [k, n];
        var mm = Compute1("MatMul", [Tensor.Create(a, aShape), Tensor.Create(b, bShape)], Attrs(("transpose_a", ta), ("transpose_b", tb)));
        Assert.Equal([m, n], mm.Shape.ToArray());
        Close(MatMulRef(a, b, m, n, k, ta, tb, conj: false), Values(mm), 1e-14, "MatMul");
        // BatchMatMulV2 with a broadcast batch: x [2, 1, ...] against y [3, ...] → [2, 3, m, n], adjoints conjugated.
        var xs = Random(2 * m * k, 13);
        var ys = Random(3 * k * n, 14);
        foreach (var op in new[] { "BatchMatMulV2", "BatchMatMulV3" })
        {
            var got = Compute1(op, [Tensor.Create(xs, [2, 1, .. aShape]), Tensor.Create(ys, [3, .. bShape])], Attrs(("adj_x", ta), ("adj_y", tb)));
            Assert.Equal([2, 3, m, n], got.Shape.ToArray());
            var values = Values(got);
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 3; j++)
                    Close(MatMulRef(xs.Skip(i * m * k).Take(m * k).ToArray(), ys.Skip(j * k * n).Take(k * n).ToArray(), m, n, k, ta, tb, conj: true),
                        values.Skip((i * 3 + j) * m * n).Take(m * n).ToArray(), 1e-14, $"{op}[{i},{j}]");
        }
        // complex64 BatchMatMul (equal batch dims).
        var got32 = Compute1("BatchMatMul", [C64(xs, [2, .. aShape]), C64(ys.Take(2 * k * n).ToArray(), [2, .. bShape])], Attrs(("adj_x", ta), ("adj_y", tb)));
        var x32 = xs.Select(Round32).ToArray();
        var y32 = ys.Select(Round32).ToArray();
        for (int i = 0; i < 2; i++)
            Close(MatMulRef(x32.Skip(i * m * k).Take(m * k).ToArray(), y32.Skip(i * k * n).Take(k * n).ToArray(), m, n, k, ta, tb, conj: true),
                Values(got32).Skip(i * m * n).Take(m * n).ToArray(), 1e-6, "BatchMatMul complex64");
    }

    [Fact]
    public void ConjugateTranspose_permutes_and_conjugates_complex_and_only_permutes_real()
    {
        var x = Random(24, 21);
        int[] perm = [2, 0, 1];
        var got = Values(Compute1("ConjugateTranspose", [Tensor.Create(x, 2, 3, 4), Tensor.Create(perm, 3)]));
        // y[c, a, b] = conj(x[a, b, c]).
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 3; b++)
                for (int c = 0; c < 4; c++)
                    Assert.Equal(Complex.Conjugate(x[(a * 3 + b) * 4 + c]), got[(c * 2 + a) * 3 + b]);
        var got32 = Values(Compute1("ConjugateTranspose", [C64(x, 2, 3, 4), Tensor.Create(new long[] { 2, 0, 1 }, 3)]));
        Assert.Equal(got.Select(Round32).ToArray(), got32);
        float[] r = [1, 2, 3, 4, 5, 6];
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, Compute1("ConjugateTranspose", [Tensor.Create(r, 2, 3), Tensor.Create(new[] { 1, 0 }, 2)]).ToArray<float>());
        Assert.Contains("permutation", Assert.Throws<GraphExecutionException>(() => Compute1("ConjugateTranspose", [Tensor.Create(x, 2, 3, 4), Tensor.Create(new[] { 0, 0, 1 }, 3)])).Message);
    }

    [Fact]
    public void Sum_Prod_Mean_over_axes_of_complex_tensors()
    {
        var x = Random(24, 31);
        Complex At(int a, int b, int c) => x[(a * 3 + b) * 4 + c];
        // Over axes {0, 2} with keep_dims: y[0, b, 0].
        var sum = Compute1("Sum", [Tensor.Create(x, 2, 3, 4), Tensor.Create(new[] { 0, 2 }, 2)], Attrs(("keep_dims", true)));
        Assert.Equal([1, 3, 1], sum.Shape.ToArray());
        var prod = Compute1("Prod", [Tensor.Create(x, 2, 3, 4), Tensor.Create(new[] { 0, -1 }, 2)]);
        var mean = Compute1("Mean", [C64(x, 2, 3, 4), Tensor.Create(new[] { 2, 0 }, 2)]);
        Assert.Equal(DataType.DtComplex64, mean.DType);
        for (int b = 0; b < 3; b++)
        {
            Complex s = 0, p = 1, s32 = 0;
            for (int a = 0; a < 2; a++)
                for (int c = 0; c < 4; c++) { s += At(a, b, c); p *= At(a, b, c); s32 += Round32(At(a, b, c)); }
            Close([s], [Values(sum)[b]], 1e-14, "Sum");
            Close([p], [Values(prod)[b]], 1e-14, "Prod");
            Close([s32 / 8], [Values(mean)[b]], 3e-7, "Mean");
        }
        // Reducing an empty axis: Sum 0, Prod 1, Mean 0/0 = NaN + NaN·i.
        var empty = Tensor.Create(Array.Empty<Complex>(), 2, 0);
        Assert.Equal(new[] { Complex.Zero, Complex.Zero }, Values(Compute1("Sum", [empty, Tensor.Create(new[] { 1 }, 1)])));
        Assert.Equal(new[] { Complex.One, Complex.One }, Values(Compute1("Prod", [empty, Tensor.Create(new[] { 1 }, 1)])));
        Assert.All(Values(Compute1("Mean", [empty, Tensor.Create(new[] { 1 }, 1)])), v => Assert.True(double.IsNaN(v.Real) && double.IsNaN(v.Imaginary)));
        Assert.Throws<GraphExecutionException>(() => Compute1("Max", [Tensor.Create(x, 24), Tensor.Create(new[] { 0 }, 1)]));
    }

    /// <summary>Cumsum/Cumprod of complex tensors along each axis, exclusive and reverse, against a scan written here;
    /// complex64 against the complex128 result rounded once.</summary>
    [Theory]
    [InlineData("Cumsum", 1, false, false)]
    [InlineData("Cumprod", 1, false, false)]
    [InlineData("Cumprod", 0, true, false)]
    [InlineData("Cumprod", -1, false, true)]
    [InlineData("Cumsum", 2, true, true)]
    public void Cumsum_and_Cumprod_scan_complex_tensors(string op, int axis, bool exclusive, bool reverse)
    {
        var x = Random(24, 7);
        int[] shape = [2, 3, 4];
        int ax = axis < 0 ? axis + 3 : axis;
        int len = shape[ax];
        int inner = 1;
        for (int d = ax + 1; d < 3; d++) inner *= shape[d];
        var expected = new Complex[24];
        for (int at0 = 0; at0 < 24; at0++)
        {
            int k = at0 / inner % len, start = at0 - k * inner;
            Complex acc = op == "Cumprod" ? Complex.One : Complex.Zero;
            for (int s = 0; s < len; s++)
            {
                int j = reverse ? len - 1 - s : s;
                if (j == k && exclusive) break;
                acc = op == "Cumprod" ? acc * x[start + j * inner] : acc + x[start + j * inner];
                if (j == k) break;
            }
            expected[at0] = acc;
        }
        var attrs = Attrs(("exclusive", exclusive), ("reverse", reverse));
        var y = Compute1(op, [Tensor.Create(x, shape), Tensor.FromScalar(axis)], attrs);
        Assert.Equal(DataType.DtComplex128, y.DType);
        Close(expected, Values(y), 1e-14, op);
        var y64 = Compute1(op, [C64(x, shape), Tensor.FromScalar(axis)], attrs);
        Assert.Equal(DataType.DtComplex64, y64.DType);
        var wide = Values(Compute1(op, [Tensor.Create(x.Select(Round32).ToArray(), shape), Tensor.FromScalar(axis)], attrs));
        Assert.Equal(wide.Select(Round32), Values(y64));
    }

    [Fact]
    public void Cast_between_real_and_complex_keeps_the_real_part_and_zeroes_the_imaginary_part()
    {
        var z = new[] { new Complex(1.75, -2), new Complex(-3.5, 4), new Complex(0, 9) };
        var cast = (Tensor x, DataType to) => Compute1("Cast", [x], Attrs(("DstT", to)));
        Assert.Equal(new[] { 1.75f, -3.5f, 0f }, cast(Tensor.Create(z, 3), DataType.DtFloat).ToArray<float>());
        Assert.Equal(new[] { 1, -3, 0 }, cast(Tensor.Create(z, 3), DataType.DtInt32).ToArray<int>()); // static_cast truncates
        Assert.Equal(new[] { true, true, false }, cast(C64(z, 3), DataType.DtBool).ToArray<bool>());   // real part ≠ 0
        Assert.Equal(new[] { new Complex(2, 0), new Complex(-7, 0) }, Values(cast(Tensor.Create(new[] { 2, -7 }, 2), DataType.DtComplex128)));
        Assert.Equal(new[] { new Complex(0.1f, 0) }, Values(cast(Tensor.Create(new[] { 0.1f }, 1), DataType.DtComplex64)));
        var narrowed = cast(Tensor.Create(new[] { new Complex(0.1, 1e-3) }, 1), DataType.DtComplex64);
        Assert.Equal(new[] { new Complex(0.1f, 1e-3f) }, Values(narrowed));
        Assert.Equal(new[] { new Complex(0.1f, 1e-3f) }, Values(cast(narrowed, DataType.DtComplex128)));
    }

    [Fact]
    public void OnesLike_and_ZerosLike_of_complex()
    {
        Assert.Equal(new[] { Complex.One, Complex.One }, Values(Compute1("OnesLike", [Tensor.Create(Random(2, 1), 2)])));
        Assert.Equal(new[] { Complex.One }, Values(Compute1("OnesLike", [C64(Random(1, 1), 1)])));
        Assert.Equal(new[] { Complex.Zero, Complex.Zero }, Values(Compute1("ZerosLike", [C64(Random(2, 1), 2)])));
    }

    [Fact]
    public void A_session_graph_combines_complex_values_through_arithmetic_and_the_byte_moving_ops()
    {
        // loss = Real(Sum(Conj(x) * Pack([x, y])[1] / z)) + Imag(Sum(Concat(Slice(x), y)))
        var x = Random(4, 41);
        var y = Random(4, 42);
        var z = Random(4, 43);
        var g = new ExecGraph();
        g.Const("x", Tensor.Create(x, 4));
        g.Const("y", Tensor.Create(y, 4));
        g.Const("z", Tensor.Create(z, 4));
        g.Const("axis0", Tensor.FromScalar(0));
        g.Const("one", Tensor.Create(new[] { 1 }, 1));
        g.Const("three", Tensor.Create(new[] { 3 }, 1));
        g.Op("conj", "Conj", ["x"]);
        g.Op("pack", "Pack", ["x", "y"], ("N", ToAttr(2)), ("axis", ToAttr(0)));
        g.Const("row", Tensor.Create(new[] { 1, 0 }, 2));
        g.Const("size", Tensor.Create(new[] { 1, 4 }, 2));
        g.Op("packed_y", "Slice", ["pack", "row", "size"]);
        g.Op("mul", "Mul", ["conj", "packed_y"]);
        g.Op("div", "RealDiv", ["mul", "z"]);
        g.Const("axes01", Tensor.Create(new[] { 0, 1 }, 2));
        g.Op("s1", "Sum", ["div", "axes01"]);
        g.Op("re", "Real", ["s1"]);
        g.Op("xs", "Slice", ["x", "one", "three"]);
        g.Op("cat", "ConcatV2", ["xs", "y", "axis0"], ("N", ToAttr(2)));
        g.Op("s2", "Sum", ["cat", "axis0"]);
        g.Op("im", "Imag", ["s2"]);
        g.Op("loss", "AddV2", ["re", "im"]);
        g.Const("cond", Tensor.Create(new[] { true, false, true, false }, 4));
        g.Op("sel", "SelectV2", ["cond", "x", "y"]);
        using var s = new Session(g.Graph);
        var outs = s.Run(["loss", "sel"]);
        Complex s1 = 0, s2 = 0;
        for (int i = 0; i < 4; i++) s1 += Complex.Conjugate(x[i]) * y[i] / z[i];
        for (int i = 1; i < 4; i++) s2 += x[i];
        for (int i = 0; i < 4; i++) s2 += y[i];
        Assert.Equal(s1.Real + s2.Imaginary, outs[0].Scalar<double>(), 1e-13);
        Assert.Equal(new[] { x[0], y[1], x[2], y[3] }, Values(outs[1]));
    }
}
