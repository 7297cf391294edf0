using System.Text;
using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Review sweep of less-common array ops against TF's documented results.</summary>
public class ArrayOpEdgeTests
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor I(int[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static void Err(Action a) { var e = Assert.Throws<GraphExecutionException>(a); Assert.Contains("'op'", e.Message); }

    [Fact] public void MirrorPadReflect() => Assert.Equal([3f, 2, 1, 2, 3, 2, 1], Run1("MirrorPad", [F([1, 2, 3]), I([2, 2], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32)), ("mode", Str("REFLECT"))).ToArray<float>());
    [Fact] public void MirrorPadSymmetric() => Assert.Equal([2f, 1, 1, 2, 3, 3, 2], Run1("MirrorPad", [F([1, 2, 3]), I([2, 2], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32)), ("mode", Str("SYMMETRIC"))).ToArray<float>());
    [Fact] public void MirrorPadReflectTooWideIsError() => Err(() => Run1("MirrorPad", [F([1, 2, 3]), I([3, 0], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32)), ("mode", Str("REFLECT"))));
    [Fact] public void PadV2Constant() => Assert.Equal([9f, 1, 2, 9], Run1("PadV2", [F([1, 2]), I([1, 1], 1, 2), Tensor.FromScalar(9f)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32))).ToArray<float>());
    [Fact]
    public void UniqueFirstOccurrenceOrder()
    {
        var r = Run("Unique", [I([4, 1, 4, 2, 1])], 2, T(DataType.DtInt32), ("out_idx", Type(DataType.DtInt32)));
        Assert.Equal([4, 1, 2], r[0].ToArray<int>());
        Assert.Equal([0, 1, 0, 2, 1], r[1].ToArray<int>());
    }
    [Fact] public void WhereCoordinates() => Assert.Equal([0L, 1, 1, 0], Run1("Where", [Tensor.Create(new[] { false, true, true, false }, 2, 2)], T(DataType.DtBool)).ToArray<long>());
    [Fact] public void InTopKTiesAtBoundaryCount() => Assert.Equal([true, true, false], Run1("InTopKV2", [F([1, 2, 2, 0, 5, 5, 5, 0, 1, 2, 3, 4], 3, 4), I([1, 2, 4]), Tensor.FromScalar(1)], T(DataType.DtInt32)).ToArray<bool>());
    [Fact] public void InTopKRow0Tie() => Assert.Equal([true], Run1("InTopKV2", [F([1, 2, 2, 0], 1, 4), I([2]), Tensor.FromScalar(1)], T(DataType.DtInt32)).ToArray<bool>());
    [Fact] public void TopKTooLargeIsError() => Err(() => Run("TopKV2", [F([1, 2]), Tensor.FromScalar(3)], 2, T(DataType.DtFloat), ("sorted", Bool(true))));
    [Fact] public void InvertPermutationBadIsError() => Err(() => Run1("InvertPermutation", [I([0, 0])], T(DataType.DtInt32)));
    [Fact] public void InvertPermutation() => Assert.Equal([2, 0, 1], Run1("InvertPermutation", [I([1, 2, 0])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void StringJoinSeparator() => Assert.Equal("a-b", Encoding.UTF8.GetString(Run1("StringJoin", [Tensor.FromString("a"), Tensor.FromString("b")], ("N", Int(2)), ("separator", Str("-"))).Strings[0]));
    [Fact] public void XlogyZero() => Assert.Equal([0f], Run1("Xlogy", [F([0]), F([0])], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void DivNoNanZero() => Assert.Equal([0f], Run1("DivNoNan", [F([1]), F([0])], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void SelectScalarCond() => Assert.Equal([1f, 2], Run1("Select", [Tensor.FromScalar(true), F([1, 2]), F([3, 4])], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void SelectV2Broadcast() => Assert.Equal([1f, 4, 1, 4], Run1("SelectV2", [Tensor.Create(new[] { true, false }, 2), Tensor.FromScalar(1f), F([3, 4, 3, 4], 2, 2)], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void BroadcastGradientArgs()
    {
        var r = Run("BroadcastGradientArgs", [I([2, 1, 3]), I([4, 1])], 2, T(DataType.DtInt32));
        Assert.Equal([1], r[0].ToArray<int>());
        Assert.Equal([0, 2], r[1].ToArray<int>());
    }
    [Fact] public void ConcatOffset() => Assert.Equal([0, 2, 0], Run("ConcatOffset", [Tensor.FromScalar(1), I([2, 2, 3]), I([2, 5, 3])], 2, ("N", Int(2)))[1].ToArray<int>());
    [Fact] public void SizeInt64() => Assert.Equal(6L, Run1("Size", [F(new float[6], 2, 3)], T(DataType.DtFloat), ("out_type", Type(DataType.DtInt64))).Scalar<long>());
    [Fact] public void LeakyReluAlpha() => Assert.Equal([-0.5f, 2], Run1("LeakyRelu", [F([-1, 2])], T(DataType.DtFloat), ("alpha", Float(0.5f))).ToArray<float>());
    [Fact] public void UnsortedSegmentSumOutOfRangeIsError() => Err(() => Run1("UnsortedSegmentSum", [F([1, 2]), I([0, 5]), Tensor.FromScalar(2)], T(DataType.DtFloat), ("Tindices", Type(DataType.DtInt32)), ("Tnumsegments", Type(DataType.DtInt32))));
    [Fact] public void UnsortedSegmentSumNegativeDropped() => Assert.Equal([1f, 0], Run1("UnsortedSegmentSum", [F([1, 2]), I([0, -1]), Tensor.FromScalar(2)], T(DataType.DtFloat), ("Tindices", Type(DataType.DtInt32)), ("Tnumsegments", Type(DataType.DtInt32))).ToArray<float>());
}
