using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using Xunit;

namespace TypedGraph.Tests.Training;

/// <summary>
/// The SparseMatMul gradient (math_grad.py _SparseMatMulGrad): values against the adjoint written out in doubles for
/// every transpose case, the products built as TF builds them (SparseMatMul where a sparsity hint applies, MatMul
/// otherwise, an explicit Transpose for a transposed second operand), and bfloat16 operands getting bfloat16 gradients.
/// </summary>
public sealed class SparseMatMulGradientTests
{
    private const int M = 3, K = 5, N = 4;

    private static float[] Values(int seed, int count)
    {
        var rng = new Random(seed);
        // Multiples of 1/16 in [-1, 1]: exact in bfloat16 too.
        return Enumerable.Range(0, count).Select(_ => (float)Math.Round((rng.NextDouble() * 2 - 1) * 16) / 16).ToArray();
    }

    private static Node SparseMatMul(GraphBuilder b, Output x, Output w, bool ta, bool tb, bool aSparse, bool bSparse)
        => b.AddOperation("SparseMatMul", [x, w], new Dictionary<string, AttrValue>
        {
            ["transpose_a"] = Attrs.Bool(ta), ["transpose_b"] = Attrs.Bool(tb),
            ["a_is_sparse"] = Attrs.Bool(aSparse), ["b_is_sparse"] = Attrs.Bool(bSparse),
            ["Ta"] = Attrs.Type(x.DType), ["Tb"] = Attrs.Type(w.DType),
        }, "SparseMatMul");

    /// <summary>dL/dA and dL/dB of L = Σ W ⊙ op(A)·op(B), in the stored layouts of A and B.</summary>
    private static (double[] DA, double[] DB) Adjoint(float[] a, float[] bm, float[] weights, bool ta, bool tb)
    {
        double A(int i, int p) => ta ? a[p * M + i] : a[i * K + p];
        double B(int p, int j) => tb ? bm[j * K + p] : bm[p * N + j];
        var da = new double[M * K];
        var db = new double[K * N];
        for (int i = 0; i < M; i++)
            for (int p = 0; p < K; p++)
            {
                double s = 0;
                for (int j = 0; j < N; j++) s += weights[i * N + j] * B(p, j);
                da[ta ? p * M + i : i * K + p] = s;
            }
        for (int p = 0; p < K; p++)
            for (int j = 0; j < N; j++)
            {
                double s = 0;
                for (int i = 0; i < M; i++) s += A(i, p) * weights[i * N + j];
                db[tb ? j * K + p : p * N + j] = s;
            }
        return (da, db);
    }

    [Theory]
    [InlineData(false, false, true, false)]
    [InlineData(false, true, true, false)]
    [InlineData(true, false, false, true)]
    [InlineData(true, true, true, true)]
    [InlineData(false, false, false, false)]
    public void Gradients_match_the_adjoint_for_every_transpose(bool ta, bool tb, bool aSparse, bool bSparse)
    {
        var a = Values(1, M * K);
        var bm = Values(2, K * N);
        var weights = Values(3, M * N);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, ta ? [K, M] : [M, K], "a");
        var w = b.Placeholder(DataType.DtFloat, tb ? [N, K] : [K, N], "b");
        var y = b.OutputOf(SparseMatMul(b, x, w, ta, tb, aSparse, bSparse));
        var loss = b.ReduceSum(b.Multiply(y, b.Constant(weights, [M, N], "w")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [x, w]);
        using var s = new Session(b.Graph);
        var got = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["a:0"] = Tensor.Create(a, ta ? [K, M] : [M, K]),
            ["b:0"] = Tensor.Create(bm, tb ? [N, K] : [K, N]),
        });
        var (da, db) = Adjoint(a, bm, weights, ta, tb);
        Assert.Equal(ta ? [K, M] : [M, K], got[0].Shape.ToArray());
        Assert.Equal(tb ? [N, K] : [K, N], got[1].Shape.ToArray());
        Assert.Equal(da.Select(v => (float)v), got[0].ToArray<float>());
        Assert.Equal(db.Select(v => (float)v), got[1].ToArray<float>());

        // Each gradient product is a SparseMatMul exactly when one of its operands carries a sparsity hint (the incoming
        // gradient here is made by Sum's tiling, not ReluGrad, so it carries none).
        var gradientOps = b.Graph.Nodes.Where(n => n.Name.StartsWith("gradients", StringComparison.Ordinal)).Select(n => n.Op).ToList();
        int sparseProducts = (aSparse ? 1 : 0) + (bSparse ? 1 : 0);
        Assert.Equal(sparseProducts, gradientOps.Count(op => op == "SparseMatMul"));
        Assert.Equal(2 - sparseProducts, gradientOps.Count(op => op == "MatMul"));
        // _SparseMatMul makes a transposed second operand an explicit Transpose: dA's product (grad·Bᵀ or Bᵀ-first) when
        // tb is false, both products when ta and tb are true.
        int transposes = (tb ? 0 : 1) + (ta && tb ? 2 : 0);
        Assert.Equal(transposes, gradientOps.Count(op => op == "Transpose"));
    }

    [Fact]
    public void A_gradient_made_by_ReluGrad_counts_as_sparse_as_TF_guesses()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtFloat, [M, K], "a");
        var w = b.Placeholder(DataType.DtFloat, [K, N], "b");
        var y = b.Relu(b.OutputOf(SparseMatMul(b, x, w, false, false, false, false)));
        var loss = b.ReduceSum(b.Multiply(y, b.Constant(Values(3, M * N), [M, N], "w")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [x, w]);
        var products = b.Graph.Nodes.Where(n => n.Name.StartsWith("gradients", StringComparison.Ordinal) && n.Op is "SparseMatMul" or "MatMul").ToList();
        Assert.Equal(2, products.Count);
        Assert.All(products, p => Assert.Equal("SparseMatMul", p.Op));
        Assert.Single(products, p => p.GetBool("a_is_sparse", false) && !p.GetBool("b_is_sparse", false)); // grad · Bᵀ
        Assert.Single(products, p => !p.GetBool("a_is_sparse", false) && p.GetBool("b_is_sparse", false)); // Aᵀ · grad

        // Values: relu' masks the weights where op(A)·op(B) ≤ 0.
        var a = Values(1, M * K);
        var bm = Values(2, K * N);
        var weights = Values(3, M * N);
        var masked = new float[M * N];
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
            {
                double z = 0;
                for (int p = 0; p < K; p++) z += a[i * K + p] * (double)bm[p * N + j];
                masked[i * N + j] = z > 0 ? weights[i * N + j] : 0;
            }
        using var s = new Session(b.Graph);
        var got = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor> { ["a:0"] = Tensor.Create(a, M, K), ["b:0"] = Tensor.Create(bm, K, N) });
        var (da, db) = Adjoint(a, bm, masked, false, false);
        Assert.Equal(da.Select(v => (float)v), got[0].ToArray<float>());
        Assert.Equal(db.Select(v => (float)v), got[1].ToArray<float>());
    }

    [Fact]
    public void A_bfloat16_operand_gets_a_bfloat16_gradient()
    {
        var a = Values(1, M * K);
        var bm = Values(2, K * N);
        var weights = Values(3, M * N);
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtBfloat16, [M, K], "a");
        var w = b.Placeholder(DataType.DtFloat, [K, N], "b");
        var y = b.OutputOf(SparseMatMul(b, x, w, false, false, true, false));
        var loss = b.ReduceSum(b.Multiply(y, b.Constant(weights, [M, N], "w")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [x, w]);
        using var s = new Session(b.Graph);
        var aBf16 = new Tensor(DataType.DtBfloat16, new TensorShape(M, K), a.SelectMany(v => BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(v) >>> 16))).ToArray());
        var got = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor> { ["a:0"] = aBf16, ["b:0"] = Tensor.Create(bm, K, N) });
        Assert.Equal(DataType.DtBfloat16, got[0].DType);
        Assert.Equal(DataType.DtFloat, got[1].DType);
        var (da, db) = Adjoint(a, bm, weights, false, false);
        // dA is rounded to bfloat16 (8 significant bits); dB is float (A's values are exact in bfloat16).
        var daGot = got[0].Bytes.ToArray().Chunk(2).Select(p => BitConverter.Int32BitsToSingle(BitConverter.ToUInt16(p) << 16)).ToArray();
        for (int i = 0; i < da.Length; i++)
            Assert.True(Math.Abs(daGot[i] - da[i]) <= Math.Abs(da[i]) / 256 + 1e-7, $"dA[{i}] = {daGot[i]}, adjoint {da[i]}");
        Assert.Equal(db.Select(v => (float)v), got[1].ToArray<float>());
    }
}
