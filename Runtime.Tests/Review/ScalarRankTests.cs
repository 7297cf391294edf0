using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Scalars vs rank-1 in shape-manipulating ops.</summary>
public class ScalarRankTests
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor I(int[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);

    [Fact] public void ExpandDimsVectorDim() => Assert.Equal(new TensorShape(1, 2), Run1("ExpandDims", [F([1, 2]), I([0])], T(DataType.DtFloat), ("Tdim", Type(DataType.DtInt32))).Shape);
    [Fact] public void ExpandDimsScalar() => Assert.Equal(new TensorShape(1), Run1("ExpandDims", [Tensor.FromScalar(3f), Tensor.FromScalar(-1)], T(DataType.DtFloat), ("Tdim", Type(DataType.DtInt32))).Shape);
    [Fact] public void SqueezeNegative() => Assert.Equal(new TensorShape(2), Run1("Squeeze", [F([1, 2], 2, 1)], T(DataType.DtFloat), ("squeeze_dims", Ints(-1))).Shape);
    [Fact] public void SqueezeAllToScalar() => Assert.Equal(0, Run1("Squeeze", [F([5], 1, 1)], T(DataType.DtFloat), ("squeeze_dims", Ints())).Shape.Rank);
    [Fact] public void ReshapeToScalarWithEmptyShape() => Assert.Equal(0, Run1("Reshape", [F([5], 1), I([], 0)], T(DataType.DtFloat)).Shape.Rank);
    [Fact] public void ConcatScalarsIsError() => Assert.Throws<GraphExecutionException>(() => Run1("ConcatV2", [Tensor.FromScalar(1f), Tensor.FromScalar(2f), Tensor.FromScalar(0)], T(DataType.DtFloat), ("N", Int(2)), ("Tidx", Type(DataType.DtInt32))));
    [Fact] public void PackScalars() => Assert.Equal([1f, 2], Run1("Pack", [Tensor.FromScalar(1f), Tensor.FromScalar(2f)], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(0))).ToArray<float>());
    [Fact] public void TileScalarEmptyMultiples() => Assert.Equal(0, Run1("Tile", [Tensor.FromScalar(1f), I([], 0)], T(DataType.DtFloat), ("Tmultiples", Type(DataType.DtInt32))).Shape.Rank);
    [Fact] public void TransposeScalar() => Assert.Equal(7f, Run1("Transpose", [Tensor.FromScalar(7f), I([], 0)], T(DataType.DtFloat), ("Tperm", Type(DataType.DtInt32))).Scalar<float>());
    [Fact] public void FillScalar() => Assert.Equal(0, Run1("Fill", [I([], 0), Tensor.FromScalar(1f)], T(DataType.DtFloat), ("index_type", Type(DataType.DtInt32))).Shape.Rank);
    [Fact] public void FillNonScalarValueIsError() => Assert.Throws<GraphExecutionException>(() => Run1("Fill", [I([2]), F([1, 2])], T(DataType.DtFloat), ("index_type", Type(DataType.DtInt32))));
    [Fact] public void SumScalarNoAxes() => Assert.Equal(3f, Run1("Sum", [Tensor.FromScalar(3f), I([], 0)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(true))).Scalar<float>());
    [Fact] public void GatherScalarIndex() => Assert.Equal(0, Run1("GatherV2", [F([1, 2, 3]), Tensor.FromScalar(1), Tensor.FromScalar(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))).Shape.Rank);
    [Fact] public void GatherFromScalarIsError() => Assert.Throws<GraphExecutionException>(() => Run1("GatherV2", [Tensor.FromScalar(1f), Tensor.FromScalar(0), Tensor.FromScalar(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void SliceScalarRankMismatchIsError() => Assert.Throws<GraphExecutionException>(() => Run1("Slice", [F([1, 2, 3]), I([0, 0]), I([1, 1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))));
    [Fact] public void TransposePermWrongLengthIsError() => Assert.Throws<GraphExecutionException>(() => Run1("Transpose", [F([1, 2]), I([0, 1])], T(DataType.DtFloat), ("Tperm", Type(DataType.DtInt32))));
    [Fact] public void PadWrongPaddingsShapeIsError() => Assert.Throws<GraphExecutionException>(() => Run1("Pad", [F([1, 2]), I([1, 1, 1, 1], 2, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32))));
    [Fact] public void TileWrongMultiplesLengthIsError() => Assert.Throws<GraphExecutionException>(() => Run1("Tile", [F([1, 2]), I([1, 1])], T(DataType.DtFloat), ("Tmultiples", Type(DataType.DtInt32))));
    [Fact] public void OneHotScalarIndex() => Assert.Equal([0f, 1, 0], Run1("OneHot", [Tensor.FromScalar(1), Tensor.FromScalar(3), Tensor.FromScalar(1f), Tensor.FromScalar(0f)], T(DataType.DtFloat), ("TI", Type(DataType.DtInt32)), ("axis", Int(-1))).ToArray<float>());
    [Fact] public void ArgMaxOfScalarIsError() => Assert.Throws<GraphExecutionException>(() => Run1("ArgMax", [Tensor.FromScalar(1f), Tensor.FromScalar(0)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))));
    [Fact] public void SoftmaxScalarIsError() => Assert.Throws<GraphExecutionException>(() => Run1("Softmax", [Tensor.FromScalar(1f)], T(DataType.DtFloat)));
    [Fact] public void MatMulRank1IsError() => Assert.Throws<GraphExecutionException>(() => Run1("MatMul", [F([1, 2]), F([1, 2])], T(DataType.DtFloat), ("transpose_a", Bool(false)), ("transpose_b", Bool(false))));
    [Fact] public void BiasAddRank1IsError() => Assert.Throws<GraphExecutionException>(() => Run1("BiasAdd", [F([1, 2]), F([1, 2])], T(DataType.DtFloat)));
}
