using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>Error paths of array, math and NN ops (a GraphExecutionException naming the node) and their edge values, run through a Session.</summary>
public class OpErrorAndEdgeValueTests
{
    static Tensor F(float[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor I(int[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor L(long[] v, params int[] s) => Tensor.Create(v, s.Length == 0 ? [v.Length] : s);
    static Tensor S(int v) => Tensor.FromScalar(v);
    static (string, AttrValue) Tidx => ("Tidx", Type(DataType.DtInt32));
    static (string, AttrValue) Keep(bool b) => ("keep_dims", Bool(b));
    static void Err(Action a) { var e = Assert.Throws<GraphExecutionException>(a); Assert.Contains("'op'", e.Message); }

    [Fact] public void ConcatV2_of_mismatched_shapes_is_an_error() => Err(() => Run1("ConcatV2", [F([1, 2], 1, 2), F([1, 2, 3], 1, 3), S(0)], T(DataType.DtFloat), ("N", Int(2)), Tidx));
    [Fact] public void ConcatV2_with_a_negative_axis_counts_from_the_end() => Assert.Equal([1f, 2, 5, 3, 4, 6], Run1("ConcatV2", [F([1, 2, 3, 4], 2, 2), F([5, 6], 2, 1), S(-1)], T(DataType.DtFloat), ("N", Int(2)), Tidx).ToArray<float>());
    [Fact] public void Sum_accepts_int64_axes() => Assert.Equal([4L, 6], Run1("Sum", [L([1, 2, 3, 4], 2, 2), L([0])], T(DataType.DtInt64), ("Tidx", Type(DataType.DtInt64)), Keep(false)).ToArray<long>());
    [Fact] public void Max_of_an_empty_int_tensor_is_int_min() => Assert.Equal([int.MinValue], Run1("Max", [I([], 0), I([0])], T(DataType.DtInt32), Tidx, Keep(false)).ToArray<int>());
    [Fact] public void All_of_an_empty_tensor_is_true() => Assert.Equal([true], Run1("All", [Tensor.Create(new bool[0], 0), I([0])], Tidx, Keep(false)).ToArray<bool>());
    [Fact] public void Any_of_an_empty_tensor_is_false() => Assert.Equal([false], Run1("Any", [Tensor.Create(new bool[0], 0), I([0])], Tidx, Keep(false)).ToArray<bool>());
    [Fact] public void Range_of_floats_has_ceil_of_length_over_delta_elements() => Assert.Equal(4, Run1("Range", [Tensor.FromScalar(0f), Tensor.FromScalar(1f), Tensor.FromScalar(0.3f)], ("Tidx", Type(DataType.DtFloat))).NumElements);
    [Fact] public void Range_with_zero_delta_is_an_error() => Err(() => Run1("Range", [S(0), S(5), S(0)], Tidx));
    [Fact] public void OneHot_with_a_negative_depth_is_an_error() => Err(() => Run1("OneHot", [I([0]), S(-1), Tensor.FromScalar(1f), Tensor.FromScalar(0f)], T(DataType.DtFloat), ("TI", Type(DataType.DtInt32)), ("axis", Int(-1))));
    [Fact] public void Tile_with_a_negative_multiple_is_an_error() => Err(() => Run1("Tile", [F([1, 2]), I([-1])], T(DataType.DtFloat), ("Tmultiples", Type(DataType.DtInt32))));
    [Fact] public void Pad_with_a_negative_padding_is_an_error() => Err(() => Run1("Pad", [F([1, 2]), I([-1, 0], 1, 2)], T(DataType.DtFloat), ("Tpaddings", Type(DataType.DtInt32))));
    [Fact] public void Slice_size_minus_one_means_to_the_end() => Assert.Equal([2f, 3], Run1("Slice", [F([1, 2, 3]), I([1]), I([-1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))).ToArray<float>());
    [Fact] public void Slice_with_a_negative_begin_is_an_error() => Err(() => Run1("Slice", [F([1, 2, 3]), I([-1]), I([1])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32))));
    [Fact] public void ExpandDims_axis_out_of_range_is_an_error() => Err(() => Run1("ExpandDims", [F([1, 2]), S(3)], T(DataType.DtFloat), ("Tdim", Type(DataType.DtInt32))));
    [Fact] public void Reshape_with_two_minus_ones_is_an_error() => Err(() => Run1("Reshape", [F([1, 2, 3, 4]), I([-1, -1])], T(DataType.DtFloat)));
    [Fact] public void FloorMod_of_ints_by_zero_is_an_error() => Err(() => Run1("FloorMod", [I([1]), I([0])], T(DataType.DtInt32)));
    [Fact] public void TruncateMod_of_ints_by_zero_is_an_error() => Err(() => Run1("TruncateMod", [I([1]), I([0])], T(DataType.DtInt32)));
    [Fact] public void Pack_with_axis_minus_one_stacks_last() => Assert.Equal(new TensorShape(2, 2), Run1("Pack", [F([1, 2]), F([3, 4])], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(-1))).Shape);
    [Fact] public void Pack_with_axis_minus_one_interleaves_the_values() => Assert.Equal([1f, 3, 2, 4], Run1("Pack", [F([1, 2]), F([3, 4])], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(-1))).ToArray<float>());
    [Fact] public void Pack_of_mismatched_shapes_is_an_error() => Err(() => Run1("Pack", [F([1, 2]), F([3])], T(DataType.DtFloat), ("N", Int(2)), ("axis", Int(0))));
    [Fact] public void Select_with_a_vector_condition_picks_whole_rows() => Assert.Equal([1f, 2, 30, 40], Run1("Select", [Tensor.Create(new[] { true, false }, 2), F([1, 2, 3, 4], 2, 2), F([10, 20, 30, 40], 2, 2)], T(DataType.DtFloat)).ToArray<float>());
    [Fact] public void GatherV2_of_strings() => Assert.Equal("c", System.Text.Encoding.UTF8.GetString(Run1("GatherV2", [Tensor.FromStrings(["a", "b", "c"], 3), I([2]), S(0)], ("Tparams", Type(DataType.DtString)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))).Strings[0]));
    [Fact] public void GatherV2_on_axis_1_index_out_of_range_is_an_error() => Err(() => Run1("GatherV2", [F([1, 2, 3, 4], 2, 2), I([2]), S(1)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt32)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void GatherV2_huge_int64_index_is_out_of_range_not_truncated() => Err(() => Run1("GatherV2", [F([1, 2]), L([1L << 33]), S(0)], ("Tparams", Type(DataType.DtFloat)), ("Tindices", Type(DataType.DtInt64)), ("Taxis", Type(DataType.DtInt32))));
    [Fact] public void Sqrt_of_a_negative_is_NaN() => Assert.True(float.IsNaN(Run1("Sqrt", [F([-1])], T(DataType.DtFloat)).ToArray<float>()[0]));
    [Fact] public void SplitV_size_minus_one_takes_the_rest() => Assert.Equal([3f, 4, 5], Run("SplitV", [F([1, 2, 3, 4, 5]), I([2, -1]), S(0)], 2, T(DataType.DtFloat), ("num_split", Int(2)), ("Tlen", Type(DataType.DtInt32)))[1].ToArray<float>());
    [Fact] public void SplitV_sizes_not_summing_to_the_axis_is_an_error() => Err(() => Run("SplitV", [F([1, 2, 3, 4, 5]), I([2, 2]), S(0)], 2, T(DataType.DtFloat), ("num_split", Int(2)), ("Tlen", Type(DataType.DtInt32))));
    [Fact] public void Unpack_num_not_equal_to_the_axis_size_is_an_error() => Err(() => Run("Unpack", [F([1, 2, 3])], 2, T(DataType.DtFloat), ("num", Int(2)), ("axis", Int(0))));
    [Fact] public void BatchMatMulV2_broadcasts_a_rank_2_operand() => Assert.Equal(new TensorShape(2, 1, 1), Run1("BatchMatMulV2", [F([1, 2, 3, 4], 2, 1, 2), F([1, 1], 2, 1)], T(DataType.DtFloat)).Shape);
    [Fact] public void MaxPool_VALID_window_larger_than_input_gives_an_empty_output() => Assert.Equal(new TensorShape(1, 0, 0, 1), Run1("MaxPool", [F([1, 2, 3, 4], 1, 2, 2, 1)], T(DataType.DtFloat), ("ksize", Ints(1, 3, 3, 1)), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC"))).Shape);
    [Fact] public void Conv2D_filter_channels_not_matching_the_input_is_an_error() => Err(() => Run1("Conv2D", [F([1, 2, 3, 4], 1, 2, 2, 1), F([1, 1], 1, 1, 2, 1)], T(DataType.DtFloat), ("strides", Ints(1, 1, 1, 1)), ("padding", Str("VALID")), ("data_format", Str("NHWC"))));
    [Fact] public void ReverseV2_with_a_negative_axis() => Assert.Equal([3f, 4, 1, 2], Run1("ReverseV2", [F([1, 2, 3, 4], 2, 2), I([-2])], T(DataType.DtFloat), Tidx).ToArray<float>());
    [Fact] public void Cast_bool_to_int_gives_one_and_zero() => Assert.Equal([1, 0], Run1("Cast", [Tensor.Create(new[] { true, false }, 2)], ("SrcT", Type(DataType.DtBool)), ("DstT", Type(DataType.DtInt32))).ToArray<int>());
    [Fact] public void Equal_compares_strings() => Assert.Equal([true, false], Run1("Equal", [Tensor.FromStrings(["a", "b"], 2), Tensor.FromStrings(["a", "c"], 2)], T(DataType.DtString)).ToArray<bool>());
    [Fact] public void BroadcastTo_repeats_a_vector_into_rows() => Assert.Equal([1f, 2, 1, 2], Run1("BroadcastTo", [F([1, 2]), I([2, 2])], T(DataType.DtFloat), Tidx).ToArray<float>());
    [Fact] public void BroadcastTo_an_incompatible_shape_is_an_error() => Err(() => Run1("BroadcastTo", [F([1, 2, 3]), I([2, 2])], T(DataType.DtFloat), Tidx));
    [Fact] public void Add_of_unbroadcastable_shapes_is_an_error() => Err(() => Run1("Add", [F([1, 2, 3]), F([1, 2])], T(DataType.DtFloat)));
    [Fact] public void Mean_over_axis_minus_one_with_keep_dims() => Assert.Equal(new TensorShape(2, 1), Run1("Mean", [F([1, 2, 3, 4], 2, 2), S(-1)], T(DataType.DtFloat), Tidx, Keep(true)).Shape);
    [Fact] public void ArgMax_axis_out_of_range_is_an_error() => Err(() => Run1("ArgMax", [F([1, 2]), S(1)], T(DataType.DtFloat), Tidx, ("output_type", Type(DataType.DtInt64))));
    [Fact] public void StridedSlice_of_strings() => Assert.Equal(2, Run1("StridedSlice", [Tensor.FromStrings(["a", "b", "c"], 3), I([1]), I([3]), I([1])], T(DataType.DtString), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(0)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))).NumElements);
    [Fact] public void StridedSlice_with_zero_stride_is_an_error() => Err(() => Run1("StridedSlice", [F([1, 2, 3]), I([0]), I([3]), I([0])], T(DataType.DtFloat), ("Index", Type(DataType.DtInt32)), ("shrink_axis_mask", Int(0)), ("begin_mask", Int(0)), ("end_mask", Int(0)), ("ellipsis_mask", Int(0)), ("new_axis_mask", Int(0))));
    [Fact] public void Transpose_accepts_an_int64_perm() => Assert.Equal([1f, 3, 2, 4], Run1("Transpose", [F([1, 2, 3, 4], 2, 2), L([1, 0])], T(DataType.DtFloat), ("Tperm", Type(DataType.DtInt64))).ToArray<float>());
    [Fact] public void Shape_with_int64_out_type() => Assert.Equal([2L, 3], Run1("Shape", [F(new float[6], 2, 3)], T(DataType.DtFloat), ("out_type", Type(DataType.DtInt64))).ToArray<long>());
    [Fact] public void Softmax_of_a_vector() => Assert.Equal(0.5f, Run1("Softmax", [F([1, 1])], T(DataType.DtFloat)).ToArray<float>()[0]);
    [Fact] public void FloorDiv_of_int64_by_zero_is_an_error() => Err(() => Run1("FloorDiv", [L([1]), L([0])], T(DataType.DtInt64)));
    [Fact] public void L2Loss_is_half_the_sum_of_squares() => Assert.Equal(2.5f, Run1("L2Loss", [F([1, 2])], T(DataType.DtFloat)).Scalar<float>());
    [Fact] public void Fill_with_a_zero_dimension_gives_an_empty_tensor() => Assert.Equal(new TensorShape(0, 3), Run1("Fill", [I([0, 3]), Tensor.FromScalar(1f)], T(DataType.DtFloat), ("index_type", Type(DataType.DtInt32))).Shape);
}
