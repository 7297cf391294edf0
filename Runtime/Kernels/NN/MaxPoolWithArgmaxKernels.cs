using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// <c>MaxPoolWithArgmax</c> and <c>MaxPoolGradWithArgmax</c> (TF's <c>core/kernels/maxpooling_op.cc</c>,
/// <c>SpatialMaxPoolWithArgMaxHelper</c>; SegNet-style unpooling, <c>tf.nn.max_pool_with_argmax</c>). NHWC input,
/// ksize/strides of 4 with 1 on batch and depth, SAME/VALID. Each output cell keeps the first maximum in row-major
/// window order (TF walks input cells in (h, w) order and replaces only when the running max is strictly smaller, the
/// first cell always taken); the argmax is the flattened index <c>(y·W + x)·C + c</c>, or
/// <c>((b·H + y)·W + x)·C + c</c> with <c>include_batch_in_index</c>. The gradient scatter-adds each output gradient to
/// its argmax cell (of its own batch element when the index excludes the batch). The real number types; argmax int64
/// (default) or int32.
/// </summary>
internal sealed class MaxPoolWithArgmaxKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MaxPoolWithArgmax", n => new Forward(n));
        registry.Add("MaxPoolGradWithArgmax", n => new Backward(n));
    }

    private readonly record struct Geometry(int N, int H, int W, int C, int KH, int KW, int SH, int SW, int OH, int OW, int PadTop, int PadLeft);

    private static Geometry MakeGeometry(OpKernelContext ctx, Node node, TensorShape input)
    {
        var ksize = node.GetInts("ksize");
        var strides = node.GetInts("strides");
        if (ksize.Length != 4) throw ctx.Error("Sliding window ksize field must specify 4 dimensions");
        if (strides.Length != 4) throw ctx.Error("Sliding window stride field must specify 4 dimensions");
        if (ksize[0] != 1 || strides[0] != 1) throw ctx.Error("Pooling is not yet supported on the batch dimension.");
        if (ksize[3] != 1 || strides[3] != 1) throw ctx.Error("MaxPoolWithArgmax pools over height and width only (ksize and strides must be 1 on depth).");
        foreach (var k in ksize) if (k <= 0) throw ctx.Error($"Sliding window ksize for dimension must be positive, got {k}");
        foreach (var s in strides) if (s <= 0) throw ctx.Error($"Sliding window strides must be positive, got {s}");
        var padding = KernelAttrs.PaddingOf(node);
        if (padding == PaddingKind.Explicit) throw ctx.Error("MaxPoolWithArgmax takes SAME or VALID padding.");
        if (input.Rank != 4) throw ctx.Error($"tensor_in must be 4-dimensional, got {input}");
        int top = 0, bottom = 0, left = 0, right = 0, oh, ow;
        try
        {
            oh = Padding.OutputSize(input[1], (int)ksize[1], 1, (int)strides[1], padding, ref top, ref bottom);
            ow = Padding.OutputSize(input[2], (int)ksize[2], 1, (int)strides[2], padding, ref left, ref right);
        }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
        return new Geometry(input[0], input[1], input[2], input[3], (int)ksize[1], (int)ksize[2], (int)strides[1], (int)strides[2], oh, ow, top, left);
    }

    private sealed class Forward(Node node) : NumericKernel(node)
    {
        private readonly bool _withBatch = node.GetBool("include_batch_in_index", false);
        private readonly DataType _argmaxType = node.GetType("Targmax", DataType.DtInt64);

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var x = ctx.Input(0);
            var g = MakeGeometry(ctx, Node, x.Shape);
            if (_argmaxType is not (DataType.DtInt32 or DataType.DtInt64)) throw ctx.Error($"Targmax must be int32 or int64, got {DataTypes.Name(_argmaxType)}");
            var outShape = new TensorShape(g.N, g.OH, g.OW, g.C);
            var y = ctx.AllocateOutput(0, x.DType, outShape).AsSpan<T>();
            var argmaxT = ctx.AllocateOutput(1, _argmaxType, outShape);
            var argmax = new long[y.Length];
            var xs = x.AsSpan<T>();
            int c = g.C;
            for (int b = 0, o = 0; b < g.N; b++)
                for (int oy = 0; oy < g.OH; oy++)
                    for (int ox = 0; ox < g.OW; ox++, o += c)
                    {
                        int y0 = oy * g.SH - g.PadTop, x0 = ox * g.SW - g.PadLeft;
                        for (int ch = 0; ch < c; ch++)
                        {
                            bool set = false;
                            T best = T.Zero;
                            long bestIndex = -1;
                            for (int iy = Math.Max(y0, 0); iy < Math.Min(y0 + g.KH, g.H); iy++)
                                for (int ix = Math.Max(x0, 0); ix < Math.Min(x0 + g.KW, g.W); ix++)
                                {
                                    long flat = ((long)(b * g.H + iy) * g.W + ix) * c + ch;
                                    T v = xs[(int)flat];
                                    if (!set || best < v)
                                    {
                                        best = v;
                                        bestIndex = _withBatch ? flat : ((long)iy * g.W + ix) * c + ch;
                                        set = true;
                                    }
                                }
                            // An empty window cannot occur with SAME/VALID; TF would leave lowest() and −1.
                            y[o + ch] = set ? best : T.MinValue;
                            argmax[o + ch] = bestIndex;
                        }
                    }
            if (_argmaxType == DataType.DtInt64) argmax.CopyTo(argmaxT.AsSpan<long>());
            else
            {
                var dst = argmaxT.AsSpan<int>();
                for (int i = 0; i < argmax.Length; i++) dst[i] = checked((int)argmax[i]);
            }
        }
    }

    private sealed class Backward(Node node) : NumericKernel(node)
    {
        private readonly bool _withBatch = node.GetBool("include_batch_in_index", false);

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var x = ctx.Input(0);
            var grad = ctx.Input(1);
            var g = MakeGeometry(ctx, Node, x.Shape);
            var outShape = new TensorShape(g.N, g.OH, g.OW, g.C);
            if (grad.Shape != outShape) throw ctx.Error($"Expected grad shape to be {outShape}, but got {grad.Shape}");
            if (ctx.Input(2).Shape != outShape) throw ctx.Error($"Expected argmax shape to be {outShape}, but got {ctx.Input(2).Shape}");
            if (grad.DType != x.DType) throw ctx.Error("input and grad must have one dtype");
            var argmax = Exec.IndexValues.Read(ctx, 2, "argmax");
            var dx = ctx.AllocateOutput(0, x.DType, x.Shape).AsSpan<T>();
            dx.Clear();
            var gs = grad.AsSpan<T>();
            long perImage = (long)g.H * g.W * g.C, outPerImage = (long)g.OH * g.OW * g.C;
            for (int i = 0; i < gs.Length; i++)
            {
                long index = argmax[i] + (_withBatch ? 0 : i / outPerImage * perImage);
                long lo = _withBatch ? 0 : i / outPerImage * perImage, hi = _withBatch ? x.NumElements : lo + perImage;
                if (index < lo || index >= hi)
                    throw ctx.Error($"Invalid argmax {argmax[i]} at index {i}: outside the input{(_withBatch ? "" : "'s image")} ({(hi - lo)} elements)");
                dx[(int)index] += gs[i];
            }
        }
    }
}
