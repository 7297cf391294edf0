using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Lists;

/// <summary>
/// TensorList ops (TF 2.x TensorArray / <c>tf.while_loop</c> accumulators), after TF's core/kernels/list_kernels.{h,cc}
/// and core/ops/list_ops.cc. A list is a scalar DT_VARIANT tensor holding a <see cref="TensorList"/>:
/// <list type="bullet">
/// <item>Element shapes are partial; an <c>element_shape</c> input is a shape tensor where a scalar −1 means
/// unknown rank (TF's <c>TensorShapeFromTensor</c>), merged with the list's own shape (<c>GetElementShapeFromInput</c>).</item>
/// <item>Reading an element never set (GetItem, Stack, PopBack, Gather) gives zeros of the element shape when
/// that shape is fully defined — after merging with the set elements' shapes for GetItem/Stack — and an error otherwise.</item>
/// <item>Every op checks its <c>element_dtype</c> against the list's ("Invalid data types; op elements … but list elements …")
/// and indices against the size ("Trying to access element i in a list with n elements").</item>
/// </list>
/// Stored elements are copies, so buffers the executor reuses never alias list contents. SetItem, PushBack and PopBack
/// change the list's element array in place, as TF's do when they can forward their input
/// (<c>ForwardInputOrCreateNewList</c>); the input version stays readable (see <see cref="TensorList"/>).
/// </summary>
internal sealed class TensorListKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("EmptyTensorList", node => Kernel(node, ctx =>
        {
            var shape = ShapeFromTensor(ctx, ctx.Input(0), "element_shape");
            int max = ScalarInt(ctx, 1, "max_num_elements");
            Output(ctx, 0, new TensorList(node.GetType("element_dtype"), shape, [], max));
        }));
        registry.Add("TensorListReserve", node => Kernel(node, ctx =>
        {
            var shape = ShapeFromTensor(ctx, ctx.Input(0), "element_shape");
            int n = ScalarInt(ctx, 1, "num_elements");
            if (n < 0) throw ctx.Error($"The num_elements to reserve must be a non negative number, but got {n}.");
            Output(ctx, 0, new TensorList(node.GetType("element_dtype"), shape, new Tensor?[n]));
        }));
        registry.Add("TensorListFromTensor", node => Kernel(node, ctx =>
        {
            var t = ctx.Input(0);
            var shape = ShapeFromTensor(ctx, ctx.Input(1), "element_shape");
            if (t.Shape.Rank < 1) throw ctx.Error($"Tensor must be at least a vector, but saw shape: {t.Shape}.");
            var element = t.Shape.Dims[1..];
            if (!Compatible(shape, element))
                throw ctx.Error($"Specified a list with shape {ShapeText(shape)} from a tensor with shape {t.Shape}.");
            var items = new Tensor?[t.Shape[0]];
            for (int i = 0; i < items.Length; i++) items[i] = Slice(t, i, element);
            Output(ctx, 0, new TensorList(t.DType, shape, items));
        }));
        registry.Add("TensorListLength", node => Kernel(node, ctx => ctx.SetOutput(0, Tensor.FromScalar(List(ctx, 0).Count))));
        registry.Add("TensorListElementShape", node => Kernel(node, ctx =>
        {
            var shape = List(ctx, 0).ElementShape;
            var type = node.GetType("shape_type", DataType.DtInt32);
            // Unknown rank is the scalar −1, as TF's TensorListElementShape writes it.
            if (shape == null)
            {
                ctx.SetOutput(0, type == DataType.DtInt64 ? Tensor.FromScalar(-1L) : Tensor.FromScalar(-1));
                return;
            }
            ctx.SetOutput(0, type == DataType.DtInt64 ? Tensor.Create(shape, shape.Length)
                : Tensor.Create(shape.Select(v => checked((int)v)).ToArray(), shape.Length));
        }));
        registry.Add("TensorListGetItem", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            int index = ScalarInt(ctx, 1, "index");
            CheckIndex(ctx, list, index, "access");
            ctx.SetOutput(0, list.Get(index) ?? Zeros(ctx, list, ElementShapeFromInput(ctx, list, 2, mergeSetItems: true)));
        }));
        registry.Add("TensorListSetItem", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            int index = ScalarInt(ctx, 1, "index");
            var item = ctx.Input(2);
            CheckDType(ctx, list, item);
            bool resize = node.GetBool("resize_if_index_out_of_bounds", false);
            int count = list.Count;
            if (index < 0 || (index >= count && !resize))
                throw ctx.Error($"Trying to modify element {index} in a list with {count} elements.");
            if (!Compatible(list.ElementShape, item.Shape.Dims))
                throw ctx.Error($"Tried to set a tensor with incompatible shape at a list index. Item element shape: {item.Shape} list shape: {ShapeText(list.ElementShape)}");
            if (index >= count)
            {
                // resize_if_index_out_of_bounds: a new, longer list (rare; only the in-range set is the loop's hot path).
                var items = list.CopyItems();
                Array.Resize(ref items, index + 1);
                items[index] = item.Clone();
                Output(ctx, 0, list.With(items));
                return;
            }
            // In place on the list's store; the input version stays readable through its undo record (TensorList).
            Output(ctx, 0, list.SetItem(index, item.Clone()));
        }));
        registry.Add("TensorListPushBack", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            var item = ctx.Input(1);
            CheckDType(ctx, list, item);
            if (!Compatible(list.ElementShape, item.Shape.Dims))
                throw ctx.Error($"Tried to append a tensor with incompatible shape to a list. Op element shape: {item.Shape} list shape: {ShapeText(list.ElementShape)}");
            int count = list.Count;
            if (list.MaxNumElements != -1 && count >= list.MaxNumElements)
                throw ctx.Error($"Tried to push item into a full list list size: {count} max_num_elements: {list.MaxNumElements}");
            Output(ctx, 0, list.PushBack(item.Clone()));
        }));
        registry.Add("TensorListPopBack", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            int count = list.Count;
            if (count == 0) throw ctx.Error("Trying to pop from an empty list.");
            // An unset last element reads as zeros of the element shape (checked before the list changes).
            var zeros = list.Get(count - 1) == null ? Zeros(ctx, list, ElementShapeFromInput(ctx, list, 1, mergeSetItems: false)) : null;
            var (rest, last) = list.PopBack();
            Output(ctx, 0, rest);
            ctx.SetOutput(1, last ?? zeros!);
        }));
        registry.Add("TensorListStack", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            long num = node.GetInt("num_elements", -1);
            int count = list.Count;
            if (num != -1 && count != num)
                throw ctx.Error($"Operation expected a list with {num} elements but got a list with {count} elements.");
            var shape = ElementShapeFromInput(ctx, list, 1, mergeSetItems: false, allowUndefined: true);
            if (count == 0 && !FullyDefined(shape))
                throw ctx.Error($"Tried to stack elements of an empty list with non-fully-defined element_shape: {ShapeText(shape)}");
            ctx.SetOutput(0, Stack(ctx, list, Enumerable.Range(0, count).ToArray(), shape));
        }));
        registry.Add("TensorListGather", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            var indices = ctx.Input(1);
            if (indices.Shape.Rank != 1) throw ctx.Error($"indices must be a vector, got shape {indices.Shape}.");
            var idx = indices.AsSpan<int>().ToArray();
            foreach (int i in idx) CheckIndex(ctx, list, i, "access");
            var shape = ElementShapeFromInput(ctx, list, 2, mergeSetItems: false, allowUndefined: true);
            ctx.SetOutput(0, Stack(ctx, list, idx, shape));
        }));
        registry.Add("TensorListScatter", node => Kernel(node, ctx =>
        {
            var t = ctx.Input(0);
            var shape = ShapeFromTensor(ctx, ctx.Input(2), "element_shape");
            var idx = Indices(ctx, ctx.Input(1), t);
            int size = idx.Length == 0 ? 0 : idx.Max() + 1;
            var list = new TensorList(t.DType, shape, new Tensor?[size]);
            Output(ctx, 0, Scatter(ctx, list, t, idx));
        }));
        registry.Add("TensorListScatterV2", node => Kernel(node, ctx =>
        {
            var t = ctx.Input(0);
            var shape = ShapeFromTensor(ctx, ctx.Input(2), "element_shape");
            var idx = Indices(ctx, ctx.Input(1), t);
            int num = ScalarInt(ctx, 3, "num_elements");
            int size = Math.Max(num, idx.Length == 0 ? 0 : idx.Max() + 1);
            Output(ctx, 0, Scatter(ctx, new TensorList(t.DType, shape, new Tensor?[size]), t, idx));
        }));
        registry.Add("TensorListScatterIntoExistingList", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            var t = ctx.Input(1);
            CheckDType(ctx, list, t);
            var idx = Indices(ctx, ctx.Input(2), t);
            int size = Math.Max(list.Count, idx.Length == 0 ? 0 : idx.Max() + 1);
            var items = list.CopyItems();
            Array.Resize(ref items, size);
            Output(ctx, 0, Scatter(ctx, list.With(items), t, idx));
        }));
        registry.Add("TensorListResize", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0);
            int size = ScalarInt(ctx, 1, "size");
            if (size < 0) throw ctx.Error($"TensorListSlice expects size to be non-negative. Got: {size}");
            var items = list.CopyItems();
            Array.Resize(ref items, size);
            Output(ctx, 0, list.With(items));
        }));
        RegisterConcatSplit(registry);
    }

    /// <summary>TensorListConcat, TensorListConcatV2 and TensorListSplit (list_kernels.h).</summary>
    private static void RegisterConcatSplit(KernelRegistry registry)
    {
        // V1: the element shape (all but its first dim) comes from the attr; unset elements need a leading dim that every
        // set element shares.
        registry.Add("TensorListConcat", node =>
        {
            long[]? exceptFirst = null;
            if (node.HasAttr("element_shape") && node.GetShape("element_shape") is { UnknownRank: false } attr)
            {
                if (attr.Dim.Count == 0) throw new ArgumentException("element_shape must not be empty");
                exceptFirst = attr.Dim.Skip(1).Select(d => d.Size < 0 ? -1 : d.Size).ToArray();
            }
            return Kernel(node, ctx => Concat(ctx, List(ctx, 0, node), exceptFirst, firstDim: -1, leadingDims: null));
        });
        // V2: the element shape is an input (merged with the list's); leading_dims gives the rows of unset elements.
        registry.Add("TensorListConcatV2", node => Kernel(node, ctx =>
        {
            var list = List(ctx, 0, node);
            var shape = FullyDefined(list.ElementShape) ? list.ElementShape : Merge(ctx, ShapeFromTensor(ctx, ctx.Input(1), "element_shape"), list.ElementShape);
            if (shape != null && shape.Length < 1) throw ctx.Error("Concat requires elements to be at least vectors, found scalars instead.");
            var leading = ctx.Input(2);
            if (leading.DType != DataType.DtInt64 || leading.Shape.Rank != 1)
                throw ctx.Error($"leading_dims must be an int64 vector, got a {DataTypes.Name(leading.DType)}{leading.Shape} tensor.");
            Concat(ctx, list, shape?[1..], shape?[0] ?? -1, leading.AsSpan<long>().ToArray());
        }));
        registry.Add("TensorListSplit", node => Kernel(node, ctx =>
        {
            var t = ctx.Input(0);
            var shape = ShapeFromTensor(ctx, ctx.Input(1), "element_shape");
            if (shape != null && shape.Length < 1)
                throw ctx.Error($"TensorListSplit requires element_shape to be at least of rank 1, but saw: {ShapeText(shape)}");
            if (t.Shape.Rank < 1) throw ctx.Error($"Tensor must be at least a vector, but saw shape: {t.Shape}");
            var rest = t.Shape.Dims[1..];
            if (shape != null && !Compatible(shape[1..], rest))
                throw ctx.Error($"tensor shape {ShapeText(Longs(t.Shape.Dims))} is not compatible with element_shape {ShapeText(shape)}");
            var lengths = ctx.Input(2);
            if (lengths.Shape.Rank != 1 || lengths.DType != DataType.DtInt64)
                throw ctx.Error($"Expected lengths to be a vector, received shape: {lengths.Shape}");
            var counts = lengths.AsSpan<long>();
            var items = new Tensor?[counts.Length];
            long start = 0, rows = t.Shape[0];
            for (int i = 0; i < counts.Length; i++)
            {
                long length = counts[i];
                if (length < 0) throw ctx.Error($"Invalid value in lengths: {length}");
                long end = start + length;
                if (end > rows) throw ctx.Error($"Attempting to slice [{start}, {end}] from tensor with length {rows}");
                items[i] = Rows(t, (int)start, (int)length);
                start = end;
            }
            if (start != rows) throw ctx.Error($"Unused values in tensor. Length of tensor: {rows} Values used: {start}");
            Output(ctx, 0, new TensorList(t.DType, shape, items));
        }));
    }

    /// <summary>
    /// TensorListConcat(V2)'s Compute: the elements joined along their first dim, and their lengths. Where the list's own
    /// element shape is not fully defined, every set element must be at least a vector, agree with
    /// <paramref name="exceptFirst"/> on the other dims and with a known <paramref name="firstDim"/>; an unknown first dim
    /// becomes the one all set elements share, if they do. An unset element has the rows of its
    /// <paramref name="leadingDims"/> entry, else that shared first dim, and reads as zeros.
    /// </summary>
    private static void Concat(OpKernelContext ctx, TensorList list, long[]? exceptFirst, long firstDim, long[]? leadingDims)
    {
        var items = list.CopyItems();
        if (items.Length == 0 && !FullyDefined(exceptFirst))
            throw ctx.Error($"All except the first dimension must be fully defined when concating an empty tensor list. element_shape: {ShapeText(exceptFirst)}");
        if (!FullyDefined(list.ElementShape))
        {
            bool infer = firstDim == -1;
            long inferred = firstDim;
            for (int i = 0; i < items.Length; i++)
            {
                if (items[i] is not { } t) continue;
                if (t.Shape.Rank < 1) throw ctx.Error($"Concat saw a scalar shape at index {i} but requires at least vectors.");
                exceptFirst = Merge(ctx, exceptFirst, Longs(t.Shape.Dims[1..]));
                if (firstDim != -1 && firstDim != t.Shape[0])
                    throw ctx.Error($"First entry of element_shape input does not match the first dim of list element at index: {i} Expected: {firstDim} Actual: {t.Shape[0]}");
                if (infer)
                {
                    if (inferred == -1) inferred = t.Shape[0];
                    else if (inferred != t.Shape[0])
                    {
                        inferred = -1;
                        infer = false;
                    }
                }
            }
            firstDim = inferred;
        }
        if (!FullyDefined(exceptFirst))
            throw ctx.Error($"Trying to concat list with only uninitialized tensors but element_shape_except_first_dim is not fully defined: {ShapeText(exceptFirst)}");
        var lengths = new long[items.Length];
        long total = 0;
        for (int i = 0; i < items.Length; i++)
        {
            if (items[i] is { } t) lengths[i] = t.Shape[0];
            else if ((leadingDims == null || i >= leadingDims.Length) && firstDim != -1) lengths[i] = firstDim;
            else if (leadingDims == null)
                throw ctx.Error("Concating lists with uninitialized tensors is not supported in this version of TensorListConcat. Consider updating your GraphDef to run the newer version.");
            else if (i >= leadingDims.Length)
                throw ctx.Error($"List contains uninitialized tensor at index {i} but leading_dims has only {leadingDims.Length} elements.");
            else lengths[i] = leadingDims[i];
            total += lengths[i];
        }
        var output = Tensor.Zeros(list.ElementDType, TensorShape.FromLongs([total, .. exceptFirst!]));
        long rowSize = 1;
        foreach (long d in exceptFirst!) rowSize *= d;
        long at = 0; // in elements
        for (int i = 0; i < items.Length; i++)
        {
            long count = lengths[i] * rowSize;
            if (items[i] is { } t)
            {
                // A set element's other dims were merged above; with a fully defined list shape they match by construction.
                if (t.NumElements != count)
                    throw ctx.Error($"Incompatible shapes during merge: element {i} has shape {t.Shape}, expected [{lengths[i]},{string.Join(",", exceptFirst!)}].");
                if (list.ElementDType == DataType.DtString) Array.Copy(t.Strings, 0, output.Strings, at, count);
                else
                {
                    int size = DataTypes.ElementSize(list.ElementDType);
                    t.Bytes.CopyTo(output.Bytes.Slice(checked((int)(at * size))));
                }
            }
            at += count; // an unset element stays zeros (empty strings)
        }
        ctx.SetOutput(0, output);
        ctx.SetOutput(1, Tensor.Create(lengths, lengths.Length));
    }

    /// <summary>Rows [start, start + count) of <paramref name="t"/> as a new tensor.</summary>
    private static Tensor Rows(Tensor t, int start, int count) => CopyRows(t, start, count, new TensorShape([count, .. t.Shape.Dims[1..]]));

    /// <summary>Rows [start, start + count) of <paramref name="t"/> copied into a new tensor of <paramref name="shape"/>
    /// (the same number of elements).</summary>
    private static Tensor CopyRows(Tensor t, int start, int count, TensorShape shape)
    {
        long per = 1;
        for (int d = 1; d < t.Shape.Rank; d++) per *= t.Shape[d];
        if (t.DType == DataType.DtString)
            return new Tensor(shape, Enumerable.Range(0, checked((int)(count * per))).Select(j => (byte[])t.Strings[start * per + j].Clone()).ToArray());
        int size = DataTypes.ElementSize(t.DType);
        var result = Tensor.Zeros(t.DType, shape);
        t.Bytes.Slice(checked((int)(start * per * size)), checked((int)(count * per * size))).CopyTo(result.Bytes);
        return result;
    }

    private static OpKernel Kernel(Node node, Action<OpKernelContext> compute) => new DelegateKernel(node, compute);

    private static void Output(OpKernelContext ctx, int index, TensorList list) => ctx.SetOutput(index, Tensor.FromHandle(DataType.DtVariant, list));

    /// <summary>Input <paramref name="index"/> as a list; with <paramref name="node"/>, its element_dtype must match.</summary>
    private static TensorList List(OpKernelContext ctx, int index, Node? node = null)
    {
        var t = ctx.Input(index);
        if (t.DType != DataType.DtVariant || t.Shape.Rank != 0 || t.Handle is not TensorList list)
            throw ctx.Error($"input {index} must be a scalar DT_VARIANT TensorList, got a {DataTypes.Name(t.DType)}{t.Shape} tensor.");
        if (node != null && node.GetType("element_dtype") is var dtype && dtype != list.ElementDType)
            throw ctx.Error($"Invalid data types; op elements {DataTypes.Name(dtype)} but list elements {DataTypes.Name(list.ElementDType)}.");
        return list;
    }

    private static void CheckDType(OpKernelContext ctx, TensorList list, Tensor item)
    {
        if (item.DType != list.ElementDType)
            throw ctx.Error($"Invalid data types; op elements {DataTypes.Name(item.DType)} but list elements {DataTypes.Name(list.ElementDType)}.");
    }

    private static void CheckIndex(OpKernelContext ctx, TensorList list, int index, string verb)
    {
        int count = list.Count;
        if (index < 0 || index >= count)
            throw ctx.Error($"Trying to {verb} element {index} in a list with {count} elements.");
    }

    private static int ScalarInt(OpKernelContext ctx, int index, string what)
    {
        var t = ctx.Input(index);
        if (t.Shape.Rank != 0 || t.DType is not (DataType.DtInt32 or DataType.DtInt64))
            throw ctx.Error($"{what} must be an int32 scalar, got a {DataTypes.Name(t.DType)}{t.Shape} tensor.");
        return checked((int)ScalarValues.GetLong(t, 0));
    }

    /// <summary>TF's TensorShapeFromTensor: a scalar −1 is unknown rank; a vector lists dims (−1 unknown).</summary>
    internal static long[]? ShapeFromTensor(OpKernelContext ctx, Tensor t, string what)
    {
        if (t.DType is not (DataType.DtInt32 or DataType.DtInt64))
            throw ctx.Error($"{what} must be an int32 or int64 tensor, got {DataTypes.Name(t.DType)}.");
        if (t.Shape.Rank == 0)
        {
            if (ScalarValues.GetLong(t, 0) == -1) return null;
            throw ctx.Error($"The only valid scalar shape tensor is the fully unknown shape specified as -1; {what} is {ScalarValues.GetLong(t, 0)}.");
        }
        if (t.Shape.Rank != 1) throw ctx.Error($"Shape must be at most rank 1 but is rank {t.Shape.Rank} ({what}).");
        var dims = new long[t.NumElements];
        for (int i = 0; i < dims.Length; i++)
        {
            dims[i] = ScalarValues.GetLong(t, i);
            if (dims[i] < -1) throw ctx.Error($"{what} has an invalid dim {dims[i]}.");
        }
        return dims;
    }

    private static bool FullyDefined(long[]? shape) => shape != null && shape.All(d => d >= 0);

    private static bool Compatible(long[]? partial, ReadOnlySpan<int> dims)
    {
        if (partial == null) return true;
        if (partial.Length != dims.Length) return false;
        for (int i = 0; i < dims.Length; i++)
            if (partial[i] != -1 && partial[i] != dims[i]) return false;
        return true;
    }

    private static long[]? Merge(OpKernelContext ctx, long[]? a, long[]? b)
    {
        if (a == null) return b;
        if (b == null) return a;
        if (a.Length != b.Length) throw ctx.Error($"Incompatible ranks during merge: {ShapeText(a)} vs. {ShapeText(b)}");
        var m = new long[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != -1 && b[i] != -1 && a[i] != b[i]) throw ctx.Error($"Incompatible shapes during merge: {ShapeText(a)} vs. {ShapeText(b)}");
            m[i] = a[i] != -1 ? a[i] : b[i];
        }
        return m;
    }

    /// <summary>TF's GetElementShapeFromInput: the list's shape if fully defined, else merged with the input;
    /// for GetItem (and, with <paramref name="allowUndefined"/>, Stack/Gather) also merged with the set elements' shapes.</summary>
    private static long[]? ElementShapeFromInput(OpKernelContext ctx, TensorList list, int input, bool mergeSetItems, bool allowUndefined = false)
    {
        var shape = FullyDefined(list.ElementShape) ? list.ElementShape : Merge(ctx, ShapeFromTensor(ctx, ctx.Input(input), "element_shape"), list.ElementShape);
        if ((mergeSetItems || allowUndefined) && !FullyDefined(shape))
            for (int i = 0, count = list.Count; i < count; i++)
                if (list.Get(i) is { } t) shape = Merge(ctx, shape, Longs(t.Shape.Dims));
        if (!allowUndefined && !FullyDefined(shape))
            throw ctx.Error($"Trying to read an uninitialized tensor but element_shape is not fully defined: {ShapeText(shape)} and no list element is set.");
        return shape;
    }

    private static Tensor Zeros(OpKernelContext ctx, TensorList list, long[]? shape)
    {
        if (!FullyDefined(shape)) throw ctx.Error($"Trying to read an uninitialized tensor but element_shape is not fully defined: {ShapeText(shape)}.");
        return Tensor.Zeros(list.ElementDType, TensorShape.FromLongs(shape!));
    }

    /// <summary>Stacks the elements at <paramref name="indices"/> into [k, ...element] (allocated as output 0); unset ones are zeros.</summary>
    private static Tensor Stack(OpKernelContext ctx, TensorList list, int[] indices, long[]? shape)
    {
        if (!FullyDefined(shape))
            throw ctx.Error($"Tried to stack list which only contains uninitialized tensors and has a non-fully-defined element_shape: {ShapeText(shape)}");
        var element = TensorShape.FromLongs(shape!);
        var outShape = TensorShape.FromLongs([indices.Length, .. shape!]);
        foreach (int i in indices)
            if (list.Get(i) is { } t && !t.Shape.Equals(element))
                throw ctx.Error($"Incompatible shapes during merge: element {i} has shape {t.Shape}, expected {element}.");
        if (list.ElementDType == DataType.DtString)
        {
            var strings = new byte[outShape.NumElements][];
            long per = element.NumElements;
            for (int k = 0; k < indices.Length; k++)
                for (long j = 0; j < per; j++)
                    strings[k * per + j] = list.Get(indices[k])?.Strings[j] ?? [];
            return new Tensor(outShape, strings);
        }
        // A pooled output (contents unspecified, so unset elements are cleared): a fetched stack is then handed over
        // as is rather than made as a plain tensor that Session.Run would copy once more for the caller.
        var result = ctx.AllocateOutput(0, list.ElementDType, outShape);
        int bytes = checked((int)(element.NumElements * DataTypes.ElementSize(list.ElementDType)));
        for (int k = 0; k < indices.Length; k++)
        {
            var row = result.Bytes.Slice(k * bytes, bytes);
            if (list.Get(indices[k]) is { } t) t.Bytes.CopyTo(row);
            else row.Clear();
        }
        return result;
    }

    /// <summary>Row <paramref name="i"/> of <paramref name="t"/> (shape <paramref name="element"/>), as a new tensor.</summary>
    private static Tensor Slice(Tensor t, int i, ReadOnlySpan<int> element) => CopyRows(t, i, 1, new TensorShape(element.ToArray()));

    private static int[] Indices(OpKernelContext ctx, Tensor indices, Tensor t)
    {
        if (indices.Shape.Rank != 1 || indices.DType != DataType.DtInt32) throw ctx.Error($"indices must be an int32 vector, got {DataTypes.Name(indices.DType)}{indices.Shape}.");
        if (t.Shape.Rank < 1 || t.Shape[0] != indices.NumElements)
            throw ctx.Error($"Invalid number of rows in input tensor. Expected: {indices.NumElements} Actual: {(t.Shape.Rank < 1 ? 0 : t.Shape[0])}");
        var idx = indices.AsSpan<int>().ToArray();
        foreach (int i in idx)
            if (i < 0) throw ctx.Error($"Indices in TensorListScatter must all be non-negative, got {i}.");
        return idx;
    }

    private static TensorList Scatter(OpKernelContext ctx, TensorList list, Tensor t, int[] idx)
    {
        var element = t.Shape.Dims[1..];
        if (!Compatible(list.ElementShape, element))
            throw ctx.Error($"Tried to scatter a tensor with element shape {ShapeText(Longs(element))} into a list with element shape {ShapeText(list.ElementShape)}.");
        var items = list.CopyItems();
        for (int k = 0; k < idx.Length; k++) items[idx[k]] = Slice(t, k, element);
        return list.With(items);
    }

    private static long[] Longs(ReadOnlySpan<int> dims)
    {
        var r = new long[dims.Length];
        for (int i = 0; i < r.Length; i++) r[i] = dims[i];
        return r;
    }

    private static string ShapeText(long[]? shape) => shape == null ? "<unknown>" : "[" + string.Join(",", shape.Select(d => d == -1 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
