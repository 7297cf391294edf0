using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Second review sweep: error paths (must be GraphExecutionException naming the node) and edge values.</summary>
public class TfSemanticsChecks2
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor I(int[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor L(long[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor S(int v) => Tensor.FromScalar(v);
    static (string, AttrValue) Tidx => ("Tidx", Type(DataType.DtInt32));
    static (string, AttrValue) Keep(bool b) => ("keep_dims", Bool(b));
    static void Err(Action a) { var e = Assert.Throws<GraphExecutionException>(a); Assert.Contains("'op'", e.Message); }

    [Fact] public void Q01_ConcatMismatch() => Err(() => Run1("ConcatV2", [F([1, 2], 1, 2), F([1, 2, 3], 1, 3), S(0)], T(DataType.DtFloat), ("N", Int(2)), Tidx));
    [Fact] public void Q02_ConcatNegAxis() => Assert.Equal([1f, 2, 5, 3, 4, 6], Run1("ConcatV2", [F([1, 2, 3, 4], 2, 2), F([5, 6], 2, 1), S(-1)], T(DataType.DtFloat), ("N", Int(2)), Tidx).ToArray<float>());
    [Fact] public void Q04_SumInt64Axes() => Assert.Equal([4L, 6], Run1("Sum", [L([1, 2, 3, 4], 2, 2), L([0])], T(DataType.DtInt64), ("Tidx", Type(DataType.DtInt64)), Keep(false)).ToArray<long>());
    [Fact] public void Q05_MaxIntEmpty() => Assert.Equal([int.MinValue], Run1("Max", [I([], 0), I([0])], T(DataType.DtInt32), Tidx, Keep(false)).ToArray<int>());
    [Fact] public void Q06_AllEmpty() => Assert.Equal([true], Run1("All", [Tensor.Create(new bool[0], 0), I([0])], Tidx, Keep(false)).ToArray<bool>());
    [Fact] public void Q07_AnyEmpty() => Assert.Equal([false], Run1("Any", [Tensor.Create(new bool[0], 0), I([0])], Tidx, Keep(false)).ToArray<bool>());
    [Fact] public void Q08_RangeFloat() => Assert.Equal(4, Run1("Range", [Tensor.FromScalar(0f), Tensor.FromScalar(1f), Tensor.FromScalar(0.3f)], ("Tidx", Type(DataType.DtFloat))).NumElements);
    [Fact] public void Q09_RangeZeroDelta() => Err(() => Run1("Range", [S(0), S(5), S(0)], Tidx));
    [Fact] public void Q10_OneHotNegDepth() => Err(() => Run1("OneHot", [I([0]), S(-1), Tensor.FromScalar(1f), Tensor.FromScalar(0f)], T(DataType.DtFloat), ("TI", Type(DataType.DtInt32)), ("axis", Int(-1))));
    [Fact] public void Q11_TileNeg() => Err(() => Run1("Tile", [F([1, 2]), I([-1])], T(DataType.DtFloat), ("Tmultiples", Type(DataType.DtInt32))));
    [Fact] public void Q12_PadNeg() => Err(() => Run1("Pad", [F([1, 2]), I([-1, 0], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32))));
    [Fact] public void Q13_SliceMinus1() => Assert.Equal([2f, 3], Run1("Slice", [F([1, 2, 3]), I([1]), I([-1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))).ToArray<float>());
    [Fact] public void Q14_SliceNegBegin() => Err(() => Run1("Slice", [F([1, 2, 3]), I([-1]), I([1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))));
    [Fact] public void Q15_ExpandDimsOOR() => Err(() => Run1("ExpandDims", [F([1, 2]), S(3)], T(DataType.DtFloat), ("Tdim", Type(DataType.DtInt32))));
    [Fact] public void Q16_ReshapeTwoMinus1() => Err(() => Run1("Reshape", [F([1, 2, 3, 4]), I([-1, -1])], T(DataType.DtFloat)));
    [Fact] public void Q17_ModZero() => Err(() => Run1("FloorMod", [I([1]), I([0])], T(DataType.DtInt32)));
    [Fact] public void Q18_TruncModZero() => Err(() => Run1("TruncateMod", [I([1]), I([0])], T(DataType.DtInt32)));
    [Fact] public void Q19_PackNeg() => Assert.Equal(new TensorShape(2, 2), Run1("Pack", [F([1, 2]), F([3, 4])], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(-1))).Shape);
    [Fact] public void Q20_PackNegValues() => Assert.Equal([1f, 3, 2, 4], Run1("Pack", [F([1, 2]), F([3, 4])], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(-1))).ToArray<float>());
    [Fact] public void Q21_PackMismatch() => Err(() => Run1("Pack", [F([1, 2]), F([3])], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(0))));
    [Fact] public void Q22_SelectRank1Cond() => Assert.Equal([1f, 2, 30, 40], Run1("Select", [Tensor.Create(new[] { true, false }, 2), F([1, 2, 3, 4], 2, 2), F([10, 20, 30, 40], 2, 2)], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void Q23_GatherStrings() => Assert.Equal("c", System.Text.Encoding.UTF8.GetString(Run1("GatherV2", [Tensor.FromStrings(["a", "b", "c"], 3), I([2]), S(0)], ("Tparams", Type(DataType.DtString)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))).Strings[0]));
    [Fact] public void Q24_GatherAxis1OOR() => Err(() => Run1("GatherV2", [F([1, 2, 3, 4], 2, 2), I([2]), S(1)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void Q25_GatherInt64Idx() => Err(() => Run1("GatherV2", [F([1, 2]), L([1L << 33]), S(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt64)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void Q26_SqrtNeg() => Assert.True(float.IsNaN(Run1("Sqrt", [F([-1])], T(DataType.DtFloat)).ToArray<float>()[0]));
    [Fact] public void Q27_SplitVMinus1() => Assert.Equal([3f, 4, 5], Run("SplitV", [F([1, 2, 3, 4, 5]), I([2, -1]), S(0)], 2, T(DataType.DtFloat), ("num_split", Int(2)), ("Tlen", Type(DataType.DtInt32)))[1].ToArray<float>());
    [Fact] public void Q28_SplitVBad() => Err(() => Run("SplitV", [F([1, 2, 3, 4, 5]), I([2, 2]), S(0)], 2, T(DataType.DtFloat), ("num_split", Int(2)), ("Tlen", Type(DataType.DtInt32))));
    [Fact] public void Q29_UnpackNumMustEqualAxisDim() => Err(() => Run("Unpack", [F([1, 2, 3])], 2, T(DataType.DtFloat), ("num", Int(2)), ("axis", Int(0))));
    [Fact] public void Q30_BatchMatMulBcast() => Assert.Equal(new TensorShape(2, 1, 1), Run1("BatchMatMulV2", [F([1, 2, 3, 4], 2, 1, 2), F([1, 1], 2, 1)], T(DataType.DtFloat)).Shape);
    [Fact] public void Q31_MaxPoolValidSmall() => Assert.Equal(new TensorShape(1, 0, 0, 1), Run1("MaxPool", [F([1, 2, 3, 4], 1, 2, 2, 1)], T(DataType.DtFloat), ("ksize", Ints(1, 3, 3, 1)), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC"))).Shape);
    [Fact] public void Q32_Conv2DChannelMismatch() => Err(() => Run1("Conv2D", [F([1, 2, 3, 4], 1, 2, 2, 1), F([1, 1], 1, 1, 2, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC"))));
    [Fact] public void Q33_ReverseV2() => Assert.Equal([3f, 4, 1, 2], Run1("ReverseV2", [F([1, 2, 3, 4], 2, 2), I([-2])], T(DataType.DtFloat), Tidx).ToArray<float>());
    [Fact] public void Q34_CastBoolInt() => Assert.Equal([1, 0], Run1("Cast", [Tensor.Create(new[] { true, false }, 2)], ("SrcT", Type(DataType.DtBool)), ("DstT", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void Q35_EqualStrings() => Assert.Equal([true, false], Run1("Equal", [Tensor.FromStrings(["a", "b"], 2), Tensor.FromStrings(["a", "c"], 2)], T(DataType.DtString)).ToArray<bool>());
    [Fact] public void Q36_BroadcastTo() => Assert.Equal([1f, 2, 1, 2], Run1("BroadcastTo", [F([1, 2]), I([2, 2])], T(DataType.DtFloat), Tidx).ToArray<float>());
    [Fact] public void Q37_BroadcastToBad() => Err(() => Run1("BroadcastTo", [F([1, 2, 3]), I([2, 2])], T(DataType.DtFloat), Tidx));
    [Fact] public void Q38_AddBcastBad() => Err(() => Run1("Add", [F([1, 2, 3]), F([1, 2])], T(DataType.DtFloat)));
    [Fact] public void Q39_MeanNegAxisKeep() => Assert.Equal(new TensorShape(2, 1), Run1("Mean", [F([1, 2, 3, 4], 2, 2), S(-1)], T(DataType.DtFloat), Tidx, Keep(true)).Shape);
    [Fact] public void Q40_ArgMaxAxisOOR() => Err(() => Run1("ArgMax", [F([1, 2]), S(1)], T(DataType.DtFloat), Tidx, ("output_type", Type(DataType.DtInt64))));
    [Fact] public void Q42_StridedSliceStrings() => Assert.Equal(2, Run1("StridedSlice", [Tensor.FromStrings(["a", "b", "c"], 3), I([1]), I([3]), I([1])], T(DataType.DtString), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(0)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))).NumElements);
    [Fact] public void Q43_StridedSliceZeroStride() => Err(() => Run1("StridedSlice", [F([1, 2, 3]), I([0]), I([3]), I([0])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(0)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))));
    [Fact] public void Q44_TransposeInt64Perm() => Assert.Equal([1f, 3, 2, 4], Run1("Transpose", [F([1, 2, 3, 4], 2, 2), L([1, 0])], T(DataType.DtFloat), ("Tperm", Type(DataType.DtInt64))).ToArray<float>());
    [Fact] public void Q45_ShapeInt64() => Assert.Equal([2L, 3], Run1("Shape", [F(new float[6], 2, 3)], T(DataType.DtFloat), ("out_type", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void Q46_SoftmaxRank1() => Assert.Equal(0.5f, Run1("Softmax", [F([1, 1])], T(DataType.DtFloat)).ToArray<float>()[0]);
    [Fact] public void Q47_DivInt64Zero() => Err(() => Run1("FloorDiv", [L([1]), L([0])], T(DataType.DtInt64)));
    [Fact] public void Q49_L2Loss() => Assert.Equal(2.5f, Run1("L2Loss", [F([1, 2])], T(DataType.DtFloat)).Scalar<float>());
    [Fact] public void Q50_FillZeroDim() => Assert.Equal(new TensorShape(0, 3), Run1("Fill", [I([0, 3]), Tensor.FromScalar(1f)], T(DataType.DtFloat), ("index_type", Type(DataType.DtInt32))).Shape);
}
