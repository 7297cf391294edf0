using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sequence;

/// <summary>
/// The TF1 TensorArray ops (<c>TensorArrayV3</c> family, TF's <c>core/kernels/tensor_array_ops.cc</c>): the handle
/// output is a DT_RESOURCE scalar whose <see cref="Tensor.Handle"/> is the <see cref="TensorArray"/>; the float
/// "flow" tensor carries no data, it only orders reads after writes (writes pass <c>flow_in</c> through, creation
/// ops output 0). The V1/V2 ops pass string handles looked up in TF's per-step resource manager and are not
/// registered here.
/// </summary>
internal sealed class TensorArrayKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("TensorArrayV3", node =>
        {
            var dtype = node.GetType("dtype");
            var elementShape = PartialShape.FromProto(node.GetShape("element_shape"));
            bool dynamicSize = node.GetBool("dynamic_size", false);
            bool clearAfterRead = node.GetBool("clear_after_read", true);
            // Graphs written before the attr existed (TF < 1.5) behave as false (TF's HasAttr check).
            bool identical = node.GetBool("identical_element_shapes", false);
            var baseName = node.GetString("tensor_array_name", "");
            if (baseName.Length == 0) baseName = node.Name;
            return new DelegateKernel(node, ctx =>
            {
                var sizeT = ctx.Input(0);
                if (sizeT.Shape.Rank != 0 || sizeT.DType != DataType.DtInt32)
                    throw ctx.Error($"TensorArray size must be an int32 scalar, but had {DataTypes.Name(sizeT.DType)} shape: {sizeT.Shape}");
                int size = sizeT.Scalar<int>();
                if (size < 0) throw ctx.Error("Size should be >= 0.");
                var array = new TensorArray(TensorArray.UniqueName(baseName), dtype, size, elementShape, identical, dynamicSize, clearAfterRead);
                ctx.SetOutput(0, Tensor.FromHandle(DataType.DtResource, array));
                SetZeroFlow(ctx, 1);
            });
        });

        registry.Add(["TensorArrayGradV3", "TensorArrayGradWithShape"], node =>
        {
            var source = node.GetString("source");
            bool withShape = node.Op == "TensorArrayGradWithShape";
            return new DelegateKernel(node, ctx =>
            {
                var forward = ArrayOf(ctx, 0);
                var prefix = TensorShape.Scalar;
                if (withShape)
                {
                    var dims = IndexValues.Read(ctx, 2, "shape_to_prepend");
                    if (dims.Any(d => d < 0)) throw ctx.Error($"shape_to_prepend must be non-negative, got [{string.Join(", ", dims)}].");
                    prefix = TensorShape.FromLongs(dims);
                }
                var grad = forward.GradientFor(ctx, source, prefix);
                ctx.SetOutput(0, Tensor.FromHandle(DataType.DtResource, grad));
                SetZeroFlow(ctx, 1);
            });
        });

        registry.Add("TensorArrayWriteV3", node => new DelegateKernel(node, ctx =>
        {
            var array = ArrayOf(ctx, 0);
            int index = ScalarIndex(ctx, 1);
            var value = ctx.Input(2);
            if (value.DType != array.DType)
                throw ctx.Error($"TensorArray dtype is {DataTypes.Name(array.DType)} but Op is trying to write dtype {DataTypes.Name(value.DType)}.");
            array.Write(ctx, index, Keep(ctx, value));
            ctx.SetOutput(0, ctx.Input(3));
        }));

        registry.Add("TensorArrayReadV3", node =>
        {
            var dtype = node.GetType("dtype");
            return new DelegateKernel(node, ctx =>
            {
                var array = ArrayOf(ctx, 0);
                int index = ScalarIndex(ctx, 1);
                CheckDType(ctx, array, dtype);
                ctx.SetOutput(0, array.Read(ctx, index));
            });
        });

        registry.Add("TensorArrayGatherV3", node =>
        {
            var dtype = node.GetType("dtype");
            var opShape = PartialShape.FromProto(node.GetShape("element_shape"));
            return new DelegateKernel(node, ctx =>
            {
                var array = ArrayOf(ctx, 0);
                CheckDType(ctx, array, dtype);
                array.MergeElementShape(ctx, opShape);
                var indicesT = ctx.Input(1);
                if (indicesT.Shape.Rank != 1 || indicesT.DType != DataType.DtInt32)
                    throw ctx.Error($"Expected indices to be an int32 vector, but received {DataTypes.Name(indicesT.DType)} shape: {indicesT.Shape}");
                var indices = indicesT.AsSpan<int>();
                if (indices.Length == 0)
                {
                    if (!opShape.IsFullyDefined)
                        throw ctx.Error($"TensorArray has size zero, but element shape {opShape} is not fully defined. Currently only static shapes are supported when packing zero-size TensorArrays.");
                    ctx.SetOutput(0, Tensor.Zeros(dtype, new TensorShape([0, .. opShape.ToShape().ToArray()])));
                    return;
                }
                var values = array.ReadMany(ctx, indices);
                if (!opShape.IsCompatibleWith(values[0].Shape))
                    throw ctx.Error($"TensorArray was passed element_shape {opShape} which does not match the Tensor at index 0: {values[0].Shape}");
                Stack(ctx, values);
            });
        });

        registry.Add("TensorArrayScatterV3", node => new DelegateKernel(node, ctx =>
        {
            var array = ArrayOf(ctx, 0);
            var indicesT = ctx.Input(1);
            var value = ctx.Input(2);
            if (value.DType != array.DType)
                throw ctx.Error($"TensorArray dtype is {DataTypes.Name(array.DType)} but Op is trying to write dtype {DataTypes.Name(value.DType)}.");
            if (value.Shape.Rank == 0)
                throw ctx.Error($"Input value for unpack must be at least a vector but received shape: {value.Shape}");
            if (indicesT.Shape.Rank != 1 || indicesT.DType != DataType.DtInt32)
                throw ctx.Error($"Expected indices to be an int32 vector, but received {DataTypes.Name(indicesT.DType)} shape: {indicesT.Shape}");
            var indices = indicesT.AsSpan<int>();
            if (indices.Length != value.Shape[0])
                throw ctx.Error($"Expected len(indices) == values.shape[0], but saw: {indices.Length} vs. {value.Shape[0]}");
            int size = array.Size(ctx);
            int maxIndex = -1;
            foreach (int i in indices) maxIndex = Math.Max(maxIndex, i);
            if (array.HasDynamicSize && size < maxIndex + 1) size = maxIndex + 1;
            if (maxIndex >= size) throw ctx.Error($"Max scatter index must be < array size ({maxIndex} vs. {size})");
            array.WriteMany(ctx, indices, Unstack(value, value.Shape[0], CanAlias(ctx, value)));
            ctx.SetOutput(0, ctx.Input(3));
        }));

        registry.Add("TensorArrayConcatV3", node =>
        {
            var dtype = node.GetType("dtype");
            var except0 = PartialShape.FromProto(node.GetShape("element_shape_except0"));
            return new DelegateKernel(node, ctx => Concat(ctx, ArrayOf(ctx, 0), dtype, except0));
        });

        registry.Add("TensorArraySplitV3", node => new DelegateKernel(node, ctx =>
        {
            var array = ArrayOf(ctx, 0);
            var value = ctx.Input(1);
            var lengthsT = ctx.Input(2);
            if (lengthsT.Shape.Rank != 1 || lengthsT.DType != DataType.DtInt64)
                throw ctx.Error($"Expected lengths to be an int64 vector, received {DataTypes.Name(lengthsT.DType)} shape: {lengthsT.Shape}");
            if (value.Shape.Rank == 0)
                throw ctx.Error($"Expected value to be at least a vector, but received shape: {value.Shape}");
            var lengths = lengthsT.AsSpan<long>();
            long total = 0;
            foreach (long l in lengths)
            {
                if (l < 0) throw ctx.Error($"lengths must be non-negative, got {l}.");
                total += l;
            }
            if (total != value.Shape[0])
                throw ctx.Error($"Expected sum of lengths to be equal to values.shape[0], but sum of lengths is {total} and value's shape is: {value.Shape}");
            int n = lengths.Length;
            int size = array.Size(ctx);
            if (array.HasDynamicSize && size < n) size = n;
            if (size != n)
                throw ctx.Error($"TensorArray's size is not equal to the size of lengths ({size} vs. {n}), and the TensorArray is not marked as dynamically resizeable");
            if (value.DType != array.DType)
                throw ctx.Error($"TensorArray dtype is {DataTypes.Name(array.DType)} but Op is trying to write dtype {DataTypes.Name(value.DType)}.");
            var rowShape = value.Shape.ToArray();
            long rowElems = total == 0 ? 0 : value.NumElements / total;
            bool alias = CanAlias(ctx, value);
            var parts = new Tensor[n];
            long offset = 0;
            for (int i = 0; i < n; i++)
            {
                rowShape[0] = checked((int)lengths[i]);
                parts[i] = Slice(value, offset * rowElems, lengths[i] * rowElems, new TensorShape(rowShape), alias);
                offset += lengths[i];
            }
            array.SetMarkedSize(n);
            var indices = new int[n];
            for (int i = 0; i < n; i++) indices[i] = i;
            array.WriteMany(ctx, indices, parts);
            ctx.SetOutput(0, ctx.Input(3));
        }));

        registry.Add("TensorArraySizeV3", node => new DelegateKernel(node, ctx =>
            ctx.AllocateOutput(0, DataType.DtInt32, TensorShape.Scalar).AsSpan<int>()[0] = ArrayOf(ctx, 0).Size(ctx)));

        registry.Add("TensorArrayCloseV3", node => new DelegateKernel(node, ctx => ArrayOf(ctx, 0).Close()));
    }

    /// <summary>The TensorArray a DT_RESOURCE input refers to.</summary>
    internal static TensorArray ArrayOf(OpKernelContext ctx, int input)
    {
        var t = ctx.Input(input);
        if (t.DType == DataType.DtResource && t.Handle is TensorArray array) return array;
        throw ctx.Error($"input {input} ('{ctx.Node.Inputs[input]}') is not a TensorArray handle (got a {DataTypes.Name(t.DType)} tensor).");
    }

    /// <summary>
    /// The value to store. The static executor hands kernels buffers from its run pool that are recycled after
    /// their last reader in the plan; an array outlives that, so it keeps its own copy there. The loop executor
    /// does not pool, and TF itself stores a reference, so elsewhere the tensor is kept as is.
    /// </summary>
    /// <summary>
    /// A value the array or stack keeps past this kernel: a pooled buffer of the run is held (not handed out again until
    /// the run ends, or a stack pop passes it on); anything else from a pooled run is copied, as before holds existed.
    /// </summary>
    internal static Tensor Keep(OpKernelContext ctx, Tensor value)
        => ctx.Allocator == null || ctx.Holds?.Hold(value) == true ? value : value.Clone();

    private static void SetZeroFlow(OpKernelContext ctx, int output)
        => ctx.SetOutput(output, Tensor.FromScalar(0f));

    private static int ScalarIndex(OpKernelContext ctx, int input)
    {
        var t = ctx.Input(input);
        if (t.Shape.Rank != 0 || t.DType != DataType.DtInt32)
            throw ctx.Error($"TensorArray index must be an int32 scalar, but had {DataTypes.Name(t.DType)} shape: {t.Shape}");
        return t.Scalar<int>();
    }

    private static void CheckDType(OpKernelContext ctx, TensorArray array, DataType dtype)
    {
        if (dtype != array.DType)
            throw ctx.Error($"TensorArray dtype is {DataTypes.Name(array.DType)} but Op requested dtype {DataTypes.Name(dtype)}.");
    }

    /// <summary>Stacks equally shaped elements along a new first dimension (Gather).</summary>
    private static void Stack(OpKernelContext ctx, Tensor[] values)
    {
        var first = values[0].Shape;
        for (int i = 1; i < values.Length; i++)
            if (values[i].Shape != first)
                throw ctx.Error($"TensorArray has inconsistent shapes.  Index 0 has shape: {first} but index {i} has shape: {values[i].Shape}");
        // A pooled output: the caller takes a fetched one over without another copy.
        var output = ctx.AllocateOutput(0, values[0].DType, new TensorShape([values.Length, .. first.ToArray()]));
        CopyInto(values, output);
    }

    private static void Concat(OpKernelContext ctx, TensorArray array, DataType dtype, PartialShape except0)
    {
        CheckDType(ctx, array, dtype);
        int n = array.ConcatSize(ctx);
        if (n == 0)
        {
            if (!except0.IsFullyDefined)
                throw ctx.Error($"TensorArray has size zero, but element_shape_except0 {except0} is not fully defined. Currently only static shapes are supported when concatenating zero-size TensorArrays.");
            ctx.SetOutput(0, Tensor.Zeros(dtype, new TensorShape([0, .. except0.ToShape().ToArray()])));
            ctx.SetOutput(1, Tensor.Zeros(DataType.DtInt64, new TensorShape(0)));
            return;
        }
        var indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = i;
        var values = array.ReadMany(ctx, indices);
        var lengths = ctx.AllocateOutput(1, DataType.DtInt64, new TensorShape(n)).AsSpan<long>();
        int[]? rest = null;
        long rows = 0;
        for (int i = 0; i < n; i++)
        {
            var s = values[i].Shape;
            if (s.Rank == 0) throw ctx.Error($"Concat saw a scalar shape at index {i} but requires at least vectors.  Did you mean to call pack?");
            lengths[i] = s[0];
            var r = s.ToArray()[1..];
            if (rest == null)
            {
                rest = r;
                if (!except0.IsCompatibleWith(new TensorShape(r)))
                    throw ctx.Error($"TensorArray was passed element_shape_except0 {except0} but index 0 has (excepting dimension 0) shape: {new TensorShape(r)} which does not match.");
            }
            else if (!r.AsSpan().SequenceEqual(rest))
                throw ctx.Error($"TensorArray has inconsistent shapes.  Index 0 has (excepting dimension 0) shape: {new TensorShape(rest)} but index {i} has (excepting dimension 0) shape: {new TensorShape(r)}");
            rows += s[0];
        }
        var output = Tensor.Zeros(dtype, new TensorShape([checked((int)rows), .. rest!]));
        CopyInto(values, output);
        ctx.SetOutput(0, output);
    }

    /// <summary>Copies the elements of <paramref name="values"/> one after another into <paramref name="output"/>.</summary>
    private static void CopyInto(Tensor[] values, Tensor output)
    {
        if (output.DType == DataType.DtString)
        {
            int at = 0;
            foreach (var v in values)
            {
                Array.Copy(v.Strings, 0, output.Strings, at, v.Strings.Length);
                at += v.Strings.Length;
            }
            return;
        }
        var dst = output.Bytes;
        int offset = 0;
        foreach (var v in values)
        {
            v.Bytes.CopyTo(dst[offset..]);
            offset += v.Bytes.Length;
        }
    }

    /// <summary>
    /// Whether the elements a scatter or split stores may be views of <paramref name="value"/> instead of copies: the value
    /// must not change while the array is readable. A buffer of this run's pool is held until the run ends (as
    /// <see cref="Keep"/> holds what TensorArrayWriteV3 stores); anything else the run never recycles or writes — a caller's
    /// feed (read-only for the run, as every kernel reading it assumes; a fetched element over it is copied like any shared
    /// value), a constant, a kernel's own tensor — except a variable's value that an optimizer may still update in place
    /// (<see cref="Tensor.InPlaceOwner"/> set; once null it is never set again). TF's scatter copies every element; the
    /// array never writes into one (aggregation makes a new tensor), so views of one buffer are safe to share.
    /// </summary>
    private static bool CanAlias(OpKernelContext ctx, Tensor value)
    {
        if (!DataTypes.IsNumeric(value.DType) || value.InPlaceOwner != null) return false; // strings, variants: per element as before
        if (ctx.Allocator == null) return true; // nothing pools
        if (ctx.Holds == null) return false;
        ctx.Holds.Hold(value); // false (and nothing to hold) for a tensor that is not one of this run's buffers
        return true;
    }

    /// <summary>The <paramref name="n"/> slices of <paramref name="value"/> along its first dimension: views of it when
    /// <paramref name="alias"/> (see <see cref="CanAlias"/>), else each its own copy.</summary>
    private static Tensor[] Unstack(Tensor value, int n, bool alias)
    {
        var rowShape = new TensorShape(value.Shape.ToArray()[1..]);
        long rowElems = rowShape.NumElements;
        var parts = new Tensor[n];
        for (int i = 0; i < n; i++) parts[i] = Slice(value, i * rowElems, rowElems, rowShape, alias);
        return parts;
    }

    /// <summary><paramref name="count"/> elements of <paramref name="value"/> from <paramref name="start"/>: a view of its
    /// memory when <paramref name="alias"/>, else a new tensor holding a copy.</summary>
    private static Tensor Slice(Tensor value, long start, long count, TensorShape shape, bool alias)
    {
        if (value.DType == DataType.DtString)
            return new Tensor(shape, value.Strings.AsSpan(checked((int)start), checked((int)count)).ToArray());
        int es = DataTypes.ElementSize(value.DType);
        if (alias) return new Tensor(value.DType, shape, value.Memory.Slice(checked((int)(start * es)), checked((int)(count * es))));
        var copy = GC.AllocateUninitializedArray<byte>(checked((int)(count * es)));
        value.Bytes.Slice(checked((int)(start * es)), copy.Length).CopyTo(copy);
        return new Tensor(value.DType, shape, copy);
    }
}
