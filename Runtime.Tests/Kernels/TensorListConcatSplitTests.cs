using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// TensorListConcat, TensorListConcatV2 and TensorListSplit as list_kernels.h: elements of different lengths joined
/// along their first dim with their lengths, unset elements as zeros of their leading_dims rows (or of the first dim every
/// set element shares), TF's checks and messages; Split as the inverse. Expected values are written out in the tests.
/// </summary>
public sealed class TensorListConcatSplitTests
{
    private const DataType F = DataType.DtFloat;

    private static (string, AttrValue) Elem(DataType t = F) => ("element_dtype", Type(t));

    private static (string, AttrValue) ShapeI32 => ("shape_type", Type(DataType.DtInt32));

    /// <summary>A list of 3 elements of shape [?, 2]: element 0 = [[1,2],[3,4]], element 2 = [[5,6]] (or <paramref name="last"/>), element 1 unset.</summary>
    private static ExecGraph Ragged(float[]? last = null, int[]? listShape = null)
    {
        var g = new ExecGraph();
        g.Const("shape", listShape == null ? Tensor.FromScalar(-1) : Tensor.Create(listShape, listShape.Length));
        g.Const("n", Tensor.FromScalar(3));
        g.Op("list", "TensorListReserve", ["shape", "n"], Elem(), ShapeI32);
        g.Const("i0", Tensor.FromScalar(0));
        g.Const("i2", Tensor.FromScalar(2));
        g.Const("v0", Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2));
        last ??= [5, 6];
        g.Const("v2", Tensor.Create(last, last.Length / 2, 2));
        g.Op("set0", "TensorListSetItem", ["list", "i0", "v0"], Elem());
        g.Op("set2", "TensorListSetItem", ["set0", "i2", "v2"], Elem());
        g.Const("elem", Tensor.Create(new[] { -1, 2 }, 2));
        return g;
    }

    private static Tensor[] Run(ExecGraph g, params string[] fetches)
    {
        using var s = new Session(g.Graph);
        return s.Run(fetches);
    }

    private static string Error(ExecGraph g, string fetch) => Assert.ThrowsAny<GraphExecutionException>(() => Run(g, fetch)).Message;

    [Fact]
    public void ConcatV2_JoinsElementsOfDifferentLengths_UnsetOnesAsZerosOfTheirLeadingDims()
    {
        var g = Ragged();
        g.Const("leading", Tensor.Create(new long[] { 0, 3, 0 }, 3));
        g.Op("concat", "TensorListConcatV2", ["set2", "elem", "leading"], Elem(), ShapeI32);
        var r = Run(g, "concat:0", "concat:1");
        Assert.Equal([6, 2], r[0].Shape.Dims.ToArray());
        Assert.Equal([1f, 2, 3, 4, 0, 0, 0, 0, 0, 0, 5, 6], r[0].ToArray<float>());
        Assert.Equal(DataType.DtInt64, r[1].DType);
        Assert.Equal([2L, 3, 1], r[1].ToArray<long>());
    }

    [Fact]
    public void ConcatV2_GivesAnUnsetElementTheFirstDimEverySetElementShares()
    {
        var g = Ragged(last: [5, 6, 7, 8]); // both set elements have 2 rows
        g.Const("leading", Tensor.Create(Array.Empty<long>(), 0));
        g.Op("concat", "TensorListConcatV2", ["set2", "elem", "leading"], Elem(), ShapeI32);
        var r = Run(g, "concat:0", "concat:1");
        Assert.Equal([1f, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8], r[0].ToArray<float>());
        Assert.Equal([2L, 2, 2], r[1].ToArray<long>());

        // Different lengths and no leading_dims entry for the unset element: TF's error.
        var h = Ragged();
        h.Const("leading", Tensor.Create(Array.Empty<long>(), 0));
        h.Op("concat", "TensorListConcatV2", ["set2", "elem", "leading"], Elem(), ShapeI32);
        Assert.Contains("List contains uninitialized tensor at index 1 but leading_dims has only 0 elements.", Error(h, "concat:0"));
    }

    [Fact]
    public void ConcatV2_ChecksAKnownFirstDimAndTheOtherDims()
    {
        var g = Ragged();
        g.Const("two_rows", Tensor.Create(new[] { 2, 2 }, 2));
        g.Const("leading", Tensor.Create(new long[] { 0, 2, 0 }, 3));
        g.Op("concat", "TensorListConcatV2", ["set2", "two_rows", "leading"], Elem(), ShapeI32);
        Assert.Contains("First entry of element_shape input does not match the first dim of list element at index: 2 Expected: 2 Actual: 1", Error(g, "concat:0"));

        var h = Ragged();
        h.Const("three_cols", Tensor.Create(new[] { -1, 3 }, 2));
        h.Const("leading", Tensor.Create(new long[] { 0, 2, 0 }, 3));
        h.Op("concat", "TensorListConcatV2", ["set2", "three_cols", "leading"], Elem(), ShapeI32);
        Assert.Contains("Incompatible shapes during merge", Error(h, "concat:0"));

        var s = Ragged();
        s.Const("scalar_elems", Tensor.Create(Array.Empty<int>(), 0));
        s.Const("leading", Tensor.Create(new long[] { 0, 2, 0 }, 3));
        s.Op("concat", "TensorListConcatV2", ["set2", "scalar_elems", "leading"], Elem(), ShapeI32);
        Assert.Contains("Concat requires elements to be at least vectors, found scalars instead.", Error(s, "concat:0"));
    }

    [Fact]
    public void ConcatV1_TakesTheOtherDimsFromItsAttr_AndRefusesUnsetElementsOfUnknownLength()
    {
        var g = Ragged(last: [5, 6, 7, 8]);
        g.Op("concat", "TensorListConcat", ["set2"], Elem(), ("element_shape", Shape([-1, 2])));
        var r = Run(g, "concat:0", "concat:1");
        Assert.Equal([1f, 2, 3, 4, 0, 0, 0, 0, 5, 6, 7, 8], r[0].ToArray<float>());
        Assert.Equal([2L, 2, 2], r[1].ToArray<long>());

        var h = Ragged();
        h.Op("concat", "TensorListConcat", ["set2"], Elem(), ("element_shape", Shape([-1, 2])));
        Assert.Contains("Concating lists with uninitialized tensors is not supported in this version of TensorListConcat.", Error(h, "concat:0"));
    }

    [Fact]
    public void ConcatOfAnEmptyList_NeedsTheOtherDims()
    {
        var g = new ExecGraph();
        g.Const("shape", Tensor.Create(new[] { -1, 3 }, 2));
        g.Const("unknown", Tensor.FromScalar(-1));
        g.Const("max", Tensor.FromScalar(-1));
        g.Const("leading", Tensor.Create(Array.Empty<long>(), 0));
        g.Op("list", "EmptyTensorList", ["shape", "max"], Elem(), ShapeI32);
        g.Op("unknown_list", "EmptyTensorList", ["unknown", "max"], Elem(), ShapeI32);
        g.Op("concat", "TensorListConcatV2", ["list", "shape", "leading"], Elem(), ShapeI32);
        g.Op("concat_unknown", "TensorListConcatV2", ["unknown_list", "unknown", "leading"], Elem(), ShapeI32);
        var r = Run(g, "concat:0", "concat:1");
        Assert.Equal([0, 3], r[0].Shape.Dims.ToArray());
        Assert.Equal(0, r[1].NumElements);
        Assert.Contains("All except the first dimension must be fully defined when concating an empty tensor list.", Error(g, "concat_unknown:0"));
    }

    [Fact]
    public void Split_CutsRowsByLengths_AndConcatJoinsThemBack()
    {
        var g = new ExecGraph();
        var values = Enumerable.Range(1, 12).Select(v => (float)v).ToArray();
        g.Const("t", Tensor.Create(values, 6, 2));
        g.Const("elem", Tensor.Create(new[] { -1, 2 }, 2));
        g.Const("lengths", Tensor.Create(new long[] { 2, 0, 3, 1 }, 4));
        g.Op("list", "TensorListSplit", ["t", "elem", "lengths"], Elem(), ShapeI32);
        g.Const("i2", Tensor.FromScalar(2));
        g.Const("i1", Tensor.FromScalar(1));
        g.Const("any", Tensor.FromScalar(-1));
        g.Op("item2", "TensorListGetItem", ["list", "i2", "any"], Elem());
        g.Op("item1", "TensorListGetItem", ["list", "i1", "any"], Elem());
        g.Op("len", "TensorListLength", ["list"]);
        g.Const("leading", Tensor.Create(Array.Empty<long>(), 0));
        g.Op("back", "TensorListConcatV2", ["list", "elem", "leading"], Elem(), ShapeI32);
        var r = Run(g, "item2:0", "item1:0", "len:0", "back:0", "back:1");
        Assert.Equal([3, 2], r[0].Shape.Dims.ToArray());
        Assert.Equal([5f, 6, 7, 8, 9, 10], r[0].ToArray<float>());
        Assert.Equal([0, 2], r[1].Shape.Dims.ToArray());
        Assert.Equal(4, r[2].Scalar<int>());
        Assert.Equal(values, r[3].ToArray<float>());
        Assert.Equal([2L, 0, 3, 1], r[4].ToArray<long>());
    }

    [Theory]
    [InlineData(new long[] { 2, 3 }, "Unused values in tensor. Length of tensor: 6 Values used: 5")]
    [InlineData(new long[] { 5, 2 }, "Attempting to slice [5, 7] from tensor with length 6")]
    [InlineData(new long[] { 7, -1 }, "Attempting to slice [0, 7] from tensor with length 6")]
    [InlineData(new long[] { 2, -1 }, "Invalid value in lengths: -1")]
    public void Split_RefusesLengthsThatDoNotCoverTheTensor(long[] lengths, string message)
    {
        var g = new ExecGraph();
        g.Const("t", Tensor.Create(new float[12], 6, 2));
        g.Const("elem", Tensor.Create(new[] { -1, 2 }, 2));
        g.Const("lengths", Tensor.Create(lengths, lengths.Length));
        g.Op("list", "TensorListSplit", ["t", "elem", "lengths"], Elem(), ShapeI32);
        g.Op("len", "TensorListLength", ["list"]);
        Assert.Contains(message, Error(g, "len:0"));

        var h = new ExecGraph();
        h.Const("t", Tensor.Create(new float[12], 6, 2));
        h.Const("elem", Tensor.Create(new[] { -1, 3 }, 2));
        h.Const("lengths", Tensor.Create(new long[] { 6 }, 1));
        h.Op("list", "TensorListSplit", ["t", "elem", "lengths"], Elem(), ShapeI32);
        h.Op("len", "TensorListLength", ["list"]);
        Assert.Contains("tensor shape [6,2] is not compatible with element_shape [?,3]", Error(h, "len:0"));
    }

    [Fact]
    public void Concat_OfStrings()
    {
        var g = new ExecGraph();
        g.Const("t", new Tensor(new TensorShape(3), new[] { "a"u8.ToArray(), "bc"u8.ToArray(), "d"u8.ToArray() }));
        g.Const("elem", Tensor.FromScalar(-1));
        g.Const("lengths", Tensor.Create(new long[] { 1, 2 }, 2));
        g.Op("list", "TensorListSplit", ["t", "elem", "lengths"], Elem(DataType.DtString), ShapeI32);
        g.Const("leading", Tensor.Create(Array.Empty<long>(), 0));
        g.Op("back", "TensorListConcatV2", ["list", "elem", "leading"], Elem(DataType.DtString), ShapeI32);
        var r = Run(g, "back:0", "back:1");
        Assert.Equal(["a", "bc", "d"], r[0].Strings.Select(b => System.Text.Encoding.UTF8.GetString(b)));
        Assert.Equal([1L, 2], r[1].ToArray<long>());
    }
}
