using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Review sweep over non-float dtype paths (int64, uint8, double, half, bool, string).</summary>
public class DtypePathTests
{
    static Tensor L(params long[] v) => Tensor.Create(v, v.Length);

    [Fact] public void AddInt64BeyondInt32() => Assert.Equal([(1L << 40) + 1], Run1("AddV2", [L(1L << 40), L(1)], T(DataType.DtInt64)).ToArray<long>());
    [Fact] public void MulUint8Wraps() => Assert.Equal([(byte)144], Run1("Mul", [Tensor.Create(new byte[] { 200 }, 1), Tensor.Create(new byte[] { 2 }, 1)], T(DataType.DtUint8)).ToArray<byte>());
    [Fact] public void SumInt64Large() => Assert.Equal([3L << 40], Run1("Sum", [L(1L << 40, 2L << 40), Tensor.FromScalar(0)], T(DataType.DtInt64), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<long>());
    [Fact] public void MeanInt64() => Assert.Equal([(1L << 40) + 1], Run1("Mean", [L(1L << 40, (1L << 40) + 2), Tensor.FromScalar(0)], T(DataType.DtInt64), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<long>());
    [Fact] public void SoftmaxDouble() => Assert.Equal([0.5, 0.5], Run1("Softmax", [Tensor.Create(new[] { 3.0, 3.0 }, 1, 2)], T(DataType.DtDouble)).ToArray<double>());
    [Fact] public void CastFloatToHalfAndBack() => Assert.Equal([1.5f, 65504f], Run1("Cast", [Run1("Cast", [Tensor.Create(new[] { 1.5f, 65504f }, 2)], ("SrcT", Type(DataType.DtFloat)), ("DstT", Type(DataType.DtHalf)))], ("SrcT", Type(DataType.DtHalf)), ("DstT", Type(DataType.DtFloat))).ToArray<float>());
    [Fact] public void CastInt64ToInt32Truncates() => Assert.Equal([unchecked((int)((1L << 32) + 5))], Run1("Cast", [L((1L << 32) + 5)], ("SrcT", Type(DataType.DtInt64)), ("DstT", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void MaximumInt64() => Assert.Equal([1L << 40, 3], Run1("Maximum", [L(1L << 40, 2), L(5, 3)], T(DataType.DtInt64)).ToArray<long>());
    [Fact] public void LogicalAndBool() => Assert.Equal([true, false], Run1("LogicalAnd", [Tensor.Create(new[] { true, true }, 2), Tensor.Create(new[] { true, false }, 2)]).ToArray<bool>());
    [Fact] public void ConcatStrings() => Assert.Equal(["a", "b", "c"], Run1("ConcatV2", [Tensor.FromStrings(["a"], 1), Tensor.FromStrings(["b", "c"], 2), Tensor.FromScalar(0)], T(DataType.DtString), ("N", Int(2)), ("Tidx", Type(DataType.DtInt32))).Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)));
    [Fact] public void TileStrings() => Assert.Equal(["a", "b", "a", "b"], Run1("Tile", [Tensor.FromStrings(["a", "b"], 2), Tensor.Create(new[] { 2 }, 1)], T(DataType.DtString), ("Tmultiples", Type(DataType.DtInt32))).Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)));
    [Fact] public void ReshapeStrings() => Assert.Equal(new TensorShape(2, 1), Run1("Reshape", [Tensor.FromStrings(["a", "b"], 2), Tensor.Create(new[] { 2, 1 }, 2)], T(DataType.DtString)).Shape);
    [Fact] public void TransposeStrings() => Assert.Equal(["a", "c", "b", "d"], Run1("Transpose", [Tensor.FromStrings(["a", "b", "c", "d"], 2, 2), Tensor.Create(new[] { 1, 0 }, 2)], T(DataType.DtString), ("Tperm", Type(DataType.DtInt32))).Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)));
    [Fact] public void RangeInt64() => Assert.Equal([1L << 33, (1L << 33) + 1], Run1("Range", [Tensor.FromScalar(1L << 33), Tensor.FromScalar((1L << 33) + 2), Tensor.FromScalar(1L)], ("Tidx", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void OneHotInt64Indices() => Assert.Equal([0f, 1, 1, 0], Run1("OneHot", [L(1, 0), Tensor.FromScalar(2), Tensor.FromScalar(1f), Tensor.FromScalar(0f)], T(DataType.DtFloat), ("TI", Type(DataType.DtInt64)), ("axis", Int(-1))).ToArray<float>());
    [Fact] public void ArgMaxInt32Output() => Assert.Equal([2], Run1("ArgMax", [Tensor.Create(new[] { 1, 2, 9 }, 3), Tensor.FromScalar(0)], T(DataType.DtInt32), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void FloorDivInt64Negative() => Assert.Equal([-(1L << 39) - 1], Run1("FloorDiv", [L(-(1L << 40) - 1), L(2)], T(DataType.DtInt64)).ToArray<long>());
    [Fact] public void PowInt64() => Assert.Equal([1L << 40], Run1("Pow", [L(2), L(40)], T(DataType.DtInt64)).ToArray<long>());
    [Fact] public void SquareDoublePrecision() => Assert.Equal([1e20 + 2e10 + 1], Run1("Square", [Tensor.Create(new[] { 1e10 + 1 }, 1)], T(DataType.DtDouble)).ToArray<double>());
    [Fact] public void ExpDoublePrecision() => Assert.Equal(Math.Exp(0.1), Run1("Exp", [Tensor.Create(new[] { 0.1 }, 1)], T(DataType.DtDouble)).ToArray<double>()[0]);
    [Fact] public void SigmoidDoublePrecision() => Assert.Equal(1 / (1 + Math.Exp(-0.3)), Run1("Sigmoid", [Tensor.Create(new[] { 0.3 }, 1)], T(DataType.DtDouble)).ToArray<double>()[0], 15);
    [Fact] public void MatMulDoublePrecision() => Assert.Equal([1e10 * (1e10 + 1) + 1], Run1("MatMul", [Tensor.Create(new[] { 1e10, 1.0 }, 1, 2), Tensor.Create(new[] { 1e10 + 1, 1.0 }, 2, 1)], T(DataType.DtDouble), ("transpose_a", Bool(false)), ("transpose_b", Bool(false))).ToArray<double>());
}
