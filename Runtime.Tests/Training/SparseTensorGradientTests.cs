using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Tests.Training;

/// <summary>
/// sparse_grad.py's SparseTensorDenseMatMul and SparseReorder gradients against the adjoint written out in doubles:
/// every adjoint combination, a duplicated index (the op sums duplicates, so both entries get the same gradient), and
/// the values' gradient routed back through the reordering.
/// </summary>
public sealed class SparseTensorGradientTests
{
    private const int M = 3, K = 4, N = 2;
    // Entries of A (M×K), one index twice.
    private static readonly long[] Rows = [0, 2, 1, 2, 0];
    private static readonly long[] Cols = [1, 3, 0, 3, 2];
    private static readonly double[] Vals = [0.5, -1.25, 2.0, 0.75, -0.5];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void SparseTensorDenseMatMul_gradients_match_the_adjoint(bool adjA, bool adjB)
    {
        var rng = new Random(5);
        // op(A) is M×K: A is stored K×M when adjoint_a; op(B) is K×N: B is stored N×K when adjoint_b.
        int aRows = adjA ? K : M, aCols = adjA ? M : K;
        var bDense = Enumerable.Range(0, K * N).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var w = Enumerable.Range(0, M * N).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var rowsStored = adjA ? Cols : Rows;
        var colsStored = adjA ? Rows : Cols;

        var b = new GraphBuilder();
        var values = b.Placeholder(DataType.DtDouble, [Vals.Length], "values");
        var dense = b.Placeholder(DataType.DtDouble, adjB ? [N, K] : [K, N], "b");
        var indices = b.Constant(Tensor.Create(rowsStored.Zip(colsStored, (r, c) => new[] { r, c }).SelectMany(p => p).ToArray(), Vals.Length, 2), "indices");
        var shape = b.Constant(Tensor.Create(new long[] { aRows, aCols }, 2), "shape");
        var product = b.OutputOf(b.AddOperation("SparseTensorDenseMatMul", [indices, values, shape, dense],
            new Dictionary<string, AttrValue> { ["adjoint_a"] = Attrs.Bool(adjA), ["adjoint_b"] = Attrs.Bool(adjB) }, "SparseTensorDenseMatMul"));
        var loss = b.ReduceSum(b.Multiply(product, b.Constant(Tensor.Create(w, M, N), "w")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [values, dense]);

        // B stored as given; op(B)[k, n].
        var bStored = adjB ? Enumerable.Range(0, N * K).Select(i => bDense[(i % K) * N + i / K]).ToArray() : bDense;
        double OpB(int k, int n) => bDense[k * N + n];
        using var s = new Session(b.Graph);
        var got = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["values:0"] = Tensor.Create(Vals, Vals.Length),
            ["b:0"] = Tensor.Create(bStored, adjB ? [N, K] : [K, N]),
        });

        // Entry e sits at op(A)[Rows[e], Cols[e]] whatever the adjoint (the stored index is transposed above).
        var opA = new double[M * K];
        for (int e = 0; e < Vals.Length; e++) opA[Rows[e] * K + Cols[e]] += Vals[e];
        var dValues = new double[Vals.Length];
        for (int e = 0; e < Vals.Length; e++)
            for (int n = 0; n < N; n++) dValues[e] += w[Rows[e] * N + n] * OpB((int)Cols[e], n);
        var dOpB = new double[K * N];
        for (int k = 0; k < K; k++)
            for (int n = 0; n < N; n++)
                for (int m = 0; m < M; m++) dOpB[k * N + n] += opA[m * K + k] * w[m * N + n];
        var dB = adjB ? Enumerable.Range(0, N * K).Select(i => dOpB[(i % K) * N + i / K]).ToArray() : dOpB;

        Assert.Equal(adjB ? [N, K] : [K, N], got[1].Shape.ToArray());
        var gv = got[0].ToArray<double>();
        var gb = got[1].ToArray<double>();
        for (int e = 0; e < Vals.Length; e++) Assert.True(Math.Abs(gv[e] - dValues[e]) < 1e-12, $"d values[{e}] = {gv[e]}, adjoint {dValues[e]}");
        for (int i = 0; i < dB.Length; i++) Assert.True(Math.Abs(gb[i] - dB[i]) < 1e-12, $"d b[{i}] = {gb[i]}, adjoint {dB[i]}");
        Assert.Equal(gv[1], gv[3]); // the duplicated index
    }

    /// <summary>
    /// SparseAdd's gradient (SparseAddGrad): each sum entry's gradient goes to the a and b entries with its index — both
    /// where they share it — and entries the threshold dropped from the sum get 0.
    /// </summary>
    [Fact]
    public void SparseAdd_routes_each_sum_gradient_to_the_entries_with_its_index()
    {
        var b = new GraphBuilder();
        var av = b.Placeholder(DataType.DtFloat, [3], "a_values");
        var bv = b.Placeholder(DataType.DtFloat, [3], "b_values");
        var shape = b.Constant(Tensor.Create(new long[] { 2, 3 }, 2), "shape");
        // a at (0,0) (0,2) (1,1); b at (0,2) (1,0) (1,1). With thresh 0.5: (0,2) sums to 1.0 (kept), (1,1) to 0.25 (dropped).
        var ai = b.Constant(Tensor.Create(new long[] { 0, 0, 0, 2, 1, 1 }, 3, 2), "a_indices");
        var bi = b.Constant(Tensor.Create(new long[] { 0, 2, 1, 0, 1, 1 }, 3, 2), "b_indices");
        var sum = b.AddOperation("SparseAdd", [ai, av, shape, bi, bv, shape, b.Constant(0.5f, "thresh")], null, "SparseAdd");
        var sumValues = b.OutputOf(sum, 1);
        // Weights by sum position: (0,0) → 1, (0,2) → 2, (1,0) → 3.
        var loss = b.ReduceSum(b.Multiply(sumValues, b.Constant(new[] { 1f, 2f, 3f }, [3], "w")), [0]);
        var grads = Gradients.Compute(b, [loss], [av, bv]);
        using var s = new Session(b.Graph);
        var r = s.Run([sumValues.Name, grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["a_values:0"] = Tensor.Create(new[] { 4f, 0.25f, 0.5f }, 3),
            ["b_values:0"] = Tensor.Create(new[] { 0.75f, 6f, -0.25f }, 3),
        });
        Assert.Equal([4f, 1f, 6f], r[0].ToArray<float>());
        Assert.Equal([1f, 2f, 0f], r[1].ToArray<float>());
        Assert.Equal([2f, 3f, 0f], r[2].ToArray<float>());
    }

    /// <summary>SparseToDense: each value gets the gradient at its index; the default value the sum over the other
    /// positions.</summary>
    [Fact]
    public void SparseToDense_gives_values_their_positions_and_the_default_the_rest()
    {
        var b = new GraphBuilder();
        var values = b.Placeholder(DataType.DtDouble, [3], "values");
        var fill = b.Placeholder(DataType.DtDouble, [], "default");
        var indices = b.Constant(Tensor.Create(new long[] { 0, 1, 1, 2, 2, 0 }, 3, 2), "indices");
        var dense = b.OutputOf(b.AddOperation("SparseToDense", [indices, b.Constant(Tensor.Create(new long[] { 3, 3 }, 2), "shape"), values, fill], null, "SparseToDense"));
        var w = Enumerable.Range(0, 9).Select(i => (double)(i + 1)).ToArray(); // weight of position (r, c) = 3r + c + 1
        var loss = b.ReduceSum(b.Multiply(dense, b.Constant(Tensor.Create(w, 3, 3), "w")), [0, 1]);
        var grads = Gradients.Compute(b, [loss], [values, fill]);
        using var s = new Session(b.Graph);
        var r = s.Run([grads[0]!.Value.Name, grads[1]!.Value.Name], new Dictionary<string, Tensor>
        {
            ["values:0"] = Tensor.Create(new[] { 1.0, 2.0, 3.0 }, 3),
            ["default:0"] = Tensor.FromScalar(0.5),
        });
        Assert.Equal([2.0, 6.0, 7.0], r[0].ToArray<double>()); // positions (0,1), (1,2), (2,0)
        Assert.Equal(45.0 - 15.0, r[1].Scalar<double>());
    }

    [Fact]
    public void SparseReorder_routes_the_values_gradient_back_to_the_input_order()
    {
        var b = new GraphBuilder();
        var values = b.Placeholder(DataType.DtFloat, [4], "values");
        var indices = b.Constant(Tensor.Create(new long[] { 2, 1, 0, 3, 1, 0, 0, 0 }, 4, 2), "indices");
        var shape = b.Constant(Tensor.Create(new long[] { 3, 4 }, 2), "shape");
        var reorder = b.AddOperation("SparseReorder", [indices, values, shape], null, "SparseReorder");
        var outValues = b.OutputOf(reorder, 1);
        // Weight the reordered values by position: the input entry that lands at position p gets weight p + 1.
        var loss = b.ReduceSum(b.Multiply(outValues, b.Constant(new[] { 1f, 2f, 3f, 4f }, [4], "w")), [0]);
        var grad = Gradients.Compute(b, [loss], [values])[0]!.Value;
        using var s = new Session(b.Graph);
        var r = s.Run([outValues.Name, grad.Name], new Dictionary<string, Tensor> { ["values:0"] = Tensor.Create(new[] { 10f, 20f, 30f, 40f }, 4) });
        // Row-major order of (2,1), (0,3), (1,0), (0,0): (0,0) (0,3) (1,0) (2,1) = inputs 3, 1, 2, 0.
        Assert.Equal([40f, 20f, 30f, 10f], r[0].ToArray<float>());
        Assert.Equal([4f, 2f, 3f, 1f], r[1].ToArray<float>());
    }
}
