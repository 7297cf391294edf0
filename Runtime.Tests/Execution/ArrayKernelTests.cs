using TypedGraph.Protos;
using static TypedGraph.Tests.Execution.ExecutionTestValues;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.ExecGraph;

using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Execution;

public class ArrayKernelTests
{
    [Fact]
    public void ReshapeInfersMinusOne()
    {
        var r = Run1("Reshape", [Iota(6, 2, 3), I(3, -1)]);
        Assert.Equal(new TensorShape(3, 2), r.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], r.ToArray<float>());
        Assert.Equal(TensorShape.Scalar, Run1("Reshape", [Iota(1, 1, 1), Tensor.Create(Array.Empty<int>())]).Shape);
        var ex = Assert.Throws<GraphExecutionException>(() => Run1("Reshape", [Iota(6, 2, 3), I(4, -1)]));
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("'op'", ex.Message);
    }

    [Fact]
    public void SqueezeAndExpandDims()
    {
        Assert.Equal(new TensorShape(3), Run1("Squeeze", [Iota(3, 1, 3, 1)]).Shape);
        Assert.Equal(new TensorShape(3, 1), Run1("Squeeze", [Iota(3, 1, 3, 1)], ("squeeze_dims", Ints(0))).Shape);
        Assert.Throws<GraphExecutionException>(() => Run1("Squeeze", [Iota(3, 1, 3, 1)], ("squeeze_dims", Ints(1))));
        Assert.Equal(new TensorShape(2, 3, 1), Run1("ExpandDims", [Iota(6, 2, 3), I(-1)]).Shape);
        Assert.Equal(new TensorShape(1, 2, 3), Run1("ExpandDims", [Iota(6, 2, 3), Tensor.FromScalar(0)]).Shape);
        Assert.Equal(new TensorShape(1), Run1("ExpandDims", [Tensor.FromScalar(5f), Tensor.FromScalar(0)]).Shape);
    }

    [Fact]
    public void ShapeSizeRank()
    {
        Assert.Equal([2, 0, 3], Run1("Shape", [Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 0, 3))]).ToArray<int>());
        Assert.Equal([2L, 3L], Run1("Shape", [Iota(6, 2, 3)], ("out_type", Type(DataType.DtInt64))).ToArray<long>());
        Assert.Empty(Run1("Shape", [Tensor.FromScalar(1f)]).ToArray<int>());
        Assert.Equal(6, Run1("Size", [Iota(6, 2, 3)]).Scalar<int>());
        Assert.Equal(2, Run1("Rank", [Iota(6, 2, 3)]).Scalar<int>());
        var n = Run("ShapeN", [Iota(6, 2, 3), Iota(4, 4)], 2);
        Assert.Equal([2, 3], n[0].ToArray<int>());
        Assert.Equal([4], n[1].ToArray<int>());
    }

    [Fact]
    public void ConcatAlongEveryAxis()
    {
        var a = Iota(4, 2, 2);
        var b = F([10, 11], 2, 1);
        Assert.Equal([0f, 1, 10, 2, 3, 11], Run1("ConcatV2", [a, b, I(1)]).ToArray<float>());
        Assert.Equal([0f, 1, 10, 2, 3, 11], Run1("ConcatV2", [a, b, I(-1)]).ToArray<float>());
        var c = Run1("ConcatV2", [a, F([7, 8], 1, 2), Tensor.FromScalar(0)]);
        Assert.Equal(new TensorShape(3, 2), c.Shape);
        Assert.Equal([0f, 1, 2, 3, 7, 8], c.ToArray<float>());
        Assert.Equal([0f, 1, 2, 3, 7, 8], Run1("Concat", [Tensor.FromScalar(0), a, F([7, 8], 1, 2)]).ToArray<float>());
        // empty inputs and strings
        Assert.Equal(new TensorShape(2, 2), Run1("ConcatV2", [a, Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 0)), I(1)]).Shape);
        var s = Run1("ConcatV2", [Tensor.FromStrings(["a"]), Tensor.FromStrings(["b", "c"]), I(0)]);
        Assert.Equal(["a", "b", "c"], s.Strings.Select(x => System.Text.Encoding.UTF8.GetString(x)));
        Assert.Throws<GraphExecutionException>(() => Run1("ConcatV2", [a, Iota(3, 3, 1), I(1)]));
    }

    [Fact]
    public void ConcatOffsetGivesEachInputsStart()
    {
        var r = Run("ConcatOffset", [Tensor.FromScalar(1), I(2, 3), I(2, 5), I(2, 1)], 3);
        Assert.Equal([0, 0], r[0].ToArray<int>());
        Assert.Equal([0, 3], r[1].ToArray<int>());
        Assert.Equal([0, 8], r[2].ToArray<int>());
    }

    [Fact]
    public void PackAndUnpack()
    {
        var p = Run1("Pack", [F([1, 2], 2), F([3, 4], 2)], A("axis", 1), A("N", 2));
        Assert.Equal(new TensorShape(2, 2), p.Shape);
        Assert.Equal([1f, 3, 2, 4], p.ToArray<float>());
        var scalars = Run1("Pack", [Tensor.FromScalar(5), Tensor.FromScalar(6)], A("axis", 0));
        Assert.Equal([5, 6], scalars.ToArray<int>());
        var u = Run("Unpack", [Iota(6, 2, 3)], 3, A("axis", 1), A("num", 3));
        Assert.Equal([0f, 3], u[0].ToArray<float>());
        Assert.Equal([2f, 5], u[2].ToArray<float>());
    }

    [Fact]
    public void SplitAndSplitV()
    {
        var s = Run("Split", [Tensor.FromScalar(1), Iota(8, 2, 4)], 2, A("num_split", 2));
        Assert.Equal([0f, 1, 4, 5], s[0].ToArray<float>());
        Assert.Equal([2f, 3, 6, 7], s[1].ToArray<float>());
        var v = Run("SplitV", [Iota(8, 2, 4), I(1, -1), Tensor.FromScalar(-1)], 2, A("num_split", 2));
        Assert.Equal(new TensorShape(2, 1), v[0].Shape);
        Assert.Equal([1f, 2, 3, 5, 6, 7], v[1].ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Run("Split", [Tensor.FromScalar(1), Iota(6, 2, 3)], 2, A("num_split", 2)));
    }

    [Fact]
    public void SliceWithMinusOneSize()
    {
        var r = Run1("Slice", [Iota(12, 3, 4), I(1, 1), I(-1, 2)]);
        Assert.Equal(new TensorShape(2, 2), r.Shape);
        Assert.Equal([5f, 6, 9, 10], r.ToArray<float>());
        Assert.Throws<GraphExecutionException>(() => Run1("Slice", [Iota(12, 3, 4), I(2, 0), I(2, 1)]));
    }

    [Fact]
    public void StridedSliceBasicAndNegativeStrides()
    {
        var x = Iota(12, 3, 4);
        // x[1:, ::2]
        var a = Run1("StridedSlice", [x, I(1, 0), I(0, 0), I(1, 2)], A("end_mask", 3), A("begin_mask", 2));
        Assert.Equal(new TensorShape(2, 2), a.Shape);
        Assert.Equal([4f, 6, 8, 10], a.ToArray<float>());
        // x[::-1, -1]  (shrink axis 1)
        var b = Run1("StridedSlice", [x, I(0, -1), I(0, 0), I(-1, 1)], A("begin_mask", 1), A("end_mask", 1), A("shrink_axis_mask", 2));
        Assert.Equal(new TensorShape(3), b.Shape);
        Assert.Equal([11f, 7, 3], b.ToArray<float>());
        // x[2:0:-1, 3:0:-2]
        var c = Run1("StridedSlice", [x, I(2, 3), I(0, 0), I(-1, -2)]);
        Assert.Equal([11f, 9, 7, 5], c.ToArray<float>());
        // out-of-range ends clamp: x[0:100]
        Assert.Equal(new TensorShape(3, 4), Run1("StridedSlice", [x, I(0), I(100), I(1)]).Shape);
    }

    [Fact]
    public void StridedSliceEllipsisNewAxisShrink()
    {
        var x = Iota(24, 2, 3, 4);
        // x[..., 1]  -> [2, 3]
        var a = Run1("StridedSlice", [x, I(0, 1), I(0, 2), I(1, 1)], A("ellipsis_mask", 1), A("shrink_axis_mask", 2));
        Assert.Equal(new TensorShape(2, 3), a.Shape);
        Assert.Equal([1f, 5, 9, 13, 17, 21], a.ToArray<float>());
        // x[tf.newaxis, 0, ..., 1:3] -> [1, 3, 2]
        var b = Run1("StridedSlice", [x, I(0, 0, 0, 1), I(0, 1, 0, 3), I(1, 1, 1, 1)],
            A("new_axis_mask", 1), A("shrink_axis_mask", 2), A("ellipsis_mask", 4));
        Assert.Equal(new TensorShape(1, 3, 2), b.Shape);
        Assert.Equal([1f, 2, 5, 6, 9, 10], b.ToArray<float>());
        // scalar result: x[1, 2, 3]
        var c = Run1("StridedSlice", [x, I(1, 2, 3), I(2, 3, 4), I(1, 1, 1)], A("shrink_axis_mask", 7));
        Assert.Equal(TensorShape.Scalar, c.Shape);
        Assert.Equal(23f, c.Scalar<float>());
        // the rnn_model pattern: shape[0] from a shape vector
        Assert.Equal(7, Run1("StridedSlice", [I(7, 3), I(0), I(1), I(1)], A("shrink_axis_mask", 1)).Scalar<int>());
        Assert.Throws<GraphExecutionException>(() => Run1("StridedSlice", [x, I(5), I(6), I(1)], A("shrink_axis_mask", 1)));
    }

    [Fact]
    public void TransposeTilePad()
    {
        var t = Run1("Transpose", [Iota(6, 2, 3), I(1, 0)]);
        Assert.Equal(new TensorShape(3, 2), t.Shape);
        Assert.Equal([0f, 3, 1, 4, 2, 5], t.ToArray<float>());
        var t3 = Run1("Transpose", [Iota(24, 2, 3, 4), I(2, 0, 1)]);
        Assert.Equal(new TensorShape(4, 2, 3), t3.Shape);
        Assert.Equal(13f, t3.ToArray<float>()[1 * 6 + 1 * 3 + 0]); // t3[1,1,0] = x[1,0,1]
        Assert.Throws<GraphExecutionException>(() => Run1("Transpose", [Iota(6, 2, 3), I(0, 0)]));

        var tile = Run1("Tile", [F([1, 2], 1, 2), I(2, 2)]);
        Assert.Equal(new TensorShape(2, 4), tile.Shape);
        Assert.Equal([1f, 2, 1, 2, 1, 2, 1, 2], tile.ToArray<float>());

        var pad = Run1("Pad", [F([1, 2], 1, 2), I(1, 0, 0, 2)]);
        Assert.Equal(new TensorShape(2, 4), pad.Shape);
        Assert.Equal([0f, 0, 0, 0, 1, 2, 0, 0], pad.ToArray<float>());
        var pad2 = Run1("PadV2", [F([1, 2], 2), I(1, 1), Tensor.FromScalar(-1f)]);
        Assert.Equal([-1f, 1, 2, -1], pad2.ToArray<float>());
        var reflect = Run1("MirrorPad", [F([1, 2, 3], 3), I(2, 2)], ("mode", Str("REFLECT")));
        Assert.Equal([3f, 2, 1, 2, 3, 2, 1], reflect.ToArray<float>());
        var sym = Run1("MirrorPad", [F([1, 2, 3], 3), I(2, 1)], ("mode", Str("SYMMETRIC")));
        Assert.Equal([2f, 1, 1, 2, 3, 3], sym.ToArray<float>());
    }

    [Fact]
    public void FillLikeAndRange()
    {
        var f = Run1("Fill", [I(2, 3), Tensor.FromScalar(7L)]);
        Assert.Equal(DataType.DtInt64, f.DType);
        Assert.Equal(Enumerable.Repeat(7L, 6), f.ToArray<long>());
        Assert.Equal(new double[4], Run1("ZerosLike", [Tensor.Create(new double[] { 1, 2, 3, 4 })]).ToArray<double>());
        Assert.Equal([1, 1, 1], Run1("OnesLike", [I(5, 6, 7)]).ToArray<int>());
        Assert.Equal([3, 5, 7], Run1("Range", [Tensor.FromScalar(3), Tensor.FromScalar(8), Tensor.FromScalar(2)]).ToArray<int>());
        Assert.Equal([5, 4, 3], Run1("Range", [Tensor.FromScalar(5), Tensor.FromScalar(2), Tensor.FromScalar(-1)]).ToArray<int>());
        Assert.Equal([0f, 0.5f, 1f], Run1("Range", [Tensor.FromScalar(0f), Tensor.FromScalar(1.2f), Tensor.FromScalar(0.5f)]).ToArray<float>());
        Assert.Empty(Run1("Range", [Tensor.FromScalar(2), Tensor.FromScalar(2), Tensor.FromScalar(1)]).ToArray<int>());
    }

    [Fact]
    public void GatherAndWhere()
    {
        var g = Run1("GatherV2", [Iota(6, 3, 2), I(2, 0, 2), Tensor.FromScalar(0)]);
        Assert.Equal(new TensorShape(3, 2), g.Shape);
        Assert.Equal([4f, 5, 0, 1, 4, 5], g.ToArray<float>());
        var g1 = Run1("GatherV2", [Iota(6, 3, 2), Tensor.Create(new long[] { 1, 1, 0, 1 }, 2, 2), Tensor.FromScalar(1)]);
        Assert.Equal(new TensorShape(3, 2, 2), g1.Shape);
        Assert.Equal([1f, 1, 0, 1, 3, 3, 2, 3, 5, 5, 4, 5], g1.ToArray<float>());
        Assert.Equal([2f, 3], Run1("Gather", [Iota(6, 3, 2), Tensor.FromScalar(1)]).ToArray<float>());
        var ex = Assert.Throws<GraphExecutionException>(() => Run1("GatherV2", [Iota(6, 3, 2), I(3), Tensor.FromScalar(0)]));
        Assert.Contains("index 3", ex.Message);
        var w = Run1("Where", [Tensor.Create(new[] { true, false, false, true }, 2, 2)]);
        Assert.Equal(new TensorShape(2, 2), w.Shape);
        Assert.Equal([0L, 0, 1, 1], w.ToArray<long>());
    }

    [Fact]
    public void CastBetweenNumericAndBool()
    {
        Assert.Equal([1, -2, 3], Run1("Cast", [F([1.9f, -2.7f, 3f], 3)], ("DstT", Type(DataType.DtInt32))).ToArray<int>());
        Assert.Equal([0f, 1f], Run1("Cast", [Tensor.Create(new[] { false, true })], ("DstT", Type(DataType.DtFloat))).ToArray<float>());
        Assert.Equal([false, true, true], Run1("Cast", [F([0, 0.5f, -1], 3)], ("DstT", Type(DataType.DtBool))).ToArray<bool>());
        Assert.Equal([9007199254740993L], Run1("Cast", [Tensor.Create(new long[] { 9007199254740993L })], ("DstT", Type(DataType.DtInt64))).ToArray<long>());
        Assert.Equal([(byte)255], Run1("Cast", [I(-1)], ("DstT", Type(DataType.DtUint8))).ToArray<byte>());
        Assert.Equal([(Half)1.5], Run1("Cast", [Tensor.Create(new double[] { 1.5 })], ("DstT", Type(DataType.DtHalf))).ToArray<Half>());
        Assert.Equal([(ushort)0x3FC0], Run1("Cast", [F([1.5f], 1)], ("DstT", Type(DataType.DtBfloat16))).ToArray<ushort>());
        Assert.Equal([2.5], Run1("Cast", [Tensor.Create(new long[] { 2 }), ], ("DstT", Type(DataType.DtDouble))).ToArray<double>().Select(v => v + 0.5));
    }
}

public class CastPairTests
{
    private static readonly DataType[] s_types =
    [
        DataType.DtFloat, DataType.DtDouble, DataType.DtHalf, DataType.DtBfloat16, DataType.DtInt8, DataType.DtInt16, DataType.DtInt32,
        DataType.DtInt64, DataType.DtUint8, DataType.DtUint16, DataType.DtUint32, DataType.DtUint64, DataType.DtBool,
    ];

    [Fact]
    public void EveryNumericAndBoolPairConvertsSmallValuesExactly()
    {
        foreach (var src in s_types)
        {
            foreach (var dst in s_types)
            {
                // 0, 1, 3 survive every dtype (bool maps 3 to true = 1).
                var x = Tensor.Zeros(src, new TensorShape(3));
                TypedGraph.Kernels.Exec.ScalarValues.SetDouble(x, 1, 1);
                TypedGraph.Kernels.Exec.ScalarValues.SetDouble(x, 2, 3);
                var y = OpHarness.Run1("Cast", [x], ("SrcT", Type(src)), ("DstT", Type(dst)));
                Assert.Equal(dst, y.DType);
                double three = src == DataType.DtBool || dst == DataType.DtBool ? 1 : 3;
                var got = Enumerable.Range(0, 3).Select(i => TypedGraph.Kernels.Exec.ScalarValues.GetDouble(y, i)).ToArray();
                Assert.True(got.SequenceEqual(new[] { 0, 1, three }), $"{DataTypes.Name(src)} -> {DataTypes.Name(dst)}: [{string.Join(", ", got)}]");
            }
        }
    }
}
