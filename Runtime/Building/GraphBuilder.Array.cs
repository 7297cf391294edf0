using TypedGraph.Protos;

namespace TypedGraph.Building;

// Constants, placeholders and array/shape ops (tf.constant, tf.placeholder, tf.reshape, …).
public sealed partial class GraphBuilder
{
    /// <summary>A Const node holding <paramref name="value"/> (<c>tf.constant</c>).</summary>
    public Output Constant(Tensor value, string name = "Const")
        => Op1("Const", [], name, new Dictionary<string, AttrValue> { ["value"] = Attrs.Tensor(ConstantEncoder.Encode(value)), ["dtype"] = Attrs.Type(value.DType) });

    /// <summary>A Const of <paramref name="shape"/> filled with one value, written as a splat like
    /// <c>tf.constant(0.0, shape=[784, 10])</c>.</summary>
    public Output Splat(double value, DataType dtype, long[] shape, string name = "Const")
    {
        var t = ScalarTensor(value, dtype);
        var proto = ConstantEncoder.Encode(t, splat: true);
        proto.TensorShape = Attrs.ShapeProto(shape);
        return Op1("Const", [], name, new Dictionary<string, AttrValue> { ["value"] = Attrs.Tensor(proto), ["dtype"] = Attrs.Type(dtype) });
    }

    /// <summary>A scalar float Const.</summary>
    public Output Constant(float value, string name = "Const") => Constant(Tensor.FromScalar(value), name);

    /// <summary>A scalar int32 Const.</summary>
    public Output Constant(int value, string name = "Const") => Constant(Tensor.FromScalar(value), name);

    /// <summary>A rank-1 int32 Const (shapes, axes, perms).</summary>
    public Output Constant(int[] values, string name = "Const") => Constant(Tensor.Create(values), name);

    /// <summary>A rank-1 float Const, or of <paramref name="shape"/> when given.</summary>
    public Output Constant(float[] values, int[]? shape = null, string name = "Const") => Constant(Tensor.Create(values, shape ?? [values.Length]), name);

    /// <summary>A scalar string Const.</summary>
    public Output Constant(string value, string name = "Const") => Constant(Tensor.FromString(value), name);

    /// <summary>A scalar Const of <paramref name="dtype"/> (Python scalars converted to the other operand's type).</summary>
    public Output ScalarConstant(double value, DataType dtype, string name = "Const") => Constant(ScalarTensor(value, dtype), name);

    internal static Tensor ScalarTensor(double value, DataType dtype) => DataTypes.BaseType(dtype) switch
    {
        DataType.DtFloat => Tensor.FromScalar((float)value),
        DataType.DtDouble => Tensor.FromScalar(value),
        DataType.DtInt32 => Tensor.FromScalar((int)value),
        DataType.DtInt64 => Tensor.FromScalar((long)value),
        DataType.DtBool => Tensor.FromScalar(value != 0),
        DataType.DtUint8 => Tensor.FromScalar((byte)value),
        DataType.DtInt8 => Tensor.FromScalar((sbyte)value),
        DataType.DtInt16 => Tensor.FromScalar((short)value),
        DataType.DtHalf => Tensor.FromScalar((Half)value),
        _ => throw new NotSupportedException($"No scalar constant of dtype {DataTypes.Name(dtype)}."),
    };

    /// <summary>A Placeholder (<c>tf.placeholder</c>); <paramref name="shape"/> null = unknown rank, -1 = unknown dim.</summary>
    public Output Placeholder(DataType dtype, long[]? shape = null, string name = "Placeholder")
        => Op1("Placeholder", [], name, new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(dtype), ["shape"] = Attrs.Shape(shape) });

    /// <summary>A PlaceholderWithDefault (<c>tf.placeholder_with_default</c>).</summary>
    public Output PlaceholderWithDefault(Output input, long[]? shape, string name = "PlaceholderWithDefault")
        => Op1("PlaceholderWithDefault", [input], name, new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(input.DType), ["shape"] = Attrs.Shape(shape) });

    /// <summary>Identity (<c>tf.identity</c>).</summary>
    public Output Identity(Output x, string name = "Identity") => Op1("Identity", [x], name);

    /// <summary>StopGradient: gradients do not flow through (<c>tf.stop_gradient</c>).</summary>
    public Output StopGradient(Output x, string name = "StopGradient") => Op1("StopGradient", [x], name);

    /// <summary>A NoOp grouping <paramref name="deps"/> (<c>tf.group</c>).</summary>
    public Node Group(IEnumerable<string> deps, string name = "NoOp") => AddOperation("NoOp", [], null, name, deps);

    /// <summary>Reshape to a constant shape (-1 allowed once).</summary>
    public Output Reshape(Output x, int[] shape, string name = "Reshape")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        var s = Constant(shape, "shape");
        return OutputOf(AddOperationExact(scope, "Reshape", [x, s]));
    }

    /// <summary>Reshape to a shape tensor.</summary>
    public Output Reshape(Output x, Output shape, string name = "Reshape") => Op1("Reshape", [x, shape], name);

    /// <summary>The dynamic shape of <paramref name="x"/> (int32).</summary>
    public Output Shape(Output x, string name = "Shape") => Op1("Shape", [x], name);

    /// <summary>Fill a shape tensor with a scalar.</summary>
    public Output Fill(Output dims, Output value, string name = "Fill") => Op1("Fill", [dims, value], name);

    /// <summary>Zeros like <paramref name="x"/>.</summary>
    public Output ZerosLike(Output x, string name = "zeros_like") => Op1("ZerosLike", [x], name);

    /// <summary>Ones like <paramref name="x"/>.</summary>
    public Output OnesLike(Output x, string name = "ones_like") => Op1("OnesLike", [x], name);

    /// <summary>Insert a size-1 dim at <paramref name="axis"/>.</summary>
    public Output ExpandDims(Output x, int axis, string name = "ExpandDims")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        return OutputOf(AddOperationExact(scope, "ExpandDims", [x, Constant(axis, "dim")]));
    }

    /// <summary>Remove size-1 dims (all when <paramref name="axes"/> is empty).</summary>
    public Output Squeeze(Output x, int[]? axes = null, string name = "Squeeze")
        => Op1("Squeeze", [x], name, new Dictionary<string, AttrValue> { ["squeeze_dims"] = Attrs.Ints((axes ?? []).Select(a => (long)a).ToArray()) });

    /// <summary>Concatenate along <paramref name="axis"/> (ConcatV2).</summary>
    public Output Concat(IReadOnlyList<Output> values, int axis, string name = "concat")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        var a = Constant(axis, "axis");
        return OutputOf(AddOperationExact(scope, "ConcatV2", [.. values, a]));
    }

    /// <summary>Stack along a new axis (Pack).</summary>
    public Output Stack(IReadOnlyList<Output> values, int axis = 0, string name = "stack")
        => Op1("Pack", values, name, new Dictionary<string, AttrValue> { ["axis"] = Attrs.Int(axis) });

    /// <summary>Unstack along <paramref name="axis"/> into <paramref name="num"/> tensors (Unpack).</summary>
    public Output[] Unstack(Output value, int num, int axis = 0, string name = "unstack")
    {
        var node = AddOperation("Unpack", [value], new Dictionary<string, AttrValue> { ["num"] = Attrs.Int(num), ["axis"] = Attrs.Int(axis) }, name);
        return Enumerable.Range(0, num).Select(i => OutputOf(node, i)).ToArray();
    }

    /// <summary>Split into <paramref name="numSplit"/> equal parts along <paramref name="axis"/>.</summary>
    public Output[] Split(Output value, int numSplit, int axis, string name = "split")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        var node = AddOperationExact(scope, "Split", [Constant(axis, "split_dim"), value], new Dictionary<string, AttrValue> { ["num_split"] = Attrs.Int(numSplit) });
        return Enumerable.Range(0, numSplit).Select(i => OutputOf(node, i)).ToArray();
    }

    /// <summary>Tile by a multiples tensor.</summary>
    public Output Tile(Output x, Output multiples, string name = "Tile") => Op1("Tile", [x, multiples], name);

    /// <summary>Transpose by a constant permutation.</summary>
    public Output Transpose(Output x, int[] perm, string name = "transpose")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        return OutputOf(AddOperationExact(scope, "Transpose", [x, Constant(perm, "perm")]));
    }

    /// <summary>Slice with begin/size tensors.</summary>
    public Output Slice(Output x, Output begin, Output size, string name = "Slice") => Op1("Slice", [x, begin, size], name);

    /// <summary>Gather along <paramref name="axis"/> (GatherV2).</summary>
    public Output Gather(Output parameters, Output indices, int axis = 0, string name = "GatherV2")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        return OutputOf(AddOperationExact(scope, "GatherV2", [parameters, indices, Constant(axis, "axis")]));
    }

    /// <summary>Cast to <paramref name="dtype"/>.</summary>
    public Output Cast(Output x, DataType dtype, string name = "Cast")
        => Op1("Cast", [x], name, new Dictionary<string, AttrValue> { ["DstT"] = Attrs.Type(dtype), ["SrcT"] = Attrs.Type(x.DType) });

    /// <summary>One-hot encode integer <paramref name="indices"/> into <paramref name="depth"/> float classes.</summary>
    public Output OneHot(Output indices, int depth, float on = 1f, float off = 0f, string name = "one_hot")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        var d = Constant(depth, "depth");
        var onV = Constant(on, "on_value");
        var offV = Constant(off, "off_value");
        return OutputOf(AddOperationExact(scope, "OneHot", [indices, d, onV, offV]));
    }

    /// <summary>Elementwise select (<c>tf.where</c> with three args in TF1).</summary>
    public Output Select(Output condition, Output t, Output e, string name = "Select") => Op1("Select", [condition, t, e], name);

    /// <summary>Range [start, limit) by delta (int32 consts).</summary>
    public Output Range(int start, int limit, int delta = 1, string name = "range")
    {
        using var _ = NameScope(name);
        var scope = CurrentScope.TrimEnd('/');
        return OutputOf(AddOperationExact(scope, "Range", [Constant(start, "start"), Constant(limit, "limit"), Constant(delta, "delta")]));
    }
}
