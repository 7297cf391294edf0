using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>Constants, placeholders and array/shape ops (<c>tf.constant</c>, <c>tf.placeholder</c>, <c>tf.reshape</c>,
/// …) as extension methods of <see cref="GraphBuilder"/>; their OpDefs are in <c>OpDefCatalog.Array.cs</c>.</summary>
public static class ArrayOps
{
    /// <summary>A Const node holding <paramref name="value"/> (<c>tf.constant</c>).</summary>
    public static Output Constant(this GraphBuilder builder, Tensor value, string name = "Const")
        => builder.Op1("Const", [], name, new Dictionary<string, AttrValue> { ["value"] = Attrs.Tensor(ConstantEncoder.Encode(value)), ["dtype"] = Attrs.Type(value.DType) });

    /// <summary>A Const of <paramref name="shape"/> filled with one value, written as a splat like
    /// <c>tf.constant(0.0, shape=[784, 10])</c>.</summary>
    public static Output Splat(this GraphBuilder builder, double value, DataType dtype, long[] shape, string name = "Const")
    {
        var t = GraphBuilder.ScalarTensor(value, dtype);
        var proto = ConstantEncoder.Encode(t, splat: true);
        proto.TensorShape = Attrs.ShapeProto(shape);
        return builder.Op1("Const", [], name, new Dictionary<string, AttrValue> { ["value"] = Attrs.Tensor(proto), ["dtype"] = Attrs.Type(dtype) });
    }

    /// <summary>A scalar float Const.</summary>
    public static Output Constant(this GraphBuilder builder, float value, string name = "Const") => builder.Constant(Tensor.FromScalar(value), name);

    /// <summary>A scalar int32 Const.</summary>
    public static Output Constant(this GraphBuilder builder, int value, string name = "Const") => builder.Constant(Tensor.FromScalar(value), name);

    /// <summary>A rank-1 int32 Const (shapes, axes, perms).</summary>
    public static Output Constant(this GraphBuilder builder, int[] values, string name = "Const") => builder.Constant(Tensor.Create(values), name);

    /// <summary>A rank-1 float Const, or of <paramref name="shape"/> when given.</summary>
    public static Output Constant(this GraphBuilder builder, float[] values, int[]? shape = null, string name = "Const") => builder.Constant(Tensor.Create(values, shape ?? [values.Length]), name);

    /// <summary>A scalar string Const.</summary>
    public static Output Constant(this GraphBuilder builder, string value, string name = "Const") => builder.Constant(Tensor.FromString(value), name);

    /// <summary>A scalar Const of <paramref name="dtype"/> (Python scalars converted to the other operand's type).</summary>
    public static Output ScalarConstant(this GraphBuilder builder, double value, DataType dtype, string name = "Const") => builder.Constant(GraphBuilder.ScalarTensor(value, dtype), name);

    /// <summary>A Placeholder (<c>tf.placeholder</c>); <paramref name="shape"/> null = unknown rank, -1 = unknown dim.</summary>
    public static Output Placeholder(this GraphBuilder builder, DataType dtype, long[]? shape = null, string name = "Placeholder")
        => builder.Op1("Placeholder", [], name, new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(dtype), ["shape"] = Attrs.Shape(shape) });

    /// <summary>A PlaceholderWithDefault (<c>tf.placeholder_with_default</c>).</summary>
    public static Output PlaceholderWithDefault(this GraphBuilder builder, Output input, long[]? shape, string name = "PlaceholderWithDefault")
        => builder.Op1("PlaceholderWithDefault", [input], name, new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(input.DType), ["shape"] = Attrs.Shape(shape) });

    /// <summary>Identity (<c>tf.identity</c>).</summary>
    public static Output Identity(this GraphBuilder builder, Output x, string name = "Identity") => builder.Op1("Identity", [x], name);

    /// <summary>StopGradient: gradients do not flow through (<c>tf.stop_gradient</c>).</summary>
    public static Output StopGradient(this GraphBuilder builder, Output x, string name = "StopGradient") => builder.Op1("StopGradient", [x], name);

    /// <summary>A NoOp grouping <paramref name="deps"/> (<c>tf.group</c>).</summary>
    public static Node Group(this GraphBuilder builder, IEnumerable<string> deps, string name = "NoOp") => builder.AddOperation("NoOp", [], null, name, deps);

    /// <summary>Reshape to a constant shape (-1 allowed once).</summary>
    public static Output Reshape(this GraphBuilder builder, Output x, int[] shape, string name = "Reshape")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        var s = builder.Constant(shape, "shape");
        return builder.OutputOf(builder.AddOperationExact(scope, "Reshape", [x, s]));
    }

    /// <summary>Reshape to a shape tensor.</summary>
    public static Output Reshape(this GraphBuilder builder, Output x, Output shape, string name = "Reshape") => builder.Op1("Reshape", [x, shape], name);

    /// <summary>The dynamic shape of <paramref name="x"/> (int32).</summary>
    public static Output Shape(this GraphBuilder builder, Output x, string name = "Shape") => builder.Op1("Shape", [x], name);

    /// <summary>Fill a shape tensor with a scalar.</summary>
    public static Output Fill(this GraphBuilder builder, Output dims, Output value, string name = "Fill") => builder.Op1("Fill", [dims, value], name);

    /// <summary>Zeros like <paramref name="x"/>.</summary>
    public static Output ZerosLike(this GraphBuilder builder, Output x, string name = "zeros_like") => builder.Op1("ZerosLike", [x], name);

    /// <summary>Ones like <paramref name="x"/>.</summary>
    public static Output OnesLike(this GraphBuilder builder, Output x, string name = "ones_like") => builder.Op1("OnesLike", [x], name);

    /// <summary>Insert a size-1 dim at <paramref name="axis"/>.</summary>
    public static Output ExpandDims(this GraphBuilder builder, Output x, int axis, string name = "ExpandDims")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        return builder.OutputOf(builder.AddOperationExact(scope, "ExpandDims", [x, builder.Constant(axis, "dim")]));
    }

    /// <summary>Remove size-1 dims (all when <paramref name="axes"/> is empty).</summary>
    public static Output Squeeze(this GraphBuilder builder, Output x, int[]? axes = null, string name = "Squeeze")
        => builder.Op1("Squeeze", [x], name, new Dictionary<string, AttrValue> { ["squeeze_dims"] = Attrs.Ints((axes ?? []).Select(a => (long)a).ToArray()) });

    /// <summary>Concatenate along <paramref name="axis"/> (ConcatV2).</summary>
    public static Output Concat(this GraphBuilder builder, IReadOnlyList<Output> values, int axis, string name = "concat")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        var a = builder.Constant(axis, "axis");
        return builder.OutputOf(builder.AddOperationExact(scope, "ConcatV2", [.. values, a]));
    }

    /// <summary>Stack along a new axis (Pack).</summary>
    public static Output Stack(this GraphBuilder builder, IReadOnlyList<Output> values, int axis = 0, string name = "stack")
        => builder.Op1("Pack", values, name, new Dictionary<string, AttrValue> { ["axis"] = Attrs.Int(axis) });

    /// <summary>Unstack along <paramref name="axis"/> into <paramref name="num"/> tensors (Unpack).</summary>
    public static Output[] Unstack(this GraphBuilder builder, Output value, int num, int axis = 0, string name = "unstack")
    {
        var node = builder.AddOperation("Unpack", [value], new Dictionary<string, AttrValue> { ["num"] = Attrs.Int(num), ["axis"] = Attrs.Int(axis) }, name);
        return Enumerable.Range(0, num).Select(i => builder.OutputOf(node, i)).ToArray();
    }

    /// <summary>Split into <paramref name="numSplit"/> equal parts along <paramref name="axis"/>.</summary>
    public static Output[] Split(this GraphBuilder builder, Output value, int numSplit, int axis, string name = "split")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        var node = builder.AddOperationExact(scope, "Split", [builder.Constant(axis, "split_dim"), value], new Dictionary<string, AttrValue> { ["num_split"] = Attrs.Int(numSplit) });
        return Enumerable.Range(0, numSplit).Select(i => builder.OutputOf(node, i)).ToArray();
    }

    /// <summary>Tile by a multiples tensor.</summary>
    public static Output Tile(this GraphBuilder builder, Output x, Output multiples, string name = "Tile") => builder.Op1("Tile", [x, multiples], name);

    /// <summary>Transpose by a constant permutation.</summary>
    public static Output Transpose(this GraphBuilder builder, Output x, int[] perm, string name = "transpose")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        return builder.OutputOf(builder.AddOperationExact(scope, "Transpose", [x, builder.Constant(perm, "perm")]));
    }

    /// <summary>Slice with begin/size tensors.</summary>
    public static Output Slice(this GraphBuilder builder, Output x, Output begin, Output size, string name = "Slice") => builder.Op1("Slice", [x, begin, size], name);

    /// <summary>Gather along <paramref name="axis"/> (GatherV2).</summary>
    public static Output Gather(this GraphBuilder builder, Output parameters, Output indices, int axis = 0, string name = "GatherV2")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        return builder.OutputOf(builder.AddOperationExact(scope, "GatherV2", [parameters, indices, builder.Constant(axis, "axis")]));
    }

    /// <summary>Cast to <paramref name="dtype"/>.</summary>
    public static Output Cast(this GraphBuilder builder, Output x, DataType dtype, string name = "Cast")
        => builder.Op1("Cast", [x], name, new Dictionary<string, AttrValue> { ["DstT"] = Attrs.Type(dtype), ["SrcT"] = Attrs.Type(x.DType) });

    /// <summary>One-hot encode integer <paramref name="indices"/> into <paramref name="depth"/> float classes.</summary>
    public static Output OneHot(this GraphBuilder builder, Output indices, int depth, float on = 1f, float off = 0f, string name = "one_hot")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        var d = builder.Constant(depth, "depth");
        var onV = builder.Constant(on, "on_value");
        var offV = builder.Constant(off, "off_value");
        return builder.OutputOf(builder.AddOperationExact(scope, "OneHot", [indices, d, onV, offV]));
    }

    /// <summary>Elementwise select (<c>tf.where</c> with three args in TF1).</summary>
    public static Output Select(this GraphBuilder builder, Output condition, Output t, Output e, string name = "Select") => builder.Op1("Select", [condition, t, e], name);

    /// <summary>Range [start, limit) by delta (int32 consts).</summary>
    public static Output Range(this GraphBuilder builder, int start, int limit, int delta = 1, string name = "range")
    {
        using var _ = builder.NameScope(name);
        var scope = builder.CurrentScope.TrimEnd('/');
        return builder.OutputOf(builder.AddOperationExact(scope, "Range", [builder.Constant(start, "start"), builder.Constant(limit, "limit"), builder.Constant(delta, "delta")]));
    }
}
