using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Data re-layout: Transpose, Tile, Pad, PadV2, MirrorPad.</summary>
internal sealed class LayoutKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Transpose", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            var perm = IndexValues.Read(ctx, 1, "perm");
            int rank = x.Shape.Rank;
            if (perm.Length != rank) throw ctx.Error($"perm has {perm.Length} entries but the input has shape {x.Shape}.");
            var seen = new bool[rank];
            var inStrides = StridedCopy.Strides(x.Shape.Dims);
            var dims = new int[rank];
            var srcStrides = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                long p = perm[i];
                if (p < 0 || p >= rank || seen[p]) throw ctx.Error($"perm [{string.Join(", ", perm)}] is not a permutation of 0..{rank - 1}.");
                seen[p] = true;
                dims[i] = x.Shape[(int)p];
                srcStrides[i] = inStrides[p];
            }
            // As TF's TransposeOp (transpose_op.cc): 0-D, 1-D and identity transposes hand back the input, and a permutation
            // that keeps every non-size-1 dim in order (NonSingletonDimensionsAlign — dynamic_rnn's batch-major to
            // time-major transpose at batch 1) is a reshape of it, with no copy.
            bool identity = true, aligned = true;
            long lastMoved = -1;
            for (int i = 0; i < rank; i++)
            {
                if (perm[i] != i) identity = false;
                if (x.Shape[(int)perm[i]] == 1) continue;
                if (perm[i] < lastMoved) aligned = false;
                lastMoved = perm[i];
            }
            if (rank <= 1 || identity)
            {
                ctx.SetOutput(0, x);
                return;
            }
            if (aligned)
            {
                ctx.SetOutput(0, x.Reshape(new TensorShape(dims)));
                return;
            }
            var o = ctx.AllocateOutput(0, x.DType, new TensorShape(dims));
            StridedCopy.Run(x, 0, srcStrides, o, 0, StridedCopy.Strides(dims), dims);
        }));
        registry.Add("Tile", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            var m = IndexValues.Read(ctx, 1, "multiples");
            int rank = x.Shape.Rank;
            if (m.Length != rank) throw ctx.Error($"multiples has {m.Length} entries but the input has shape {x.Shape}.");
            var dims = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (m[i] < 0) throw ctx.Error($"multiples [{string.Join(", ", m)}] has a negative entry.");
                dims[i] = checked((int)(x.Shape[i] * m[i]));
            }
            var o = ctx.AllocateOutput(0, x.DType, new TensorShape(dims));
            if (o.NumElements == 0) return;
            var dstStrides = StridedCopy.Strides(dims);
            // The input once at tile position 0, then, innermost axis first, each filled block replicated along its
            // axis: every output element is written once, in contiguous runs (one box copy per tile position was one
            // call per element when the input is small, e.g. the gradient of a full reduction).
            StridedCopy.Run(x, 0, StridedCopy.Strides(x.Shape.Dims), o, 0, dstStrides, x.Shape.Dims);
            long outer = x.NumElements;
            for (int axis = rank - 1; axis >= 0; axis--)
            {
                outer /= Math.Max(1, x.Shape[axis]);
                if (m[axis] == 1) continue;
                // Block (o0, axis): the input's extent on `axis` × the already tiled inner axes — contiguous in o.
                long block = x.Shape[axis] * dstStrides[axis];
                for (long o0 = 0; o0 < outer; o0++)
                {
                    // Outer index o0 over the input's extents of axes < axis, placed at tile position 0 in o.
                    long start = 0, rest = o0;
                    for (int j = axis - 1; j >= 0; j--)
                    {
                        start += rest % x.Shape[j] * dstStrides[j];
                        rest /= x.Shape[j];
                    }
                    for (long t = 1; t < m[axis]; t++) CopyWithin(o, start, start + t * block, block);
                }
            }
        }));
        registry.Add("Pad", node => new DelegateKernel(node, ctx => Pad(ctx, null)));
        registry.Add("PadV2", node => new DelegateKernel(node, ctx => Pad(ctx, ctx.Input(2))));
        registry.Add("MirrorPad", node =>
        {
            var mode = node.GetString("mode");
            if (mode is not ("REFLECT" or "SYMMETRIC")) throw new GraphFormatException($"MirrorPad node '{node.Name}': unknown mode '{mode}'.");
            int shift = mode == "REFLECT" ? 1 : 0;
            return new DelegateKernel(node, ctx => MirrorPad(ctx, shift));
        });
    }

    /// <summary>Copies <paramref name="count"/> elements of <paramref name="t"/> from <paramref name="from"/> to a
    /// non-overlapping <paramref name="to"/>.</summary>
    private static void CopyWithin(Tensor t, long from, long to, long count)
    {
        if (t.DType == DataType.DtString)
        {
            Array.Copy(t.Strings, from, t.Strings, to, count);
            return;
        }
        int size = DataTypes.ElementSize(t.DType);
        var bytes = t.Bytes;
        bytes.Slice(checked((int)(from * size)), checked((int)(count * size))).CopyTo(bytes.Slice(checked((int)(to * size))));
    }

    private static (int[] Dims, long[,] Pads) Paddings(OpKernelContext ctx, Tensor x)
    {
        var p = IndexValues.Read(ctx, 1, "paddings");
        int rank = x.Shape.Rank;
        if (p.Length != 2 * rank) throw ctx.Error($"paddings must have shape [{rank}, 2], got {ctx.Input(1).Shape}.");
        var pads = new long[rank, 2];
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            pads[i, 0] = p[2 * i];
            pads[i, 1] = p[2 * i + 1];
            if (pads[i, 0] < 0 || pads[i, 1] < 0) throw ctx.Error($"paddings [{string.Join(", ", p)}] has a negative entry.");
            dims[i] = checked((int)(x.Shape[i] + pads[i, 0] + pads[i, 1]));
        }
        return (dims, pads);
    }

    private static void Pad(OpKernelContext ctx, Tensor? constant)
    {
        var x = ctx.Input(0);
        var (dims, pads) = Paddings(ctx, x);
        var o = ctx.AllocateOutput(0, x.DType, new TensorShape(dims));
        if (constant != null)
        {
            if (constant.DType != x.DType || constant.NumElements != 1) throw ctx.Error($"constant_values must be a {DataTypes.Name(x.DType)} scalar.");
            ScalarValues.Fill(o, constant);
        }
        else if (x.DType == DataType.DtString) Array.Fill(o.Strings, []);
        else o.Bytes.Clear();
        var dstStrides = StridedCopy.Strides(dims);
        long dstBase = 0;
        for (int i = 0; i < dims.Length; i++) dstBase += pads[i, 0] * dstStrides[i];
        StridedCopy.Run(x, 0, StridedCopy.Strides(x.Shape.Dims), o, dstBase, dstStrides, x.Shape.Dims);
    }

    /// <summary>REFLECT (shift 1) mirrors without the edge, SYMMETRIC (shift 0) with it — element by element.</summary>
    private static void MirrorPad(OpKernelContext ctx, int shift)
    {
        var x = ctx.Input(0);
        var (dims, pads) = Paddings(ctx, x);
        int rank = dims.Length;
        for (int i = 0; i < rank; i++)
            if (pads[i, 0] > x.Shape[i] - shift || pads[i, 1] > x.Shape[i] - shift)
                throw ctx.Error($"paddings must be at most {(shift == 1 ? "dim - 1" : "dim")} for MirrorPad, got shape {x.Shape}.");
        var o = ctx.AllocateOutput(0, x.DType, new TensorShape(dims));
        var srcStrides = StridedCopy.Strides(x.Shape.Dims);
        var one = new int[rank];
        Array.Fill(one, 1);
        var idx = new int[rank];
        long n = o.NumElements;
        for (long flat = 0; flat < n; flat++)
        {
            long src = 0;
            for (int i = 0; i < rank; i++)
            {
                long p = idx[i] - pads[i, 0];
                int d = x.Shape[i];
                if (p < 0) p = -p - 1 + shift;
                else if (p >= d) p = 2 * d - p - 1 - shift;
                src += p * srcStrides[i];
            }
            StridedCopy.Run(x, src, srcStrides, o, flat, srcStrides, one);
            for (int k = rank - 1; k >= 0 && ++idx[k] == dims[k]; k--) idx[k] = 0;
        }
    }
}
