namespace TypedGraph.Kernels.Exec;

/// <summary>Slice (size -1 = to the end) and StridedSlice (all five masks, negative strides), as TF's ValidateStridedSliceOp.</summary>
internal sealed class SliceKernels : KernelSet
{
    private const int NewAxis = -1, ShrinkAxis = -2;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Slice", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            var begin = IndexValues.Read(ctx, 1, "begin");
            var size = IndexValues.Read(ctx, 2, "size");
            int rank = x.Shape.Rank;
            if (begin.Length != rank || size.Length != rank)
                throw ctx.Error($"begin has {begin.Length} and size {size.Length} entries, but the input has shape {x.Shape}.");
            var dims = new int[rank];
            var strides = StridedCopy.Strides(x.Shape.Dims);
            long start = 0;
            for (int i = 0; i < rank; i++)
            {
                long s = size[i] == -1 ? x.Shape[i] - begin[i] : size[i];
                if (begin[i] < 0 || s < 0 || begin[i] + s > x.Shape[i])
                    throw ctx.Error($"slice begin [{string.Join(", ", begin)}] size [{string.Join(", ", size)}] is out of bounds for shape {x.Shape} (dim {i}).");
                dims[i] = (int)s;
                start += begin[i] * strides[i];
            }
            var shape = new TensorShape(dims);
            if (shape == x.Shape)
            {
                ctx.SetOutput(0, x);
                return;
            }
            var o = ctx.AllocateOutput(0, x.DType, shape);
            StridedCopy.Run(x, start, strides, o, 0, StridedCopy.Strides(dims), dims);
        }));
        registry.Add("StridedSlice", node =>
        {
            var masks = new Masks(
                node.GetInt("begin_mask", 0), node.GetInt("end_mask", 0), node.GetInt("ellipsis_mask", 0),
                node.GetInt("new_axis_mask", 0), node.GetInt("shrink_axis_mask", 0));
            return new DelegateKernel(node, ctx =>
            {
                var x = ctx.Input(0);
                var spec = Resolve(ctx, x.Shape, IndexValues.Read(ctx, 1, "begin"), IndexValues.Read(ctx, 2, "end"), IndexValues.Read(ctx, 3, "strides"), masks);
                var o = ctx.AllocateOutput(0, x.DType, spec.FinalShape);
                StridedCopy.Run(x, spec.Start, spec.SourceStrides, o, 0, StridedCopy.Strides(spec.Box), spec.Box);
            });
        });
    }

    internal readonly record struct Masks(long Begin, long End, long Ellipsis, long NewAxis, long Shrink);

    internal sealed record SliceSpec(long Start, long[] SourceStrides, int[] Box, TensorShape FinalShape);

    /// <summary>Turns the sparse (begin, end, strides, masks) spec into a box over the input, as TF does.</summary>
    internal static SliceSpec Resolve(OpKernelContext ctx, TensorShape input, long[] begin, long[] end, long[] strides, Masks m)
    {
        if (begin.Length != end.Length || begin.Length != strides.Length)
            throw ctx.Error($"begin, end and strides must have the same length, got {begin.Length}, {end.Length}, {strides.Length}.");
        int sparseDims = begin.Length;
        long ellipsis = m.Ellipsis;
        if (System.Numerics.BitOperations.PopCount((ulong)ellipsis) > 1) throw ctx.Error("only one ellipsis is allowed.");
        if (ellipsis == 0)
        {
            ellipsis = 1L << sparseDims; // an implicit ellipsis after the last given dim
            sparseDims++;
        }
        int ellipsisAt = System.Numerics.BitOperations.TrailingZeroCount((ulong)ellipsis);
        int newAxesAfterEllipsis = 0;
        for (int i = ellipsisAt + 1; i < sparseDims; i++)
            if ((m.NewAxis & (1L << i)) != 0) newAxesAfterEllipsis++;

        int rank = input.Rank;
        var dBegin = new long[rank];
        var dEnd = new long[rank];
        var dStride = new long[rank];
        var dBeginMask = new bool[rank];
        var dEndMask = new bool[rank];
        var dShrink = new bool[rank];
        var gather = new List<int>();
        int full = 0;
        for (int i = 0; i < sparseDims; i++)
        {
            if ((ellipsis & (1L << i)) != 0)
            {
                int next = Math.Min(rank - (sparseDims - i) + 1 + newAxesAfterEllipsis, rank);
                for (; full < next; full++)
                {
                    dStride[full] = 1;
                    dBeginMask[full] = dEndMask[full] = true;
                    gather.Add(full);
                }
            }
            else if ((m.NewAxis & (1L << i)) != 0) gather.Add(NewAxis);
            else
            {
                if (full >= rank) throw ctx.Error($"index {i} of the slice spec is out of range for an input of shape {input}.");
                dBegin[full] = begin[i];
                dEnd[full] = end[i];
                dStride[full] = strides[i];
                dBeginMask[full] = (m.Begin & (1L << i)) != 0;
                dEndMask[full] = (m.End & (1L << i)) != 0;
                dShrink[full] = (m.Shrink & (1L << i)) != 0;
                gather.Add(dShrink[full] ? ShrinkAxis : full);
                full++;
            }
        }

        var inStrides = StridedCopy.Strides(input.Dims);
        var box = new int[rank];
        var srcStrides = new long[rank];
        long start = 0;
        for (int i = 0; i < rank; i++)
        {
            long dim = input[i], stride = dStride[i];
            if (stride == 0) throw ctx.Error($"stride of dim {i} is 0.");
            long b, e;
            if (dShrink[i])
            {
                b = dBegin[i] < 0 ? dim + dBegin[i] : dBegin[i];
                if (b < 0 || b >= dim) throw ctx.Error($"slice index {dBegin[i]} of dimension {i} is out of bounds for shape {input}.");
                box[i] = 1;
                srcStrides[i] = inStrides[i];
                start += b * inStrides[i];
                continue;
            }
            (long lo, long hi) = stride > 0 ? (0L, dim) : (-1L, dim - 1);
            b = Canonical(dBegin[i], dBeginMask[i], stride > 0 ? lo : hi, dim, lo, hi);
            e = Canonical(dEnd[i], dEndMask[i], stride > 0 ? hi : lo, dim, lo, hi);
            long len = e - b;
            long size = (stride > 0 ? len <= 0 : len >= 0) ? 0 : len / stride + (len % stride != 0 ? 1 : 0);
            box[i] = (int)size;
            srcStrides[i] = stride * inStrides[i];
            if (size > 0) start += b * inStrides[i];
        }
        var final = new List<int>();
        foreach (var g in gather)
        {
            if (g == NewAxis) final.Add(1);
            else if (g >= 0) final.Add(box[g]);
        }
        return new SliceSpec(start, srcStrides, box, new TensorShape([.. final]));
    }

    private static long Canonical(long x, bool masked, long maskedValue, long dim, long lo, long hi)
    {
        if (masked) return maskedValue;
        long fwd = x < 0 ? dim + x : x;
        return fwd < lo ? lo : Math.Min(fwd, hi);
    }
}
