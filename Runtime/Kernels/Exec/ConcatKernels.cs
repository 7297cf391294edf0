using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Joining and splitting along an axis: ConcatV2, Concat, ConcatOffset, Pack, Unpack, Split, SplitV.</summary>
internal sealed class ConcatKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ConcatV2", node => new DelegateKernel(node, ctx =>
            Concat(ctx, 0, ctx.InputCount - 1, IndexValues.Scalar(ctx, ctx.InputCount - 1, "axis"))));
        registry.Add("Concat", node => new DelegateKernel(node, ctx =>
            Concat(ctx, 1, ctx.InputCount - 1, IndexValues.Scalar(ctx, 0, "concat_dim"))));
        registry.Add("ConcatOffset", node => new DelegateKernel(node, ctx =>
        {
            // Outputs the start of each input along the axis (used by ConcatV2's gradient).
            int n = ctx.InputCount - 1;
            var first = IndexValues.Read(ctx, 1, "shape");
            int axis = IndexValues.Axis(ctx, IndexValues.Scalar(ctx, 0, "concat_dim"), first.Length);
            long offset = 0;
            for (int i = 0; i < n; i++)
            {
                var shape = IndexValues.Read(ctx, 1 + i, "shape");
                if (shape.Length != first.Length) throw ctx.Error($"input {1 + i} has rank {shape.Length}, expected {first.Length}.");
                var o = new int[shape.Length];
                o[axis] = checked((int)offset);
                IndexValues.Output(ctx, i, ctx.Input(1 + i).DType, o);
                offset += shape[axis];
            }
        }));
        registry.Add("Pack", node =>
        {
            long axisAttr = node.GetInt("axis", 0);
            return new DelegateKernel(node, ctx =>
            {
                int n = ctx.InputCount;
                var first = ctx.Input(0);
                int axis = IndexValues.Axis(ctx, axisAttr, first.Shape.Rank + 1);
                var dims = first.Shape.ToArray().ToList();
                dims.Insert(axis, n);
                var output = ctx.AllocateOutput(0, first.DType, new TensorShape([.. dims]));
                for (int i = 0; i < n; i++)
                {
                    var x = ctx.Input(i);
                    if (x.Shape != first.Shape || x.DType != first.DType)
                        throw ctx.Error($"input {i} is {DataTypes.Name(x.DType)}{x.Shape}, but input 0 is {DataTypes.Name(first.DType)}{first.Shape}.");
                    CopyAlongAxis(x.Reshape(Expand(x.Shape, axis)), 0, output, i, axis, 1);
                }
            });
        });
        registry.Add("Unpack", node =>
        {
            long axisAttr = node.GetInt("axis", 0);
            long num = node.GetInt("num", -1);
            return new DelegateKernel(node, ctx =>
            {
                var x = ctx.Input(0);
                int axis = IndexValues.Axis(ctx, axisAttr, x.Shape.Rank);
                var dims = x.Shape.ToArray().ToList();
                int n = dims[axis];
                // The node has exactly `num` outputs; any other dim would drop values or leave outputs unset.
                if (num >= 0 && n != num)
                    throw ctx.Error($"Input shape axis {axis} must equal {num}, got shape {x.Shape}.");
                dims.RemoveAt(axis);
                var outShape = new TensorShape([.. dims]);
                for (int i = 0; i < n; i++)
                {
                    var o = ctx.AllocateOutput(i, x.DType, outShape);
                    CopyAlongAxis(x, i, o.Reshape(Expand(outShape, axis)), 0, axis, 1);
                }
            });
        });
        registry.Add("Split", node =>
        {
            int num = checked((int)node.GetInt("num_split"));
            return new DelegateKernel(node, ctx =>
            {
                var x = ctx.Input(1);
                int axis = IndexValues.Axis(ctx, IndexValues.Scalar(ctx, 0, "split_dim"), x.Shape.Rank);
                if (num <= 0 || x.Shape[axis] % num != 0)
                    throw ctx.Error($"cannot split dim {axis} of shape {x.Shape} into {num} equal parts.");
                // Equal parts: no sizes array (Split runs once per step in LSTM cells).
                int part = x.Shape[axis] / num;
                Span<int> dims = stackalloc int[x.Shape.Rank];
                x.Shape.Dims.CopyTo(dims);
                dims[axis] = part;
                for (int i = 0; i < num; i++)
                    CopyAlongAxis(x, i * part, ctx.AllocateOutput(i, x.DType, (ReadOnlySpan<int>)dims), 0, axis, part);
            });
        });
        registry.Add("SplitV", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            int axis = IndexValues.Axis(ctx, IndexValues.Scalar(ctx, 2, "split_dim"), x.Shape.Rank);
            var spec = IndexValues.Read(ctx, 1, "size_splits");
            int unknown = Array.IndexOf(spec, -1L);
            long known = spec.Where(v => v != -1).Sum();
            var sizes = spec.Select(v => (int)v).ToArray();
            if (unknown >= 0) sizes[unknown] = (int)(x.Shape[axis] - known);
            if (sizes.Any(s => s < 0) || sizes.Sum() != x.Shape[axis])
                throw ctx.Error($"size_splits [{string.Join(", ", spec)}] do not add up to dim {axis} of shape {x.Shape}.");
            SplitInto(ctx, x, axis, sizes);
        }));
    }

    private static void Concat(OpKernelContext ctx, int start, int count, long axisValue)
    {
        if (count < 1) throw ctx.Error("needs at least one input to concatenate.");
        var first = ctx.Input(start);
        int rank = first.Shape.Rank;
        if (rank == 0) throw ctx.Error("cannot concatenate scalars (rank 0); use Pack.");
        int axis = IndexValues.Axis(ctx, axisValue, rank);
        Span<int> dims = stackalloc int[rank];
        first.Shape.Dims.CopyTo(dims);
        dims[axis] = 0;
        for (int i = 0; i < count; i++)
        {
            var x = ctx.Input(start + i);
            if (x.DType != first.DType) throw ctx.Error($"input {start + i} is {DataTypes.Name(x.DType)}, input {start} is {DataTypes.Name(first.DType)}.");
            if (x.Shape.Rank != rank) throw ctx.Error($"input {start + i} has shape {x.Shape}, input {start} has shape {first.Shape}: ranks differ.");
            for (int d = 0; d < rank; d++)
                if (d != axis && x.Shape[d] != first.Shape[d])
                    throw ctx.Error($"input {start + i} has shape {x.Shape}, input {start} has shape {first.Shape}: they differ outside axis {axis}.");
            dims[axis] += x.Shape[axis];
        }
        if (count == 1)
        {
            ctx.SetOutput(0, first);
            return;
        }
        var output = ctx.AllocateOutput(0, first.DType, (ReadOnlySpan<int>)dims);
        int offset = 0;
        for (int i = 0; i < count; i++)
        {
            var x = ctx.Input(start + i);
            CopyAlongAxis(x, 0, output, offset, axis, x.Shape[axis]);
            offset += x.Shape[axis];
        }
    }

    private static void SplitInto(OpKernelContext ctx, Tensor x, int axis, int[] sizes)
    {
        int offset = 0;
        var dims = x.Shape.ToArray();
        for (int i = 0; i < sizes.Length; i++)
        {
            dims[axis] = sizes[i];
            var o = ctx.AllocateOutput(i, x.DType, new TensorShape(dims));
            CopyAlongAxis(x, offset, o, 0, axis, sizes[i]);
            offset += sizes[i];
        }
    }

    /// <summary>Copies a box that spans <paramref name="length"/> positions of <paramref name="axis"/> and all of every other dim.</summary>
    internal static void CopyAlongAxis(Tensor src, int srcOffset, Tensor dst, int dstOffset, int axis, int length)
    {
        if (src.DType != DataType.DtString && dst.DType == src.DType)
        {
            // Row-major with every other dim whole: one contiguous run of length × inner elements per outer index.
            // Plain span copies, no stride arrays (Concat and Split run per step in recurrent cells).
            long outer = 1, inner = DataTypes.ElementSize(src.DType);
            for (int d = 0; d < axis; d++) outer *= src.Shape[d];
            for (int d = axis + 1; d < src.Shape.Rank; d++) inner *= src.Shape[d];
            long srcAxis = src.Shape[axis], dstAxis = dst.Shape[axis], run = length * inner;
            if (run == 0) return;
            var from = src.Bytes;
            var to = dst.Bytes;
            for (long o = 0; o < outer; o++)
                from.Slice(checked((int)((o * srcAxis + srcOffset) * inner)), checked((int)run))
                    .CopyTo(to.Slice(checked((int)((o * dstAxis + dstOffset) * inner)), checked((int)run)));
            GC.KeepAlive(src); // a mapped view must stay mapped while its span is read
            return;
        }
        var srcStrides = StridedCopy.Strides(src.Shape.Dims);
        var dstStrides = StridedCopy.Strides(dst.Shape.Dims);
        var box = src.Shape.ToArray();
        box[axis] = length;
        StridedCopy.Run(src, srcOffset * srcStrides[axis], srcStrides, dst, dstOffset * dstStrides[axis], dstStrides, box);
    }

    private static TensorShape Expand(TensorShape s, int axis)
    {
        var d = s.ToArray().ToList();
        d.Insert(axis, 1);
        return new TensorShape([.. d]);
    }
}
