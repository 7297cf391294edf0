using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Linalg;

public class MatrixDiagKernelTests
{
    // tf.linalg.diag_part / tf.linalg.diag / tf.linalg.set_diag doc input, shape (2, 3, 4).
    private static readonly int[] DocInput = [1, 2, 3, 4, 5, 6, 7, 8, 9, 8, 7, 6, 5, 4, 3, 2, 1, 2, 3, 4, 5, 6, 7, 8];

    private static (string, AttrValue)[] Align(string a) => Attrs(("align", a));

    [Fact]
    public void MatrixDiagPartV3_MatchesTfDocExamples_ForMainSuperAndBandWithBothAlignments()
    {
        var input = I(DocInput, 2, 3, 4);
        var zero = Tensor.FromScalar(0);
        var main = Compute("MatrixDiagPartV3", [input, Tensor.FromScalar(0), zero], 1, Align("RIGHT_LEFT"))[0];
        Assert.Equal(new TensorShape(2, 3), main.Shape);
        Assert.Equal([1, 6, 7, 5, 2, 7], main.ToArray<int>());
        Assert.Equal([2, 7, 6, 4, 3, 8], Compute("MatrixDiagPartV3", [input, Tensor.FromScalar(1), zero], 1, Align("RIGHT_LEFT"))[0].ToArray<int>());
        // k = (-1, 2): rows ordered from diagonal 2 down to -1; RIGHT_LEFT right-aligns superdiagonals, left-aligns subdiagonals.
        var band = Compute("MatrixDiagPartV3", [input, I([-1, 2]), zero], 1, Align("RIGHT_LEFT"))[0];
        Assert.Equal(new TensorShape(2, 4, 3), band.Shape);
        Assert.Equal([0, 3, 8, 2, 7, 6, 1, 6, 7, 5, 8, 0, 0, 3, 4, 4, 3, 8, 5, 2, 7, 1, 6, 0], band.ToArray<int>());
        var leftRight = Compute("MatrixDiagPartV3", [input, I([-1, 2]), zero], 1, Align("LEFT_RIGHT"))[0];
        Assert.Equal([3, 8, 0, 2, 7, 6, 1, 6, 7, 0, 5, 8, 3, 4, 0, 4, 3, 8, 5, 2, 7, 0, 1, 6], leftRight.ToArray<int>());
        // V2 has no align attr and packs every diagonal on the left; padding_value fills the rest.
        var v2 = Compute("MatrixDiagPartV2", [input, I([-1, 2]), Tensor.FromScalar(9)])[0];
        Assert.Equal([3, 8, 9, 2, 7, 6, 1, 6, 7, 5, 8, 9, 3, 4, 9, 4, 3, 8, 5, 2, 7, 1, 6, 9], v2.ToArray<int>());
        Assert.Equal([1, 6, 7, 5, 2, 7], Compute1("MatrixDiagPart", [input]).ToArray<int>());
    }

    [Fact]
    public void MatrixDiagV3_MatchesTfDocExamples_BandSquareAndRectangular()
    {
        // doc: diagonals (2, 3, 3) with k = (-1, 1), RIGHT_LEFT.
        var diagonals = I([0, 8, 9, 1, 2, 3, 4, 5, 0, 0, 2, 3, 6, 7, 9, 9, 1, 0], 2, 3, 3);
        var m1 = Tensor.FromScalar(-1);
        var o = Compute("MatrixDiagV3", [diagonals, I([-1, 1]), m1, m1, Tensor.FromScalar(0)], 1, Align("RIGHT_LEFT"))[0];
        Assert.Equal(new TensorShape(2, 3, 3), o.Shape);
        Assert.Equal([1, 8, 0, 4, 2, 9, 0, 5, 3, 6, 2, 0, 9, 7, 3, 0, 1, 9], o.ToArray<int>());
        // doc: diagonal [1, 2], k = -1, num_rows 3, num_cols 4 -> (3, 4); num_cols inferred with padding 9 -> (3, 2).
        var rect = Compute("MatrixDiagV3", [I([1, 2]), Tensor.FromScalar(-1), Tensor.FromScalar(3), Tensor.FromScalar(4), Tensor.FromScalar(0)], 1, Align("RIGHT_LEFT"))[0];
        Assert.Equal(new TensorShape(3, 4), rect.Shape);
        Assert.Equal([0, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 0], rect.ToArray<int>());
        var inferred = Compute("MatrixDiagV3", [I([1, 2]), Tensor.FromScalar(-1), Tensor.FromScalar(3), m1, Tensor.FromScalar(9)], 1, Align("RIGHT_LEFT"))[0];
        Assert.Equal(new TensorShape(3, 2), inferred.Shape);
        Assert.Equal([9, 9, 1, 9, 9, 2], inferred.ToArray<int>());
        // V1: batch of main diagonals -> batch of square matrices, float.
        var v1 = Compute1("MatrixDiag", [F([1, 2, 3, 4], 2, 2)]);
        Assert.Equal(new TensorShape(2, 2, 2), v1.Shape);
        Assert.Equal([1f, 0, 0, 2, 3, 0, 0, 4], v1.ToArray<float>());
        var e = Assert.Throws<GraphExecutionException>(() => Compute("MatrixDiagV3", [I([1, 2]), Tensor.FromScalar(-1), Tensor.FromScalar(2), Tensor.FromScalar(2), Tensor.FromScalar(0)], 1, Align("RIGHT_LEFT")));
        Assert.Contains("The number of rows is too small.", e.Message);
    }

    [Theory]
    [InlineData("LEFT_LEFT")]
    [InlineData("LEFT_RIGHT")]
    [InlineData("RIGHT_LEFT")]
    [InlineData("RIGHT_RIGHT")]
    public void DiagPartThenDiag_KeepsTheBand_AndSetDiagWritesOnlyTheBand(string align)
    {
        // Independent check: a band extracted and re-expanded equals the input masked to the band (naive loop).
        const int rows = 4, cols = 5, lo = -2, hi = 1;
        var data = Enumerable.Range(1, 2 * rows * cols).Select(v => (double)v).ToArray();
        var input = Tensor.Create(data, 2, rows, cols);
        var part = Compute("MatrixDiagPartV3", [input, I([lo, hi]), Tensor.FromScalar(0.0)], 1, Align(align))[0];
        var back = Compute("MatrixDiagV3", [part, I([lo, hi]), Tensor.FromScalar(rows), Tensor.FromScalar(cols), Tensor.FromScalar(0.0)], 1, Align(align))[0];
        var expected = new double[data.Length];
        for (int b = 0; b < 2; b++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    if (j - i >= lo && j - i <= hi) expected[(b * rows + i) * cols + j] = data[(b * rows + i) * cols + j];
        Assert.Equal(expected, back.ToArray<double>());
        // set_diag with the band of `data` negated: band elements negated, everything else untouched.
        var negPart = Tensor.Create(part.ToArray<double>().Select(v => -v).ToArray(), part.Shape.ToArray());
        var set = Compute("MatrixSetDiagV3", [input, negPart, I([lo, hi])], 1, Align(align))[0].ToArray<double>();
        for (int k = 0; k < data.Length; k++)
            Assert.Equal(expected[k] != 0 ? -data[k] : data[k], set[k]);
    }

    [Fact]
    public void MatrixSetDiag_MatchesTfDocExample_AndRejectsWrongDiagonalShape()
    {
        var input = I(Enumerable.Repeat(7, 24).ToArray(), 2, 3, 4);
        var diag = I([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([1, 7, 7, 7, 7, 2, 7, 7, 7, 7, 3, 7, 4, 7, 7, 7, 7, 5, 7, 7, 7, 7, 6, 7], Compute1("MatrixSetDiag", [input, diag]).ToArray<int>());
        Assert.Equal([7, 1, 7, 7, 7, 7, 2, 7, 7, 7, 7, 3, 7, 4, 7, 7, 7, 7, 5, 7, 7, 7, 7, 6],
            Compute("MatrixSetDiagV3", [input, diag, Tensor.FromScalar(1)], 1, Align("RIGHT_LEFT"))[0].ToArray<int>());
        Assert.Throws<GraphExecutionException>(() => Compute1("MatrixSetDiag", [input, I([1, 2], 1, 2)]));
        var e = Assert.Throws<GraphExecutionException>(() => Compute("MatrixDiagPartV2", [input, Tensor.FromScalar(4), Tensor.FromScalar(0)]));
        Assert.Contains("lower_diag_index is out of bound", e.Message);
    }

    [Fact]
    public void MatrixBandPart_KeepsNumLowerAndNumUpper_NegativeMeansAll()
    {
        var data = Enumerable.Range(1, 2 * 4 * 4).Select(v => (float)v).ToArray();
        foreach (var (lower, upper) in new[] { (1L, -1L), (0L, 0L), (-1L, 0L), (2L, 1L), (-1L, -1L) })
        {
            var r = Compute1("MatrixBandPart", [F(data, 2, 4, 4), Tensor.FromScalar(lower), Tensor.FromScalar(upper)]).ToArray<float>();
            for (int b = 0; b < 2; b++)
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                    {
                        bool inBand = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper);
                        int at = (b * 4 + i) * 4 + j;
                        Assert.Equal(inBand ? data[at] : 0f, r[at]);
                    }
        }
        var e = Assert.Throws<GraphExecutionException>(() => Compute1("MatrixBandPart", [F(data, 2, 4, 4), Tensor.FromScalar(5L), Tensor.FromScalar(0L)]));
        Assert.Contains("num_lower must be negative or less or equal to number of rows", e.Message);
        Assert.Equal(new TensorShape(0, 3, 3), Compute1("MatrixBandPart", [F([], 0, 3, 3), Tensor.FromScalar(0), Tensor.FromScalar(0)]).Shape);
    }

    [Fact]
    public void DiagAndDiagPart_AreRank2kInverses()
    {
        // tf.linalg.tensor_diag doc: diagonal [1, 2, 3, 4] -> 4x4; a [2, 2] diagonal -> [2, 2, 2, 2] with out[i,j,i,j] = d[i,j].
        Assert.Equal([1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4], Compute1("Diag", [I([1, 2, 3, 4])]).ToArray<int>());
        var d = Compute1("Diag", [F([1, 2, 3, 4], 2, 2)]);
        Assert.Equal(new TensorShape(2, 2, 2, 2), d.Shape);
        var v = d.ToArray<float>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 2; j++)
                for (int k = 0; k < 2; k++)
                    for (int l = 0; l < 2; l++)
                        Assert.Equal(i == k && j == l ? 1 + i * 2 + j : 0, v[((i * 2 + j) * 2 + k) * 2 + l]);
        Assert.Equal([1f, 2, 3, 4], Compute1("DiagPart", [d]).ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Compute1("DiagPart", [F([1, 2, 3, 4, 5, 6], 2, 3)]));
        Assert.Throws<GraphExecutionException>(() => Compute1("DiagPart", [F([1, 2, 3], 3)]));
    }
}
