using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>Gradients of the linear-algebra, scan, erf, clip, diagonal and strided-slice ops against central
/// differences in double precision (L = Σ w ⊙ f(x) with random w).</summary>
public class LinalgAndScanGradientTests
{
    private static double[] Random(int n, int seed, double lo = -1, double hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * r.NextDouble()).ToArray();
    }

    private static void Check(Func<GraphBuilder, Output, Output> f, double[] x0, int[] shape, double tol = 1e-6)
        => CentralDifferences.CheckGraphGradient(f, x0, shape, tol);

    private static Output Op(GraphBuilder b, string type, Output[] inputs, params (string, AttrValue)[] attrs)
        => b.OutputOf(b.AddOperation(type, inputs, attrs.ToDictionary(a => a.Item1, a => a.Item2), type));

    private static double[] WellConditioned(int batch, int n, int seed)
    {
        var a = Random(batch * n * n, seed);
        for (int b = 0; b < batch; b++) for (int i = 0; i < n; i++) a[b * n * n + i * n + i] += 3;
        return a;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MatrixInverse(bool adjoint) =>
        Check((b, x) => Op(b, "MatrixInverse", [x], ("adjoint", Attrs.Bool(adjoint))), WellConditioned(2, 3, 1), [2, 3, 3]);

    [Fact]
    public void MatrixSolve_wrt_matrix_and_rhs()
    {
        var rhs = Random(3 * 2, 4);
        Check((b, x) => Op(b, "MatrixSolve", [x, b.Constant(Tensor.Create(rhs, 3, 2))]), WellConditioned(1, 3, 2), [3, 3]);
        var a = WellConditioned(1, 3, 3);
        Check((b, x) => Op(b, "MatrixSolve", [b.Constant(Tensor.Create(a, 3, 3)), x], ("adjoint", Attrs.Bool(true))), rhs, [3, 2]);
    }

    [Fact]
    public void Cholesky_of_a_symmetric_positive_definite_function_of_x()
    {
        // A = X·Xᵀ + 3I stays symmetric positive definite under every perturbation of X.
        Check((b, x) => Op(b, "Cholesky", [b.Add(b.BatchMatMul(x, x, false, true), b.Constant(Tensor.Create(new double[] { 3, 0, 0, 0, 3, 0, 0, 0, 3 }, 3, 3)))]),
            Random(9, 5), [3, 3]);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public void MatrixTriangularSolve_wrt_matrix_and_rhs(bool lower, bool adjoint)
    {
        var rhs = Random(2 * 3 * 2, 6);
        var a = WellConditioned(2, 3, 7);
        (string, AttrValue)[] attrs = [("lower", Attrs.Bool(lower)), ("adjoint", Attrs.Bool(adjoint))];
        Check((b, x) => Op(b, "MatrixTriangularSolve", [x, b.Constant(Tensor.Create(rhs, 2, 3, 2))], attrs), a, [2, 3, 3]);
        Check((b, x) => Op(b, "MatrixTriangularSolve", [b.Constant(Tensor.Create(a, 2, 3, 3)), x], attrs), rhs, [2, 3, 2]);
    }

    // TF's _MatrixDeterminantGrad / _LogMatrixDeterminantGrad: (g·det)·A⁻ᴴ and g_log·A⁻ᴴ, batched; the log path
    // also through a matrix with a negative determinant (log|det| is smooth there).
    [Fact]
    public void MatrixDeterminant_and_LogMatrixDeterminant_wrt_input()
    {
        Check((b, x) => Op(b, "MatrixDeterminant", [x]), WellConditioned(2, 3, 21), [2, 3, 3]);
        Check((b, x) => b.OutputOf(b.AddOperation("LogMatrixDeterminant", [x], null, "LogMatrixDeterminant"), 1), WellConditioned(2, 3, 22), [2, 3, 3]);
        var negative = WellConditioned(1, 3, 23);
        for (int j = 0; j < 3; j++) negative[j] = -negative[j];
        Check((b, x) => b.OutputOf(b.AddOperation("LogMatrixDeterminant", [x], null, "LogMatrixDeterminant"), 1), negative, [3, 3]);
    }

    // TF's _QrGrad for square, tall and wide inputs (wide: the split A = [X | Y]): check dQ and dR paths separately
    // and together (the loss weights w reach Q, R or both), batched, with full_matrices on the square and wide cases.
    [Theory]
    [InlineData(3, 3, false, 0)]
    [InlineData(3, 3, true, 1)]
    [InlineData(4, 2, false, 0)]
    [InlineData(4, 2, false, 1)]
    [InlineData(4, 2, false, 2)]
    [InlineData(3, 3, false, 2)]
    [InlineData(2, 4, false, 0)]
    [InlineData(2, 4, false, 1)]
    [InlineData(2, 4, false, 2)]
    [InlineData(3, 5, true, 2)]
    public void Qr_wrt_input(int rows, int cols, bool full, int which)
    {
        Check((b, x) =>
        {
            var qr = b.AddOperation("Qr", [x], new Dictionary<string, AttrValue> { ["full_matrices"] = Attrs.Bool(full) }, "Qr");
            var q = b.OutputOf(qr, 0);
            var r = b.OutputOf(qr, 1);
            return which switch
            {
                0 => q,
                1 => r,
                _ => b.Concat([b.Reshape(q, [2, -1]), b.Reshape(b.Multiply(r, 0.5), [2, -1])], 1),
            };
        }, WellConditionedRect(2, rows, cols, 12 + which), [2, rows, cols]);
    }

    // Einsum: the gradient of each operand against central differences; shapes per label a=2, b=3, c=4, d=2.
    [Theory]
    [InlineData("ab,bc->ac")]
    [InlineData("dab,dbc->dac")]
    [InlineData("ab->ba")]
    [InlineData("ab->a")]
    [InlineData("ab,cb->a")]
    [InlineData("a,c->ca")]
    [InlineData("abc,c->ab")]
    public void Einsum_wrt_each_operand(string equation)
    {
        var sizes = new Dictionary<char, int> { ['a'] = 2, ['b'] = 3, ['c'] = 4, ['d'] = 2 };
        var parts = equation[..equation.IndexOf("->", StringComparison.Ordinal)].Split(',');
        int[] Shape(string labels) => labels.Select(l => sizes[l]).ToArray();
        Output E(GraphBuilder b, params Output[] xs)
            => b.OutputOf(b.AddOperation("Einsum", xs, new Dictionary<string, AttrValue> { ["equation"] = Attrs.String(equation) }, "Einsum"));
        for (int k = 0; k < parts.Length; k++)
        {
            int which = k;
            var other = parts.Length == 2 ? Random(Shape(parts[1 - k]).Aggregate(1, (p, d) => p * d), 30 + k) : [];
            Check((b, x) => parts.Length == 1 ? E(b, x)
                : which == 0 ? E(b, x, b.Constant(Tensor.Create(other, Shape(parts[1]))))
                : E(b, b.Constant(Tensor.Create(other, Shape(parts[0]))), x),
                Random(Shape(parts[k]).Aggregate(1, (p, d) => p * d), 20 + k), Shape(parts[k]));
        }
    }

    // TF's _QrGrad raises NotImplementedError for tall inputs with full_matrices=true (Q is then not unique).
    [Fact]
    public void Qr_tall_full_matrices_gradient_is_reported_not_supported_as_in_tf()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [3, 2], "x");
        var q = b.OutputOf(b.AddOperation("Qr", [x], new Dictionary<string, AttrValue> { ["full_matrices"] = Attrs.Bool(true) }, "Qr"), 0);
        var ex = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [b.ReduceSum(b.Reshape(q, [-1]), [0])], [x]));
        Assert.Contains("nrows > ncols and full_matrices is true", ex.Message);
    }

    private static double[] WellConditionedRect(int batch, int rows, int cols, int seed)
    {
        var a = Random(batch * rows * cols, seed);
        for (int b = 0; b < batch; b++) for (int i = 0; i < Math.Min(rows, cols); i++) a[b * rows * cols + i * cols + i] += 3;
        return a;
    }

    [Theory]
    [InlineData("Cumsum", false, false)]
    [InlineData("Cumsum", true, true)]
    [InlineData("Cumprod", false, false)]
    [InlineData("Cumprod", true, false)]
    [InlineData("Cumprod", false, true)]
    public void Scans(string op, bool exclusive, bool reverse) =>
        Check((b, x) => Op(b, op, [x, b.Constant(1, "axis")], ("exclusive", Attrs.Bool(exclusive)), ("reverse", Attrs.Bool(reverse))), Random(2 * 4, 8, 0.5, 2), [2, 4]);

    [Fact]
    public void Erf_and_Erfc() => Check((b, x) => b.Add(b.Unary("Erf", x), b.Multiply(b.Unary("Erfc", x), 3.0)), Random(6, 9, -2.5, 2.5), [6]);

    [Fact]
    public void ClipByValue_wrt_t_and_both_bounds()
    {
        // t values away from the bounds (kinks) so central differences are exact.
        var t = new double[] { -2, -0.2, 0.3, 1.7, 0.9, -1.4 };
        Check((b, x) => Op(b, "ClipByValue", [x, b.Constant(Tensor.FromScalar(-1.0)), b.Constant(Tensor.FromScalar(1.0))]), t, [6]);
        Check((b, x) => Op(b, "ClipByValue", [b.Constant(Tensor.Create(t, 6)), x, b.Constant(Tensor.FromScalar(1.0))]), [-0.5], []);
        Check((b, x) => Op(b, "ClipByValue", [b.Constant(Tensor.Create(t, 6)), b.Constant(Tensor.FromScalar(-1.0)), x]), [0.5, 0.1, 0.1, 0.5, 0.5, 0.1], [6]);
    }

    [Fact]
    public void Diagonal_ops()
    {
        Check((b, x) => Op(b, "MatrixDiagPart", [x]), Random(2 * 3 * 4, 10), [2, 3, 4]);
        Check((b, x) => Op(b, "MatrixDiag", [x]), Random(2 * 3, 11), [2, 3]);
        Check((b, x) => Op(b, "MatrixSetDiag", [x, b.Constant(Tensor.Create(new double[] { 1, 2, 3 }, 3))]), Random(12, 12), [3, 4]);
        Check((b, x) => Op(b, "MatrixSetDiag", [b.Constant(Tensor.Create(Random(12, 13), 3, 4)), x]), Random(3, 14), [3]);
        Check((b, x) => Op(b, "MatrixBandPart", [x, b.Constant(Tensor.FromScalar(1L)), b.Constant(Tensor.FromScalar(0L))]), Random(16, 15), [4, 4]);
        Check((b, x) => Op(b, "MatrixDiagPartV3", [x, b.Constant(new[] { -1, 1 }), b.Constant(Tensor.FromScalar(0.0))], ("align", Attrs.String("LEFT_RIGHT"))), Random(12, 16), [3, 4]);
        Check((b, x) => Op(b, "Diag", [x]), Random(4, 17), [2, 2]);
    }

    [Fact]
    public void StridedSlice_with_masks_and_negative_stride()
    {
        Check((b, x) => Op(b, "StridedSlice", [x, b.Constant(new[] { 1, -1 }), b.Constant(new[] { 3, 0 }), b.Constant(new[] { 1, -2 })],
            ("shrink_axis_mask", Attrs.Int(0)), ("end_mask", Attrs.Int(0))), Random(4 * 5, 18), [4, 5]);
        Check((b, x) => Op(b, "StridedSlice", [x, b.Constant(new[] { 2 }), b.Constant(new[] { 3 }), b.Constant(new[] { 1 })],
            ("shrink_axis_mask", Attrs.Int(1))), Random(4 * 5, 19), [4, 5]);
    }

    [Fact]
    public void FakeQuantVars_straight_through_gradient_goes_to_inputs_inside_and_to_min_max_outside()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [4], "x");
        var min = b.Placeholder(DataType.DtFloat, [], "min");
        var max = b.Placeholder(DataType.DtFloat, [], "max");
        var y = Op(b, "FakeQuantWithMinMaxVars", [x, min, max]);
        var loss = b.ReduceSum(b.Multiply(y, b.Constant(new[] { 1f, 2f, 3f, 4f }, [4])), [0]);
        var g = Gradients.Compute(b, [loss], [x, min, max]);
        using var s = new Session(b.Graph);
        var feeds = new (string, Tensor)[] { ("x:0", Tensor.Create(new[] { -9f, 0.1f, 0.5f, 9f }, 4)), ("min:0", Tensor.FromScalar(-1f)), ("max:0", Tensor.FromScalar(1f)) };
        Assert.Equal([0f, 2, 3, 0], s.Run(g[0]!.Value.Name, feeds).ToArray<float>());
        Assert.Equal(1f, s.Run(g[1]!.Value.Name, feeds).Scalar<float>());
        Assert.Equal(4f, s.Run(g[2]!.Value.Name, feeds).Scalar<float>());
    }
}
