using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>TF semantics checked through a Session with the default kernels (review sweep; each value hand-computed from TF docs).</summary>
public class TfSemanticsChecks
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor I(int[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor L(long[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);

    [Fact] public void P01_Mod() => Assert.Equal([1, -1, 1, -1], Run1("Mod", [I([7, -7, 7, -7]), I([2, 2, -2, -2])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void P02_TruncateMod() => Assert.Equal([1, -1, 1, -1], Run1("TruncateMod", [I([7, -7, 7, -7]), I([2, 2, -2, -2])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void P03_CastTrunc() => Assert.Equal([-1, 1, 2, -2], Run1("Cast", [F([-1.7f, 1.7f, 2.5f, -2.5f])], ("SrcT", Type(DataType.DtFloat)), ("DstT", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void P04_PowInt() => Assert.Equal([8, 1, 9, -8], Run1("Pow", [I([2, 5, 3, -2]), I([3, 0, 2, 3])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void P05_PowIntNeg() => Assert.Throws<GraphExecutionException>(() => Run1("Pow", [I([2]), I([-1])], T(DataType.DtInt32)));
    [Fact] public void P06_SoftmaxNegInf()
    {
        var r = Run1("Softmax", [F([float.NegativeInfinity, 0, 0, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 2, 3)], T(DataType.DtFloat)).ToArray<float>();
        Assert.Equal(0f, r[0]); Assert.Equal(0.5f, r[1]); Assert.True(float.IsNaN(r[3]), string.Join(",", r));
    }
    [Fact] public void P07_ArgMaxTie() => Assert.Equal([1L, 0L], Run1("ArgMax", [F([1, 3, 3, 5, 5, 2], 2, 3), Tensor.FromScalar(1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void P07b_ArgMinTie() => Assert.Equal([0L, 2L], Run1("ArgMin", [F([1, 3, 1, 5, 5, 2], 2, 3), Tensor.FromScalar(1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void P08_MaxPoolSameBorder()
    {
        var x = F([-1, -2, -3, -4, -5, -6, -7, -8, -9], 1, 3, 3, 1);
        var r = Run1("MaxPool", [x], T(DataType.DtFloat), ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([-1f, -3, -7, -9], r.ToArray<float>());
    }
    [Fact] public void P09_AvgPoolSameBorder()
    {
        var x = F([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 3, 3, 1);
        var r = Run1("AvgPool", [x], T(DataType.DtFloat), ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([3f, 4.5f, 7.5f, 9], r.ToArray<float>());
    }
    [Fact] public void P10_Conv2DStride2SameEven()
    {
        // 4x4 input, 3x3 ones filter, stride 2 SAME: out 2x2, pad total = (2-1)*2+3-4=1 -> top 0, bottom 1
        var x = F(Enumerable.Range(1, 16).Select(i => (float)i).ToArray(), 1, 4, 4, 1);
        var w = F(Enumerable.Repeat(1f, 9).ToArray(), 3, 3, 1, 1);
        var r = Run1("Conv2D", [x, w], T(DataType.DtFloat), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        // window rows 0..2, cols 0..2: 1+2+3+5+6+7+9+10+11=54 ; rows0-2 cols 2-3: 3+4+7+8+11+12=45; rows 2-3 cols 0-2: 9+10+11+13+14+15=72; rows2-3 cols2-3: 11+12+15+16=54
        Assert.Equal([54f, 45, 72, 54], r.ToArray<float>());
    }
    [Fact] public void P11_MeanInt() => Assert.Equal([2, -2], Run1("Mean", [I([1, 2, 4, -1, -2, -4], 2, 3), I([1], 1)], T(DataType.DtInt32), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<int>());
    [Fact] public void P12_SumEmptyAxes() => Assert.Equal([1f, 2, 3, 4], Run1("Sum", [F([1, 2, 3, 4], 2, 2), I([], 0)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>());
    [Fact] public void P13_MeanEmptyTensor() => Assert.True(float.IsNaN(Run1("Mean", [F([], 0, 3), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>()[0]));
    [Fact] public void P14_RangeNeg() => Assert.Equal([5, 3, 1], Run1("Range", [Tensor.FromScalar(5), Tensor.FromScalar(0), Tensor.FromScalar(-2)], ("Tidx", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void P15_RangeBad() => Assert.Throws<GraphExecutionException>(() => Run1("Range", [Tensor.FromScalar(0), Tensor.FromScalar(5), Tensor.FromScalar(-1)], ("Tidx", Type(DataType.DtInt32))));
    [Fact] public void P16_GatherOOR() => Assert.Throws<GraphExecutionException>(() => Run1("GatherV2", [F([1, 2, 3]), I([3], 1), Tensor.FromScalar(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void P16b_GatherNeg() => Assert.Throws<GraphExecutionException>(() => Run1("GatherV2", [F([1, 2, 3]), I([-1], 1), Tensor.FromScalar(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void P16c_GatherV1OOR() => Assert.Throws<GraphExecutionException>(() => Run1("Gather", [F([1, 2, 3]), I([5], 1)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32))));
    [Fact] public void P17_ReshapeZero() => Assert.Equal(new TensorShape(0, 3), Run1("Reshape", [F([], 0, 3), I([-1, 3])], T(DataType.DtFloat)).Shape);
    [Fact] public void P18_SqueezeNon1() => Assert.Throws<GraphExecutionException>(() => Run1("Squeeze", [F([1, 2], 1, 2)], T(DataType.DtFloat), ("squeeze_dims", Ints(1))));
    [Fact] public void P19_AddMismatch() { var e = Assert.Throws<GraphExecutionException>(() => Run1("Add", [F([1]), I([1])], T(DataType.DtFloat))); Assert.Contains("op", e.Message); }
    [Fact] public void P20_ConcatEmpty() => Assert.Equal([1f, 2], Run1("ConcatV2", [F([], 0), F([1, 2]), Tensor.FromScalar(0)], T(DataType.DtFloat), ("N", Int(2)), ("Tidx", Type(DataType.DtInt32))).ToArray<float>());
    [Fact] public void P21_TileZero() => Assert.Equal(new TensorShape(0, 4), Run1("Tile", [F([1, 2], 1, 2), I([0, 2])], T(DataType.DtFloat), ("Tmultiples", Type(DataType.DtInt32))).Shape);
    [Fact] public void P22_PadEmpty() => Assert.Equal([0f, 0], Run1("Pad", [F([], 0), I([1, 1], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32))).ToArray<float>());
    [Fact] public void P23_OneHotNeg() => Assert.Equal([0f, 0, 0, 1], Run1("OneHot", [I([-1, 1]), Tensor.FromScalar(2), Tensor.FromScalar(1f), Tensor.FromScalar(0f)], T(DataType.DtFloat), ("TI", Type(DataType.DtInt32)), ("axis", Int(-1))).ToArray<float>());
    [Fact] public void P24_ProdEmpty() => Assert.Equal([1f], Run1("Prod", [F([], 0), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(true))).ToArray<float>());
    [Fact] public void P25_MaxEmpty() => Assert.Equal([float.NegativeInfinity], Run1("Max", [F([], 0), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>());
    [Fact] public void P26_ReduceAxisOOR() => Assert.Throws<GraphExecutionException>(() => Run1("Sum", [F([1, 2]), I([1], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))));
    [Fact] public void P27_ArgMaxEmpty() => Assert.Throws<GraphExecutionException>(() => Run1("ArgMax", [F([], 0), Tensor.FromScalar(0)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))));
    [Fact] public void P28_CastInt64ToFloat() => Assert.Equal([16777217.0], Run1("Cast", [L([16777217L])], ("SrcT", Type(DataType.DtInt64)), ("DstT", Type(DataType.DtDouble))).ToArray<double>());
    [Fact] public void P29_SliceOOR() => Assert.Throws<GraphExecutionException>(() => Run1("Slice", [F([1, 2, 3]), I([2]), I([2])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))));
    [Fact] public void P30_TransposeBadPerm() => Assert.Throws<GraphExecutionException>(() => Run1("Transpose", [F([1, 2, 3, 4], 2, 2), I([0, 0])], T(DataType.DtFloat), ("Tperm", Type(DataType.DtInt32))));
    [Fact] public void P31_ReshapeBad() => Assert.Throws<GraphExecutionException>(() => Run1("Reshape", [F([1, 2, 3]), I([2, -1])], T(DataType.DtFloat)));
    [Fact] public void P32_ExpandDimsNeg() => Assert.Equal(new TensorShape(2, 1), Run1("ExpandDims", [F([1, 2]), Tensor.FromScalar(-1)], T(DataType.DtFloat), ("Tdim", Type(DataType.DtInt32))).Shape);
    [Fact] public void P33_SquaredDiffInt() => Assert.Equal([9], Run1("SquaredDifference", [I([1]), I([4])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void P34_MinimumNaN() => Assert.True(float.IsNaN(Run1("Minimum", [F([float.NaN]), F([1])], T(DataType.DtFloat)).ToArray<float>()[0]));
    [Fact] public void P35_ReluNaN() => Assert.True(float.IsNaN(Run1("Relu", [F([float.NaN])], T(DataType.DtFloat)).ToArray<float>()[0]));
    [Fact] public void P36_MaxNaN() => Assert.True(float.IsNaN(Run1("Max", [F([1, float.NaN, 2]), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>()[0]));
    [Fact] public void P37_AbsIntMin() => Assert.Equal([int.MinValue], Run1("Abs", [I([int.MinValue])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void P38_NegInt64() => Assert.Equal([-5L], Run1("Neg", [L([5])], T(DataType.DtInt64)).ToArray<long>());
    [Fact] public void P39_SignInt() => Assert.Equal([-1, 0, 1], Run1("Sign", [I([-5, 0, 7])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void P40_RoundHalfEven() => Assert.Equal([0f, 2, 2, -2], Run1("Round", [F([0.5f, 1.5f, 2.5f, -2.5f])], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void P41_SplitUneven() => Assert.Throws<GraphExecutionException>(() => Run("Split", [Tensor.FromScalar(0), F([1, 2, 3])], 2, T(DataType.DtFloat), ("num_split", Int(2))));
    [Fact] public void P42_StridedSliceScalarShrink() => Assert.Equal(0, Run1("StridedSlice", [F([1, 2, 3]), I([-1]), I([0]), I([1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(1)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))).Shape.Rank);
    [Fact] public void P43_StridedSliceShrinkOOR() => Assert.Throws<GraphExecutionException>(() => Run1("StridedSlice", [F([1, 2, 3]), I([3]), I([4]), I([1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(1)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))));
    [Fact] public void P44_SoftmaxCEBadLabel() => Assert.Throws<GraphExecutionException>(() => Run("SparseSoftmaxCrossEntropyWithLogits", [F([1, 2], 1, 2), I([2])], 2, T(DataType.DtFloat), ("Tlabels", Type(DataType.DtInt32))));
    [Fact] public void P45_BiasAddMismatch() => Assert.Throws<GraphExecutionException>(() => Run1("BiasAdd", [F([1, 2, 3, 4], 2, 2), F([1, 2, 3])], T(DataType.DtFloat)));
    [Fact] public void P46_MatMulMismatch() => Assert.Throws<GraphExecutionException>(() => Run1("MatMul", [F([1, 2, 3, 4], 2, 2), F([1, 2, 3], 3, 1)], T(DataType.DtFloat)));
    [Fact] public void P47_FillNeg() => Assert.Throws<GraphExecutionException>(() => Run1("Fill", [I([-1]), Tensor.FromScalar(1f)], T(DataType.DtFloat), ("index_type", Type(DataType.DtInt32))));
    [Fact] public void P48_LogSoftmaxNegInf() => Assert.Equal(0f, Run1("LogSoftmax", [F([float.NegativeInfinity, 0], 1, 2)], T(DataType.DtFloat)).ToArray<float>()[1]);
    [Fact] public void P49_TopKTie() => Assert.Equal([1, 2], Run("TopKV2", [F([1, 3, 3, 2]), Tensor.FromScalar(2)], 2, T(DataType.DtFloat), ("sorted", Bool(true)))[1].ToArray<int>());
}
