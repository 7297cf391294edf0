using System.Numerics;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients through complex ops (math_grad.py's complex conventions: the gradient of a real loss L at z = u + iv is
/// ∂L/∂u + i·∂L/∂v, and Mul/Div/MatMul/Square/Exp/Log/Pow/Tanh/Sigmoid conjugate their inputs) against central
/// differences taken on the real and on the imaginary part of every input element separately, through a Session.
/// </summary>
public class ComplexGradientTests
{
    internal static Complex[] Random(int count, int seed, double scale = 1.5, double offset = 0)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => new Complex((r.NextDouble() - 0.5) * scale + offset, (r.NextDouble() - 0.5) * scale)).ToArray();
    }

    /// <summary>
    /// y = f(x) for a complex128 placeholder x; loss = Σ Re(y·w) with fixed complex weights w when y is complex, Σ y·w with
    /// real weights when y is double. Checks ∂loss/∂x from Gradients.Compute against central differences (h = 1e-6) of
    /// the loss in the real and the imaginary direction of each element.
    /// </summary>
    internal static void Check(Func<GraphBuilder, Output, Output> f, Complex[] x0, int[] shape, double tol = 1e-6)
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtComplex128, shape.Select(d => (long)d).ToArray(), "x");
        var y = f(b, x);
        bool complexOut = y.BaseType == DataType.DtComplex128;
        var w = b.Placeholder(y.BaseType, null, "w");
        var weighted = b.Multiply(y, w);
        if (complexOut)
            weighted = b.OutputOf(b.AddOperation("Real", [weighted], new Dictionary<string, AttrValue> { ["Tout"] = Attrs.Type(DataType.DtDouble) }, "Real"));
        var loss = b.ReduceSum(b.Reshape(weighted, [-1]), [0]);
        var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
        using var s = new Session(b.Graph);
        var xv = Tensor.Create(x0, shape);
        var yShape = s.Run(y.Name, ("x:0", xv)).Shape;
        int ny = (int)yShape.NumElements;
        var wv = complexOut ? Tensor.Create(Random(ny, 99, scale: 2), yShape.ToArray())
            : Tensor.Create(Enumerable.Range(0, ny).Select(i => Math.Sin(i + 1.0)).ToArray(), yShape.ToArray());
        var analytic = s.Run(g.Name, ("x:0", xv), ("w:0", wv)).ToArray<Complex>();
        double Loss(Complex[] at) => s.Run(loss.Name, ("x:0", Tensor.Create(at, shape)), ("w:0", wv)).ToArray<double>()[0];
        const double h = 1e-6;
        for (int i = 0; i < x0.Length; i++)
        {
            foreach (var (dir, part) in new[] { (Complex.One, "re"), (Complex.ImaginaryOne, "im") })
            {
                var plus = (Complex[])x0.Clone();
                var minus = (Complex[])x0.Clone();
                plus[i] += h * dir;
                minus[i] -= h * dir;
                double numeric = (Loss(plus) - Loss(minus)) / (2 * h);
                double got = part == "re" ? analytic[i].Real : analytic[i].Imaginary;
                Assert.True(Math.Abs(numeric - got) <= tol * Math.Max(1, Math.Abs(numeric)), $"element {i} ({part}): numeric {numeric}, analytic {got}");
            }
        }
    }

    internal static Output Real(GraphBuilder b, Output z, string op = "Real")
        => b.OutputOf(b.AddOperation(op, [z], new Dictionary<string, AttrValue> { ["Tout"] = Attrs.Type(DataType.DtDouble) }, op));

    internal static Output Const(GraphBuilder b, Complex[] v, params int[] shape) => b.Constant(Tensor.Create(v, shape), "c");

    [Theory]
    [InlineData("Mul")]
    [InlineData("RealDiv")]
    [InlineData("Div")]
    [InlineData("AddV2")]
    [InlineData("Sub")]
    [InlineData("Pow")]
    public void Binary_op_gradient_with_broadcasting_matches_central_differences_in_both_parts(string op)
    {
        // x [2, 3] against a constant [3]: the x gradient; then the constant as the variable (its gradient is summed).
        var other = Random(3, 5, offset: 1);
        Check((b, x) => b.Binary(op, x, Const(b, other, 3)), Random(6, 6, offset: 1), [2, 3]);
        var fixedX = Random(6, 7, offset: 1);
        Check((b, y) => b.Binary(op, Const(b, fixedX, 2, 3), y), other, [3]);
    }

    [Theory]
    [InlineData("Square")]
    [InlineData("Exp")]
    [InlineData("Log")]
    [InlineData("Sqrt")]
    [InlineData("Rsqrt")]
    [InlineData("Reciprocal")]
    [InlineData("Tanh")]
    [InlineData("Sigmoid")]
    [InlineData("Neg")]
    [InlineData("Conj")]
    public void Unary_op_gradient_matches_central_differences_in_both_parts(string op)
        => Check((b, x) => b.Unary(op, x), Random(6, 8, offset: 0.7), [2, 3]);

    [Theory]
    [InlineData("Real")]
    [InlineData("Imag")]
    [InlineData("ComplexAbs")]
    [InlineData("Angle")]
    public void Real_valued_part_gradients_are_TFs(string op)
        => Check((b, x) => Real(b, x, op), Random(6, 9, offset: 0.3), [2, 3]);

    [Fact]
    public void SquaredDifference_and_a_chain_of_complex_ops()
    {
        var c = Random(3, 10);
        Check((b, x) => Real(b, b.Binary("SquaredDifference", x, Const(b, c, 3))), Random(6, 11), [2, 3]);
        // |exp(x·c) / (x + 2)|, through Mul, Exp, AddV2, RealDiv, ComplexAbs and a Mean.
        Check((b, x) =>
        {
            var e = b.Unary("Exp", b.Multiply(x, Const(b, c, 3)));
            var q = b.Binary("RealDiv", e, b.Binary("AddV2", x, Const(b, [new Complex(2, 0)])));
            return b.ReduceMean(Real(b, q, "ComplexAbs"), [1]);
        }, Random(6, 12), [2, 3]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void MatMul_and_BatchMatMul_gradients_conjugate_as_TF(bool ta, bool tb)
    {
        var w = Random(12, 13);
        int[] xShape = ta ? [4, 2] : [2, 4];
        int[] wShape = tb ? [3, 4] : [4, 3];
        Check((b, x) => b.MatMul(x, Const(b, w, wShape), ta, tb), Random(8, 14), xShape);
        var a = Random(8, 15);
        Check((b, x) => b.MatMul(Const(b, a, xShape), x, ta, tb), w, wShape);
        // BatchMatMul with adj_x/adj_y (conjugate transposes), batch 2.
        var w2 = Random(24, 16);
        Check((b, x) => b.OutputOf(b.AddOperation("BatchMatMul", [x, Const(b, w2, [2, .. wShape])],
            new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(ta), ["adj_y"] = Attrs.Bool(tb) }, "BatchMatMul")), Random(16, 17), [2, .. xShape]);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void BatchMatMulV2_gradient_sums_over_broadcast_batch_dims(bool adjX, bool adjY)
    {
        // x [2, 1, 2, 4] (adj: [2, 1, 4, 2]) against y [3, 4, 3] (adj: [3, 3, 4]) → [2, 3, 2, 3].
        int[] xShape = adjX ? [2, 1, 4, 2] : [2, 1, 2, 4];
        int[] yShape = adjY ? [3, 3, 4] : [3, 4, 3];
        var attrs = new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(adjX), ["adj_y"] = Attrs.Bool(adjY) };
        var yv = Random(36, 20);
        Check((b, x) => b.OutputOf(b.AddOperation("BatchMatMulV2", [x, Const(b, yv, yShape)], attrs, "MatMul")), Random(16, 21), xShape);
        var xv = Random(16, 22);
        Check((b, y) => b.OutputOf(b.AddOperation("BatchMatMulV2", [Const(b, xv, xShape), y], attrs, "MatMul")), yv, yShape);
    }

    [Fact]
    public void Cast_and_Complex_gradients_move_between_real_and_complex()
    {
        // complex → double (real part) inside, double → complex outside: x ↦ Re(x)·(1 + 2i) as complex.
        Check((b, x) => b.Multiply(b.Cast(b.Cast(x, DataType.DtDouble), DataType.DtComplex128), Const(b, [new Complex(1, 2)])), Random(4, 18), [4]);
        // Complex(re, im) from double placeholders: ∂/∂re = Re(g), ∂/∂im = Im(g), the [3] operand summed over its broadcast.
        var gb = new GraphBuilder();
        var re = gb.Placeholder(DataType.DtDouble, [2, 3], "re");
        var im = gb.Placeholder(DataType.DtDouble, [3], "im");
        var z = gb.OutputOf(gb.AddOperation("Complex", [re, im], new Dictionary<string, AttrValue> { ["Tout"] = Attrs.Type(DataType.DtComplex128) }, "Complex"));
        var wc = Random(6, 19);
        var loss = gb.ReduceSum(gb.Reshape(Real(gb, gb.Multiply(z, gb.Constant(Tensor.Create(wc, 2, 3), "w"))), [-1]), [0]);
        var grads = Gradients.Compute(gb, [loss], [re, im]);
        using var s = new Session(gb.Graph);
        var feeds = new (string, Tensor)[] { ("re:0", Tensor.Create(new double[6], 2, 3)), ("im:0", Tensor.Create(new double[3], 3)) };
        var gre = s.Run(grads[0]!.Value.Name, feeds).ToArray<double>();
        var gim = s.Run(grads[1]!.Value.Name, feeds).ToArray<double>();
        // loss = Σ Re(z·w) = Σ (re·Re w − im·Im w): ∂/∂re[i] = Re w[i], ∂/∂im[j] = −Σ_rows Im w[row, j].
        Assert.Equal(wc.Select(v => v.Real).ToArray(), gre);
        for (int j = 0; j < 3; j++) Assert.Equal(-(wc[j].Imaginary + wc[3 + j].Imaginary), gim[j], 1e-15);
    }

    // Complex linalg gradients (linalg_grad.py: _MatrixInverseGrad −A⁻ᴴ·G·A⁻ᴴ, _MatrixSolveGrad with adjoint solves,
    // _CholeskyGrad with conjugate transposes) checked with the same Σ Re(y·w) loss against central differences in the
    // real and imaginary direction of every element. The inputs are kept well conditioned (a 3·I shift).
    internal static Complex[] WellConditioned(int n, int seed)
    {
        var a = Random(n * n, seed);
        for (int i = 0; i < n; i++) a[i * n + i] += 3;
        return a;
    }

    internal static Output Op(GraphBuilder b, string op, Output[] inputs, Dictionary<string, AttrValue>? attrs = null)
        => b.OutputOf(b.AddOperation(op, inputs, attrs ?? [], op));

    [Fact]
    public void MatrixInverse_ComplexGradient_MatchesCentralDifferences()
        => Check((b, x) => Op(b, "MatrixInverse", [x]), WellConditioned(3, 41), [3, 3]);

    [Fact]
    public void MatrixSolve_ComplexGradient_MatchesCentralDifferences()
        => Check((b, x) => Op(b, "MatrixSolve", [x, Const(b, Random(6, 42), 3, 2)]), WellConditioned(3, 43), [3, 3]);

    [Fact]
    public void Cholesky_ComplexGradient_MatchesCentralDifferences()
        // Cholesky of the Hermitian positive definite x·xᴴ + 3·I, so every perturbation of x stays inside its domain.
        => Check((b, x) =>
        {
            var gram = Op(b, "BatchMatMulV2", [x, x], new Dictionary<string, AttrValue> { ["adj_y"] = new AttrValue { B = true } });
            var eye = Enumerable.Range(0, 9).Select(i => i % 4 == 0 ? new Complex(3, 0) : Complex.Zero).ToArray();
            return Op(b, "Cholesky", [b.Binary("AddV2", gram, Const(b, eye, 3, 3))]);
        }, Random(9, 44), [3, 3], tol: 1e-5);
}
