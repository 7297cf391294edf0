using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>TF semantics checked through a Session with the default kernels (review sweep; each value hand-computed from TF docs).</summary>
public class OpSemanticsTests
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor I(int[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor L(long[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);

    [Fact] public void Mod_of_ints_takes_the_sign_of_the_dividend() => Assert.Equal([1, -1, 1, -1], Run1("Mod", [I([7, -7, 7, -7]), I([2, 2, -2, -2])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void TruncateMod_takes_the_sign_of_the_dividend() => Assert.Equal([1, -1, 1, -1], Run1("TruncateMod", [I([7, -7, 7, -7]), I([2, 2, -2, -2])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void Cast_float_to_int_truncates_toward_zero() => Assert.Equal([-1, 1, 2, -2], Run1("Cast", [F([-1.7f, 1.7f, 2.5f, -2.5f])], ("SrcT", Type(DataType.DtFloat)), ("DstT", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void Pow_of_ints_is_exact_with_zero_and_odd_exponents() => Assert.Equal([8, 1, 9, -8], Run1("Pow", [I([2, 5, 3, -2]), I([3, 0, 2, 3])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void Pow_of_ints_with_a_negative_exponent_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Pow", [I([2]), I([-1])], T(DataType.DtInt32)));
    [Fact] public void Softmax_ignores_minus_infinity_and_an_all_minus_infinity_row_is_NaN()
    {
        var r = Run1("Softmax", [F([float.NegativeInfinity, 0, 0, float.NegativeInfinity, float.NegativeInfinity, float.NegativeInfinity], 2, 3)], T(DataType.DtFloat)).ToArray<float>();
        Assert.Equal(0f, r[0]); Assert.Equal(0.5f, r[1]); Assert.True(float.IsNaN(r[3]), string.Join(",", r));
    }
    [Fact] public void ArgMax_ties_return_the_first_index() => Assert.Equal([1L, 0L], Run1("ArgMax", [F([1, 3, 3, 5, 5, 2], 2, 3), Tensor.FromScalar(1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void ArgMin_ties_return_the_first_index() => Assert.Equal([0L, 2L], Run1("ArgMin", [F([1, 3, 1, 5, 5, 2], 2, 3), Tensor.FromScalar(1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void MaxPool_SAME_ignores_the_padding_at_the_border()
    {
        var x = F([-1, -2, -3, -4, -5, -6, -7, -8, -9], 1, 3, 3, 1);
        var r = Run1("MaxPool", [x], T(DataType.DtFloat), ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([-1f, -3, -7, -9], r.ToArray<float>());
    }
    [Fact] public void AvgPool_SAME_divides_by_the_valid_count_at_the_border()
    {
        var x = F([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 3, 3, 1);
        var r = Run1("AvgPool", [x], T(DataType.DtFloat), ("ksize", Ints(1, 2, 2, 1)), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        Assert.Equal([3f, 4.5f, 7.5f, 9], r.ToArray<float>());
    }
    [Fact] public void Conv2D_SAME_stride_2_on_even_input_pads_only_after()
    {
        // 4x4 input, 3x3 ones filter, stride 2 SAME: out 2x2, pad total = (2-1)*2+3-4=1 -> top 0, bottom 1
        var x = F(Enumerable.Range(1, 16).Select(i => (float)i).ToArray(), 1, 4, 4, 1);
        var w = F(Enumerable.Repeat(1f, 9).ToArray(), 3, 3, 1, 1);
        var r = Run1("Conv2D", [x, w], T(DataType.DtFloat), ("strides", Ints(1, 2, 2, 1)), ("padding", Str("SAME")), ("data_format", Str("NHWC")));
        // window rows 0..2, cols 0..2: 1+2+3+5+6+7+9+10+11=54 ; rows0-2 cols 2-3: 3+4+7+8+11+12=45; rows 2-3 cols 0-2: 9+10+11+13+14+15=72; rows2-3 cols2-3: 11+12+15+16=54
        Assert.Equal([54f, 45, 72, 54], r.ToArray<float>());
    }
    [Fact] public void Mean_of_ints_truncates_toward_zero() => Assert.Equal([2, -2], Run1("Mean", [I([1, 2, 4, -1, -2, -4], 2, 3), I([1], 1)], T(DataType.DtInt32), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<int>());
    [Fact] public void Sum_over_no_axes_is_the_identity() => Assert.Equal([1f, 2, 3, 4], Run1("Sum", [F([1, 2, 3, 4], 2, 2), I([], 0)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>());
    [Fact] public void Mean_of_an_empty_tensor_is_NaN() => Assert.True(float.IsNaN(Run1("Mean", [F([], 0, 3), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>()[0]));
    [Fact] public void Range_with_a_negative_delta_counts_down() => Assert.Equal([5, 3, 1], Run1("Range", [Tensor.FromScalar(5), Tensor.FromScalar(0), Tensor.FromScalar(-2)], ("Tidx", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void Range_with_a_delta_away_from_the_limit_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Range", [Tensor.FromScalar(0), Tensor.FromScalar(5), Tensor.FromScalar(-1)], ("Tidx", Type(DataType.DtInt32))));
    [Fact] public void GatherV2_index_past_the_end_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("GatherV2", [F([1, 2, 3]), I([3], 1), Tensor.FromScalar(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void GatherV2_negative_index_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("GatherV2", [F([1, 2, 3]), I([-1], 1), Tensor.FromScalar(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void Gather_v1_index_past_the_end_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Gather", [F([1, 2, 3]), I([5], 1)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32))));
    [Fact] public void Reshape_of_an_empty_tensor_with_minus_one_keeps_zero_rows() => Assert.Equal(new TensorShape(0, 3), Run1("Reshape", [F([], 0, 3), I([-1, 3])], T(DataType.DtFloat)).Shape);
    [Fact] public void Squeeze_of_a_dimension_not_of_size_1_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Squeeze", [F([1, 2], 1, 2)], T(DataType.DtFloat), ("squeeze_dims", Ints(1))));
    [Fact] public void Add_of_mismatched_dtypes_is_an_error_naming_the_op() { var e = Assert.Throws<GraphExecutionException>(() => Run1("Add", [F([1]), I([1])], T(DataType.DtFloat))); Assert.Contains("op", e.Message); }
    [Fact] public void ConcatV2_skips_empty_inputs() => Assert.Equal([1f, 2], Run1("ConcatV2", [F([], 0), F([1, 2]), Tensor.FromScalar(0)], T(DataType.DtFloat), ("N", Int(2)), ("Tidx", Type(DataType.DtInt32))).ToArray<float>());
    [Fact] public void Tile_by_zero_gives_an_empty_dimension() => Assert.Equal(new TensorShape(0, 4), Run1("Tile", [F([1, 2], 1, 2), I([0, 2])], T(DataType.DtFloat), ("Tmultiples", Type(DataType.DtInt32))).Shape);
    [Fact] public void Pad_of_an_empty_tensor_gives_zeros() => Assert.Equal([0f, 0], Run1("Pad", [F([], 0), I([1, 1], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32))).ToArray<float>());
    [Fact] public void OneHot_of_a_negative_index_is_all_off_values() => Assert.Equal([0f, 0, 0, 1], Run1("OneHot", [I([-1, 1]), Tensor.FromScalar(2), Tensor.FromScalar(1f), Tensor.FromScalar(0f)], T(DataType.DtFloat), ("TI", Type(DataType.DtInt32)), ("axis", Int(-1))).ToArray<float>());
    [Fact] public void Prod_of_an_empty_tensor_is_one() => Assert.Equal([1f], Run1("Prod", [F([], 0), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(true))).ToArray<float>());
    [Fact] public void Max_of_an_empty_float_tensor_is_minus_infinity() => Assert.Equal([float.NegativeInfinity], Run1("Max", [F([], 0), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>());
    [Fact] public void Sum_over_an_axis_out_of_range_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Sum", [F([1, 2]), I([1], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))));
    [Fact] public void ArgMax_over_an_empty_axis_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("ArgMax", [F([], 0), Tensor.FromScalar(0)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("output_type", Type(DataType.DtInt64))));
    [Fact] public void Cast_int64_to_double_is_exact_above_2_to_the_24() => Assert.Equal([16777217.0], Run1("Cast", [L([16777217L])], ("SrcT", Type(DataType.DtInt64)), ("DstT", Type(DataType.DtDouble))).ToArray<double>());
    [Fact] public void Slice_past_the_end_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Slice", [F([1, 2, 3]), I([2]), I([2])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))));
    [Fact] public void Transpose_with_a_repeated_axis_in_perm_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Transpose", [F([1, 2, 3, 4], 2, 2), I([0, 0])], T(DataType.DtFloat), ("Tperm", Type(DataType.DtInt32))));
    [Fact] public void Reshape_to_an_indivisible_shape_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Reshape", [F([1, 2, 3]), I([2, -1])], T(DataType.DtFloat)));
    [Fact] public void ExpandDims_with_minus_one_appends_a_dimension() => Assert.Equal(new TensorShape(2, 1), Run1("ExpandDims", [F([1, 2]), Tensor.FromScalar(-1)], T(DataType.DtFloat), ("Tdim", Type(DataType.DtInt32))).Shape);
    [Fact] public void SquaredDifference_of_ints() => Assert.Equal([9], Run1("SquaredDifference", [I([1]), I([4])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void Minimum_propagates_NaN() => Assert.True(float.IsNaN(Run1("Minimum", [F([float.NaN]), F([1])], T(DataType.DtFloat)).ToArray<float>()[0]));
    [Fact] public void Relu_propagates_NaN() => Assert.True(float.IsNaN(Run1("Relu", [F([float.NaN])], T(DataType.DtFloat)).ToArray<float>()[0]));
    [Fact] public void Max_reduction_propagates_NaN() => Assert.True(float.IsNaN(Run1("Max", [F([1, float.NaN, 2]), I([0], 1)], T(DataType.DtFloat), ("Tidx", Type(DataType.DtInt32)), ("keep_dims", Bool(false))).ToArray<float>()[0]));
    [Fact] public void Abs_of_int_min_wraps_to_int_min() => Assert.Equal([int.MinValue], Run1("Abs", [I([int.MinValue])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void Neg_of_int64() => Assert.Equal([-5L], Run1("Neg", [L([5])], T(DataType.DtInt64)).ToArray<long>());
    [Fact] public void Sign_of_ints() => Assert.Equal([-1, 0, 1], Run1("Sign", [I([-5, 0, 7])], T(DataType.DtInt32)).ToArray<int>());
    [Fact] public void Round_rounds_half_to_even() => Assert.Equal([0f, 2, 2, -2], Run1("Round", [F([0.5f, 1.5f, 2.5f, -2.5f])], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void Split_into_parts_that_do_not_divide_the_axis_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run("Split", [Tensor.FromScalar(0), F([1, 2, 3])], 2, T(DataType.DtFloat), ("num_split", Int(2))));
    [Fact] public void StridedSlice_shrink_axis_with_minus_one_gives_a_scalar() => Assert.Equal(0, Run1("StridedSlice", [F([1, 2, 3]), I([-1]), I([0]), I([1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(1)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))).Shape.Rank);
    [Fact] public void StridedSlice_shrink_axis_out_of_range_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("StridedSlice", [F([1, 2, 3]), I([3]), I([4]), I([1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(1)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))));
    [Fact] public void SparseSoftmaxCrossEntropyWithLogits_label_out_of_range_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run("SparseSoftmaxCrossEntropyWithLogits", [F([1, 2], 1, 2), I([2])], 2, T(DataType.DtFloat), ("Tlabels", Type(DataType.DtInt32))));
    [Fact] public void BiasAdd_with_a_bias_not_matching_the_channels_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("BiasAdd", [F([1, 2, 3, 4], 2, 2), F([1, 2, 3])], T(DataType.DtFloat)));
    [Fact] public void MatMul_with_mismatched_inner_dimensions_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("MatMul", [F([1, 2, 3, 4], 2, 2), F([1, 2, 3], 3, 1)], T(DataType.DtFloat)));
    [Fact] public void Fill_with_a_negative_dimension_is_an_error() => Assert.Throws<GraphExecutionException>(() => Run1("Fill", [I([-1]), Tensor.FromScalar(1f)], T(DataType.DtFloat), ("index_type", Type(DataType.DtInt32))));
    [Fact] public void LogSoftmax_ignores_minus_infinity() => Assert.Equal(0f, Run1("LogSoftmax", [F([float.NegativeInfinity, 0], 1, 2)], T(DataType.DtFloat)).ToArray<float>()[1]);
    [Fact] public void TopKV2_ties_keep_the_lower_index_first() => Assert.Equal([1, 2], Run("TopKV2", [F([1, 3, 3, 2]), Tensor.FromScalar(2)], 2, T(DataType.DtFloat), ("sorted", Bool(true)))[1].ToArray<int>());
}
