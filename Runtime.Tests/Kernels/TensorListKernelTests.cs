using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// TensorList ops against TF's list_kernels semantics: unset elements read as zeros of a known element shape (and
/// fail when it is unknown), value semantics (a SetItem never changes its input list), element_dtype and index
/// checks with TF's messages, partial element shapes with −1 / unknown rank.
/// </summary>
public class TensorListKernelTests
{
    private const DataType F = DataType.DtFloat;

    private static (string, AttrValue) Elem(DataType t = F) => ("element_dtype", Type(t));

    private static ExecGraph Reserve(int[]? elementShape, int n)
    {
        var g = new ExecGraph();
        g.Const("shape", elementShape == null ? Tensor.FromScalar(-1) : Tensor.Create(elementShape, elementShape.Length));
        g.Const("n", Tensor.FromScalar(n));
        g.Op("list", "TensorListReserve", ["shape", "n"], Elem(), ("shape_type", Type(DataType.DtInt32)));
        return g;
    }

    private static Tensor[] Run(ExecGraph g, params string[] fetches)
    {
        using var s = new Session(g.Graph);
        return s.Run(fetches);
    }

    [Fact]
    public void ReadingAnUnsetElementGivesZerosOfTheKnownElementShape()
    {
        var g = Reserve([2, 3], 4);
        g.Const("i", Tensor.FromScalar(2));
        g.Const("any", Tensor.FromScalar(-1));
        g.Op("get", "TensorListGetItem", ["list", "i", "any"], Elem());
        g.Op("len", "TensorListLength", ["list"]);
        var r = Run(g, "get:0", "len:0");
        Assert.Equal([2, 3], r[0].Shape.Dims.ToArray());
        Assert.All(r[0].ToArray<float>(), v => Assert.Equal(0f, v));
        Assert.Equal(4, r[1].AsSpan<int>()[0]);
    }

    [Fact]
    public void ReadingAnUnsetElementWithUnknownShapeTakesTheShapeOfSetElementsOrFails()
    {
        var g = Reserve([-1], 3);
        g.Const("i0", Tensor.FromScalar(0));
        g.Const("i1", Tensor.FromScalar(1));
        g.Const("any", Tensor.FromScalar(-1));
        g.Const("v", Tensor.Create(new float[] { 7, 8 }, 2));
        g.Op("set", "TensorListSetItem", ["list", "i0", "v"], Elem());
        g.Op("get_unset", "TensorListGetItem", ["set", "i1", "any"], Elem());
        g.Op("get_set", "TensorListGetItem", ["set", "i0", "any"], Elem());
        g.Op("get_nothing_set", "TensorListGetItem", ["list", "i1", "any"], Elem());
        g.Op("stack", "TensorListStack", ["set", "any"], Elem());
        var r = Run(g, "get_unset:0", "get_set:0", "stack:0");
        Assert.Equal(new float[2], r[0].ToArray<float>());
        Assert.Equal([7f, 8f], r[1].ToArray<float>());
        Assert.Equal([3, 2], r[2].Shape.Dims.ToArray());
        Assert.Equal([7f, 8f, 0, 0, 0, 0], r[2].ToArray<float>());
        var e = Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "get_nothing_set:0"));
        Assert.Contains("Trying to read an uninitialized tensor but element_shape is not fully defined", e.Message);
        Assert.Contains("get_nothing_set", e.Message);
    }

    [Fact]
    public void SetItemIsAValueOpAndChecksIndexDtypeAndShape()
    {
        var g = Reserve([2], 2);
        g.Const("i1", Tensor.FromScalar(1));
        g.Const("i5", Tensor.FromScalar(5));
        g.Const("v", Tensor.Create(new float[] { 1, 2 }, 2));
        g.Const("bad_shape", Tensor.Create(new float[] { 1, 2, 3 }, 3));
        g.Const("ints", Tensor.Create(new[] { 1, 2 }, 2));
        g.Const("read_shape", Tensor.Create(new[] { 2 }, 1));
        g.Op("set", "TensorListSetItem", ["list", "i1", "v"], Elem());
        g.Op("stack_new", "TensorListStack", ["set", "read_shape"], Elem(), ("num_elements", Int(2)));
        g.Op("stack_old", "TensorListStack", ["list", "read_shape"], Elem(), ("num_elements", Int(2)));
        g.Op("oob", "TensorListSetItem", ["list", "i5", "v"], Elem());
        g.Op("wrong_shape", "TensorListSetItem", ["list", "i1", "bad_shape"], Elem());
        g.Op("wrong_dtype", "TensorListSetItem", ["list", "i1", "ints"], Elem(DataType.DtInt32));
        g.Op("stack_count", "TensorListStack", ["list", "read_shape"], Elem(), ("num_elements", Int(3)));
        var r = Run(g, "stack_new:0", "stack_old:0");
        Assert.Equal([0f, 0f, 1f, 2f], r[0].ToArray<float>());
        Assert.Equal([0f, 0f, 0f, 0f], r[1].ToArray<float>()); // the input list is unchanged
        Assert.Contains("Trying to modify element 5 in a list with 2 elements.", Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "oob:0")).Message);
        Assert.Contains("incompatible shape", Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "wrong_shape:0")).Message);
        Assert.Contains("Invalid data types; op elements int32 but list elements float32", Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "wrong_dtype:0")).Message);
        Assert.Contains("Operation expected a list with 3 elements but got a list with 2 elements.", Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "stack_count:0")).Message);
    }

    [Fact]
    public void FromTensorGatherScatterPushPopAndElementShapeFollowTf()
    {
        var g = new ExecGraph();
        var data = Enumerable.Range(0, 12).Select(i => (float)i).ToArray();
        g.Const("t", Tensor.Create(data, 4, 3));
        g.Const("es", Tensor.Create(new[] { -1 }, 1));
        g.Op("list", "TensorListFromTensor", ["t", "es"], Elem(), ("shape_type", Type(DataType.DtInt32)));
        g.Const("idx", Tensor.Create(new[] { 3, 0, 3 }, 3));
        g.Op("gather", "TensorListGather", ["list", "idx", "es"], Elem());
        g.Op("eshape", "TensorListElementShape", ["list"], ("shape_type", Type(DataType.DtInt64)));
        g.Const("row", Tensor.Create(new float[] { -1, -2, -3 }, 3));
        g.Op("pushed", "TensorListPushBack", ["list", "row"], Elem());
        g.Op("pop", "TensorListPopBack", ["pushed", "es"], Elem());
        g.Op("len_after_pop", "TensorListLength", ["pop"]);
        g.Const("sidx", Tensor.Create(new[] { 1, 5 }, 2));
        g.Const("srows", Tensor.Create(new float[] { 10, 11, 12, 50, 51, 52 }, 2, 3));
        g.Op("scattered", "TensorListScatterIntoExistingList", ["list", "srows", "sidx"], Elem());
        g.Op("scattered_stack", "TensorListStack", ["scattered", "es"], Elem());
        g.Const("unknown_rank", Tensor.FromScalar(-1));
        g.Op("empty", "EmptyTensorList", ["unknown_rank", "unknown_rank"], Elem(), ("shape_type", Type(DataType.DtInt32)));
        g.Op("empty_shape", "TensorListElementShape", ["empty"], ("shape_type", Type(DataType.DtInt32)));
        g.Op("empty_pop", "TensorListPopBack", ["list", "es"], Elem());
        var r = Run(g, "gather:0", "eshape:0", "pop:1", "len_after_pop:0", "scattered_stack:0", "empty_shape:0");
        Assert.Equal([3, 3], r[0].Shape.Dims.ToArray());
        Assert.Equal([9f, 10, 11, 0, 1, 2, 9, 10, 11], r[0].ToArray<float>());
        Assert.Equal([-1L], r[1].ToArray<long>());
        Assert.Equal([-1f, -2, -3], r[2].ToArray<float>());
        Assert.Equal(4, r[3].AsSpan<int>()[0]);
        // Scatter grows the list to index 5; rows 4 is unset → zeros of the merged element shape [3].
        var expected = data.Take(3).Concat([10f, 11, 12]).Concat(data.Skip(6).Take(6)).Concat([0f, 0, 0, 50, 51, 52]).ToArray();
        Assert.Equal(expected, r[4].ToArray<float>());
        Assert.Equal(0, r[5].Shape.Rank);
        Assert.Equal(-1, r[5].AsSpan<int>()[0]); // unknown rank is the scalar −1
    }

    [Fact]
    public void PopFromAnEmptyListAndANonListInputAreNamedErrors()
    {
        var g = new ExecGraph();
        g.Const("unknown_rank", Tensor.FromScalar(-1));
        g.Const("max", Tensor.FromScalar(-1));
        g.Op("empty", "EmptyTensorList", ["unknown_rank", "max"], Elem(), ("shape_type", Type(DataType.DtInt32)));
        g.Op("pop", "TensorListPopBack", ["empty", "unknown_rank"], Elem());
        g.Op("len_of_float", "TensorListLength", ["unknown_rank"]);
        Assert.Contains("Trying to pop from an empty list.", Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "pop:1")).Message);
        Assert.Contains("must be a scalar DT_VARIANT TensorList", Assert.ThrowsAny<GraphExecutionException>(() => Run(g, "len_of_float:0")).Message);
    }
}
