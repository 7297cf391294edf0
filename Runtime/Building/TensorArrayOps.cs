using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// A TF1 <c>tf.TensorArray</c> of a graph being built (TF's <c>_GraphTensorArray</c>): the resource
/// <see cref="Handle"/> and the float <see cref="Flow"/> that orders reads after writes. Writes return a new
/// value with the write's flow; inside a while loop carry <see cref="Flow"/> as a loop variable and rebuild
/// the array with <see cref="WithFlow"/>.
/// </summary>
public sealed record GraphTensorArray(Output Handle, Output Flow, DataType DType, long[]? ElementShape)
{
    /// <summary>The same array seen through another flow tensor.</summary>
    public GraphTensorArray WithFlow(Output flow) => this with { Flow = flow };
}

/// <summary>The TensorArray v3 ops as tensor_array_ops.py's <c>_GraphTensorArray</c> builds them, and <c>tf.map_fn</c>,
/// as extension methods of <see cref="GraphBuilder"/>; their OpDefs are in <c>OpDefCatalog.Sequence.cs</c>.</summary>
public static class TensorArrayOps
{
    /// <summary><c>tf.TensorArray(dtype, size)</c>: a <c>TensorArrayV3</c> node.</summary>
    public static GraphTensorArray TensorArray(this GraphBuilder builder, Output size, DataType dtype, long[]? elementShape = null, bool dynamicSize = false,
        bool clearAfterRead = true, bool identicalElementShapes = false, string tensorArrayName = "", string name = "TensorArray")
    {
        var node = builder.AddOperation("TensorArrayV3", [size], new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(dtype),
            ["element_shape"] = Attrs.Shape(elementShape),
            ["dynamic_size"] = Attrs.Bool(dynamicSize),
            ["clear_after_read"] = Attrs.Bool(clearAfterRead),
            ["identical_element_shapes"] = Attrs.Bool(identicalElementShapes),
            ["tensor_array_name"] = Attrs.String(tensorArrayName),
        }, name);
        return new GraphTensorArray(builder.OutputOf(node, 0), builder.OutputOf(node, 1), DataTypes.BaseType(dtype), elementShape);
    }

    /// <summary><c>ta.read(index)</c>: <c>TensorArrayReadV3</c>.</summary>
    public static Output TensorArrayRead(this GraphBuilder builder, GraphTensorArray ta, Output index, string name = "TensorArrayReadV3")
    {
        var value = builder.Op1("TensorArrayReadV3", [ta.Handle, index, ta.Flow], name, new Dictionary<string, AttrValue> { ["dtype"] = Attrs.Type(ta.DType) });
        builder.SetShape(value, ta.ElementShape); // _GraphTensorArray.read: value.set_shape(element_shape)
        return value;
    }

    /// <summary>The element shape of the TensorArrayV3 behind <paramref name="handle"/> (through Enter/Identity/Switch
    /// and gradient arrays), or null when unknown.</summary>
    internal static long[]? ElementShapeOf(this GraphBuilder builder, Output handle)
    {
        var node = builder.Graph.GetNode(handle.NodeName);
        while (node.Op is "Enter" or "RefEnter" or "Identity" or "Switch" or "RefSwitch" or "TensorArrayGradV3")
            node = builder.Graph.GetNode(node.Inputs[0].NodeName);
        return node.Op == "TensorArrayV3" ? Attrs.Dims(node.GetShape("element_shape")) : null;
    }

    /// <summary><c>ta.write(index, value)</c>: <c>TensorArrayWrite/TensorArrayWriteV3</c>; the result carries the new flow.</summary>
    /// <exception cref="ArgumentException">The value's dtype is not the array's.</exception>
    public static GraphTensorArray TensorArrayWrite(this GraphBuilder builder, GraphTensorArray ta, Output index, Output value, string name = "TensorArrayWrite")
    {
        CheckArrayDType(ta, value);
        using var _ = builder.NameScope(name);
        return ta.WithFlow(builder.Op1("TensorArrayWriteV3", [ta.Handle, index, value, ta.Flow], "TensorArrayWriteV3"));
    }

    /// <summary><c>ta.scatter(indices, value)</c>: <c>TensorArrayScatter/TensorArrayScatterV3</c>.</summary>
    /// <exception cref="ArgumentException">The value's dtype is not the array's.</exception>
    public static GraphTensorArray TensorArrayScatter(this GraphBuilder builder, GraphTensorArray ta, Output indices, Output value, string name = "TensorArrayScatter")
    {
        CheckArrayDType(ta, value);
        using var _ = builder.NameScope(name);
        return ta.WithFlow(builder.Op1("TensorArrayScatterV3", [ta.Handle, indices, value, ta.Flow], "TensorArrayScatterV3"));
    }

    /// <summary><c>ta.unstack(value)</c>: <c>TensorArrayUnstack/</c> Shape, strided_slice (dim 0), range, then a scatter.</summary>
    public static GraphTensorArray TensorArrayUnstack(this GraphBuilder builder, GraphTensorArray ta, Output value, string name = "TensorArrayUnstack")
    {
        using var _ = builder.NameScope(name);
        var shape = builder.Shape(value);
        var n = builder.OutputOf(builder.AddOperation("StridedSlice", [shape, builder.Constant([0], "strided_slice/stack"), builder.Constant([1], "strided_slice/stack_1"), builder.Constant([1], "strided_slice/stack_2")],
            new Dictionary<string, AttrValue> { ["shrink_axis_mask"] = Attrs.Int(1) }, "strided_slice"));
        var range = builder.Op1("Range", [builder.Constant(0, "range/start"), n, builder.Constant(1, "range/delta")], "range");
        return builder.TensorArrayScatter(ta, range, value);
    }

    /// <summary><c>ta.gather(indices)</c>: <c>TensorArrayGatherV3</c> with the array's element shape.</summary>
    public static Output TensorArrayGather(this GraphBuilder builder, GraphTensorArray ta, Output indices, string name = "TensorArrayGatherV3")
        => builder.Op1("TensorArrayGatherV3", [ta.Handle, indices, ta.Flow], name, new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(ta.DType),
            ["element_shape"] = Attrs.Shape(ta.ElementShape),
        });

    /// <summary><c>ta.size()</c>: <c>TensorArraySizeV3</c>.</summary>
    public static Output TensorArraySize(this GraphBuilder builder, GraphTensorArray ta, string name = "TensorArraySizeV3") => builder.Op1("TensorArraySizeV3", [ta.Handle, ta.Flow], name);

    /// <summary><c>ta.stack()</c>: <c>TensorArrayStack/</c> size, range, gather.</summary>
    public static Output TensorArrayStack(this GraphBuilder builder, GraphTensorArray ta, string name = "TensorArrayStack")
    {
        using var _ = builder.NameScope(name);
        var size = builder.TensorArraySize(ta);
        var range = builder.Op1("Range", [builder.Constant(0, "range/start"), size, builder.Constant(1, "range/delta")], "range");
        return builder.TensorArrayGather(ta, range);
    }

    /// <summary><c>ta.concat()</c>: <c>TensorArrayConcatV3</c> — the elements joined along their first dimension, and
    /// each element's length there (int64).</summary>
    public static (Output Value, Output Lengths) TensorArrayConcat(this GraphBuilder builder, GraphTensorArray ta, string name = "TensorArrayConcatV3")
    {
        long[]? except0 = ta.ElementShape is { Length: > 0 } es ? es[1..] : null;
        var node = builder.AddOperation("TensorArrayConcatV3", [ta.Handle, ta.Flow], new Dictionary<string, AttrValue>
        {
            ["dtype"] = Attrs.Type(ta.DType),
            ["element_shape_except0"] = Attrs.Shape(except0),
        }, name);
        var value = builder.OutputOf(node, 0);
        if (except0 != null) builder.SetShape(value, [-1, .. except0]); // value.set_shape([None] + element_shape[1:])
        return (value, builder.OutputOf(node, 1));
    }

    /// <summary><c>ta.split(value, lengths)</c>: <c>TensorArraySplit/TensorArraySplitV3</c> — element i is the next
    /// <c>lengths[i]</c> rows of <paramref name="value"/>.</summary>
    /// <param name="builder">The builder the ops are added to.</param>
    /// <param name="ta">The array.</param>
    /// <param name="value">The tensor to split along dimension 0.</param>
    /// <param name="lengths">Row counts per element (int32 or int64; cast to int64 as TF's <c>split</c> does).</param>
    /// <param name="name">Name scope.</param>
    /// <exception cref="ArgumentException">The value's dtype is not the array's.</exception>
    public static GraphTensorArray TensorArraySplit(this GraphBuilder builder, GraphTensorArray ta, Output value, Output lengths, string name = "TensorArraySplit")
    {
        CheckArrayDType(ta, value);
        using var _ = builder.NameScope(name);
        var lengths64 = lengths.BaseType == DataType.DtInt64 ? lengths : builder.Cast(lengths, DataType.DtInt64);
        return ta.WithFlow(builder.Op1("TensorArraySplitV3", [ta.Handle, value, lengths64, ta.Flow], "TensorArraySplitV3"));
    }

    private static void CheckArrayDType(GraphTensorArray ta, Output value)
    {
        if (value.BaseType != ta.DType)
            throw new ArgumentException($"TensorArray '{ta.Handle.NodeName}' holds {DataTypes.Name(ta.DType)}, but {value} was written to it.", nameof(value));
    }

    // tf.map_fn as TF 1.x's functional_ops.map_fn builds it.

    /// <summary>
    /// <c>tf.map_fn(fn, elems)</c> in TF 1.x's layout (functional_ops.py): <c>map/TensorArray</c> unstacks elems,
    /// <c>map/TensorArray_1</c> collects the results, a <c>map/while</c> loop with <c>maximum_iterations = n</c>
    /// (loop variables iteration_counter, i, the result array's flow) reads element i, applies
    /// <paramref name="fn"/> and writes the result; <c>map/TensorArrayStack</c> stacks them.
    /// </summary>
    /// <param name="builder">The builder the ops are added to.</param>
    /// <param name="fn">Builds one result from one element (elems[i]).</param>
    /// <param name="elems">The tensor mapped over its first dimension.</param>
    /// <param name="dtype">The results' dtype (default: elems').</param>
    /// <param name="parallelIterations">The loop's <c>parallel_iterations</c>.</param>
    /// <param name="backProp">False: gradients do not flow through the loop.</param>
    /// <param name="name">Name scope (made unique).</param>
    /// <exception cref="ArgumentException">elems is a scalar, or fn returns another dtype than <paramref name="dtype"/>.</exception>
    public static Output MapFn(this GraphBuilder builder, Func<Output, Output> fn, Output elems, DataType? dtype = null, int parallelIterations = 10, bool backProp = true, string name = "map")
    {
        var elemShape = StaticShapes.Of(builder, elems);
        if (elemShape is { Length: 0 }) throw new ArgumentException($"map_fn needs elems of rank >= 1, got the scalar {elems}.", nameof(elems));
        var resultType = dtype ?? elems.BaseType;
        using var _ = builder.NameScope(name);
        var shape = builder.Shape(elems);
        var n = builder.OutputOf(builder.AddOperation("StridedSlice", [shape, builder.Constant([0], "strided_slice/stack"), builder.Constant([1], "strided_slice/stack_1"), builder.Constant([1], "strided_slice/stack_2")],
            new Dictionary<string, AttrValue> { ["shrink_axis_mask"] = Attrs.Int(1) }, "strided_slice"));
        // infer_shape=True: the element shapes are known on the Python side, not in the op's attr.
        var elemsTa = builder.TensorArray(n, elems.BaseType) with { ElementShape = elemShape?[1..] };
        elemsTa = builder.TensorArrayUnstack(elemsTa, elems);
        var i = builder.Constant(0);
        var accTa = builder.TensorArray(n, resultType, name: "TensorArray_1");
        long[]? resultShape = null;
        var exits = builder.WhileLoop(
            v => builder.Less(v[0], n),
            v =>
            {
                var value = fn(builder.TensorArrayRead(elemsTa, v[0]));
                if (value.BaseType != resultType)
                    throw new ArgumentException($"map_fn: fn returned {value}, expected dtype {DataTypes.Name(resultType)}.", nameof(fn));
                resultShape = StaticShapes.Of(builder, value);
                var written = builder.TensorArrayWrite(accTa.WithFlow(v[1]), v[0], value);
                return [builder.Add(v[0], 1), written.Flow];
            },
            [i, accTa.Flow], parallelIterations: parallelIterations, backProp: backProp, maximumIterations: n);
        return builder.TensorArrayStack(accTa.WithFlow(exits[1]) with { ElementShape = resultShape });
    }
}
