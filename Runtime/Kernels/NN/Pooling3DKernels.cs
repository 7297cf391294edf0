using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// <c>MaxPool3D</c>, <c>AvgPool3D</c>, their gradients <c>MaxPool3DGrad</c>, <c>AvgPool3DGrad</c> and <c>MaxPool3DGradGrad</c> — TF's
/// <c>core/kernels/pooling_ops_3d.cc</c> on CPU (NDHWC; ksize/strides of 5 with 1 on batch and depth; SAME/VALID as
/// <c>Get3dOutputSizeV2</c>). The window of an output cell is clipped to the input (TF's <c>GetBroadcastSize</c>):
/// MaxPool3D takes the max of the cells inside, AvgPool3D their mean (padding cells are not counted). The gradients
/// follow TF's CPU launchers exactly: <c>LaunchAvgPooling3dGradOp</c> spreads each gradient over the clipped window
/// divided by its size; <c>LaunchMaxPooling3dGradOp</c> gives the gradient to <em>every</em> cell of the clipped window
/// with <c>|in − out| &lt; 1e-5</c> (ties and near-ties all receive it, unlike 2-D MaxPoolGrad's single argmax);
/// <c>MaxPool3DGradGrad</c> as <c>LaunchMaxPooling3dGradGradOp</c> (only the first exactly equal cell counts).
/// float, double and half (half computed in double).
/// </summary>
internal sealed class Pooling3DKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MaxPool3D", node => Create(node, Op.Max));
        registry.Add("AvgPool3D", node => Create(node, Op.Avg));
        registry.Add("MaxPool3DGrad", node => Create(node, Op.MaxGrad));
        registry.Add("AvgPool3DGrad", node => Create(node, Op.AvgGrad));
        registry.Add("MaxPool3DGradGrad", node => Create(node, Op.MaxGradGrad));
    }

    private enum Op { Max, Avg, MaxGrad, AvgGrad, MaxGradGrad }

    private readonly record struct Window(int N, int D, int H, int W, int C, int KD, int KH, int KW, int SD, int SH, int SW,
        int OD, int OH, int OW, int PD, int PH, int PW)
    {
        // The clipped window of output cell (od, oh, ow): [start, end) per spatial dim.
        public (int D0, int D1, int H0, int H1, int W0, int W1) Cells(int od, int oh, int ow)
        {
            int d0 = od * SD - PD, h0 = oh * SH - PH, w0 = ow * SW - PW;
            return (Math.Max(d0, 0), Math.Min(d0 + KD, D), Math.Max(h0, 0), Math.Min(h0 + KH, H), Math.Max(w0, 0), Math.Min(w0 + KW, W));
        }
    }

    private static OpKernel Create(Node node, Op op) => new DelegateKernel(node, ctx =>
    {
        string format = node.GetString("data_format", "NDHWC");
        if (format is not ("NDHWC" or "NCDHW")) throw ctx.Error("Invalid data format");
        string opName = op switch { Op.MaxGrad => "MaxPooling3dGradOp", Op.AvgGrad => "AvgPooling3dGradOp", Op.MaxGradGrad => "MaxPooling3dGradGradOp", _ => "Pooling3DOp" };
        if (format == "NCDHW") throw ctx.Error($"Default {opName} only supports NDHWC on device type CPU");
        var ksize = node.GetInts("ksize");
        if (ksize.Length != 5) throw ctx.Error("Sliding window ksize field must specify 5 dimensions");
        foreach (var k in ksize) if (k <= 0) throw ctx.Error($"ksize must be positive, got: {k}");
        var strides = node.GetInts("strides");
        if (strides.Length != 5) throw ctx.Error("Sliding window stride field must specify 5 dimensions");
        foreach (var s in strides) if (s <= 0) throw ctx.Error($"strides must be positive, got: {s}");
        if (ksize[0] != 1 || strides[0] != 1) throw ctx.Error("Pooling is not yet supported on the batch dimension.");
        if (ksize[4] != 1 || strides[4] != 1) throw ctx.Error("Pooling is not yet supported on the depth dimension.");
        var padding = KernelAttrs.PaddingOf(node);
        if (padding == PaddingKind.Explicit) throw ctx.Error("3-D pooling takes SAME or VALID padding.");

        int[] inShape;
        if (op == Op.AvgGrad)
        {
            var shapeT = ctx.Input(0);
            if (shapeT.Shape.Rank != 1 || shapeT.NumElements != 5) throw ctx.Error("tensor_in must be 1-dimensional and 5 elements");
            var v = IndexValues.Read(ctx, 0, "orig_input_shape");
            inShape = new int[5];
            for (int i = 0; i < 5; i++) inShape[i] = v[i] is >= 0 and <= int.MaxValue ? (int)v[i] : throw ctx.Error($"orig_input_shape[{i}] = {v[i]} is not a valid dimension");
        }
        else
        {
            inShape = ctx.Input(0).Shape.ToArray();
            if (inShape.Length != 5) throw ctx.Error(op == Op.MaxGrad ? "tensor_in must be 5-dimensional" : "tensor_in must be 5-dimensional");
        }

        var outDims = new int[3];
        var pads = new int[3];
        for (int d = 0; d < 3; d++)
        {
            int before = 0, after = 0;
            try { outDims[d] = Padding.OutputSize(inShape[d + 1], (int)ksize[d + 1], 1, (int)strides[d + 1], padding, ref before, ref after); }
            catch (ArgumentException e) { throw ctx.Error(e.Message); }
            pads[d] = before;
        }
        var w = new Window(inShape[0], inShape[1], inShape[2], inShape[3], inShape[4], (int)ksize[1], (int)ksize[2], (int)ksize[3],
            (int)strides[1], (int)strides[2], (int)strides[3], outDims[0], outDims[1], outDims[2], pads[0], pads[1], pads[2]);
        var outShape = new TensorShape(w.N, w.OD, w.OH, w.OW, w.C);

        var data = op switch { Op.MaxGrad or Op.MaxGradGrad => ctx.Input(2), Op.AvgGrad => ctx.Input(1), _ => ctx.Input(0) };
        var dtype = data.DType;
        if (dtype is not (DataType.DtFloat or DataType.DtDouble or DataType.DtHalf)) throw KernelAttrs.BadType(node, dtype);

        switch (op)
        {
            case Op.Max:
            case Op.Avg:
            {
                var x = Read(ctx.Input(0));
                var y = new double[outShape.NumElements];
                Pool(w, x, y, op == Op.Max);
                Write(y, ctx.AllocateOutput(0, dtype, outShape));
                break;
            }
            case Op.MaxGrad:
            {
                if (ctx.Input(1).Shape.Rank != 5) throw ctx.Error("tensor_out must be 5-dimensional");
                if (ctx.Input(2).Shape.Rank != 5) throw ctx.Error("out_backprop must be 5-dimensional");
                if (ctx.Input(1).Shape != outShape) throw ctx.Error($"Expected orig_output shape to be {outShape}, but got {ctx.Input(1).Shape}");
                if (ctx.Input(2).Shape != outShape) throw ctx.Error($"Expected grad shape to be {outShape}, but got {ctx.Input(2).Shape}");
                var dx = new double[ctx.Input(0).NumElements];
                MaxGrad(w, Read(ctx.Input(0)), Read(ctx.Input(1)), Read(ctx.Input(2)), dx, dtype == DataType.DtHalf ? (double)(Half)1e-5 : dtype == DataType.DtFloat ? (double)1e-5f : 1e-5);
                Write(dx, ctx.AllocateOutput(0, dtype, ctx.Input(0).Shape));
                break;
            }
            case Op.MaxGradGrad:
            {
                // pooling_ops_3d.cc MaxPooling3dGradGradOp::Compute's checks, then its CPU launcher.
                Tensor x = ctx.Input(0), y = ctx.Input(1), gg = ctx.Input(2);
                if (y.Shape.Rank != 5) throw ctx.Error("tensor_out must be 5-dimensional");
                if (gg.Shape.Rank != 5) throw ctx.Error("out_grad_backprop must be 5-dimensional");
                if (y.Shape != outShape) throw ctx.Error($"Expected orig_output shape to be {outShape}, but got {y.Shape}");
                if (gg.Shape != x.Shape) throw ctx.Error($"Expected grad shape to be {x.Shape}, but got {gg.Shape}");
                if (x.NumElements == 0 || y.NumElements == 0) throw ctx.Error("received empty tensor tensor_in or tensor_out");
                if (x.DType != dtype || y.DType != dtype) throw KernelAttrs.BadType(node, x.DType == dtype ? y.DType : x.DType);
                var ddy = new double[y.NumElements];
                MaxGradGrad(w, Read(x), Read(y), Read(gg), ddy);
                Write(ddy, ctx.AllocateOutput(0, dtype, outShape));
                break;
            }
            default:
            {
                var dy = ctx.Input(1);
                if (dy.Shape.Rank != 5) throw ctx.Error("out_backprop must be 5-dimensional");
                if (inShape[0] != dy.Shape[0])
                    throw ctx.Error($"Expected first dimension of tensor_in_shape and out_backprop to match, got {inShape[0]} and {dy.Shape[0]}");
                if (inShape[4] != dy.Shape[4])
                    throw ctx.Error($"Expected last dimension of tensor_in_shape and out_backprop to match, got {inShape[4]} and {dy.Shape[4]}");
                if (dy.Shape != outShape) throw ctx.Error($"Expected grad shape to be {outShape}, but got {dy.Shape}");
                var dx = new double[new TensorShape(inShape).NumElements];
                AvgGrad(w, Read(dy), dx);
                Write(dx, ctx.AllocateOutput(0, dtype, new TensorShape(inShape)));
                break;
            }
        }
    });

    private static void Pool(in Window w, double[] x, double[] y, bool max)
    {
        int c = w.C;
        for (int b = 0, o = 0; b < w.N; b++)
            for (int od = 0; od < w.OD; od++)
                for (int oh = 0; oh < w.OH; oh++)
                    for (int ow = 0; ow < w.OW; ow++, o += c)
                    {
                        var (d0, d1, h0, h1, w0, w1) = w.Cells(od, oh, ow);
                        var acc = y.AsSpan(o, c);
                        acc.Fill(max ? double.NegativeInfinity : 0);
                        for (int d = d0; d < d1; d++)
                            for (int h = h0; h < h1; h++)
                                for (int ww = w0; ww < w1; ww++)
                                {
                                    var src = x.AsSpan(((((b * w.D) + d) * w.H + h) * w.W + ww) * c, c);
                                    // "v > acc" skips NaN cells (how Eigen's CuboidMaxPooling reducer treats NaN is not verified).
                                    if (max) for (int i = 0; i < c; i++) { if (src[i] > acc[i]) acc[i] = src[i]; }
                                    else for (int i = 0; i < c; i++) acc[i] += src[i];
                                }
                        if (!max)
                        {
                            double count = (double)(d1 - d0) * (h1 - h0) * (w1 - w0);
                            for (int i = 0; i < c; i++) acc[i] /= count;
                        }
                    }
    }

    private static void MaxGrad(in Window w, double[] x, double[] y, double[] dy, double[] dx, double tolerance)
    {
        int c = w.C;
        foreach (var (b, o, (d0, d1, h0, h1, w0, w1)) in OutputCells(w))
            for (int d = d0; d < d1; d++)
                for (int h = h0; h < h1; h++)
                    for (int ww = w0; ww < w1; ww++)
                    {
                        int at = ((((b * w.D) + d) * w.H + h) * w.W + ww) * c;
                        for (int i = 0; i < c; i++)
                            if (Math.Abs(x[at + i] - y[o + i]) < tolerance) dx[at + i] += dy[o + i];
                    }
    }

    // LaunchMaxPooling3dGradGradOp (CPU): each output cell takes the gradient at the first window cell (plane, row, col
    // order) whose input equals the pooled output exactly; 0 when none does (a NaN output, say).
    private static void MaxGradGrad(in Window w, double[] x, double[] y, double[] gg, double[] ddy)
    {
        int c = w.C;
        foreach (var (b, o, (d0, d1, h0, h1, w0, w1)) in OutputCells(w))
            for (int i = 0; i < c; i++)
            {
                bool found = false;
                for (int d = d0; d < d1 && !found; d++)
                    for (int h = h0; h < h1 && !found; h++)
                        for (int ww = w0; ww < w1 && !found; ww++)
                        {
                            int at = ((((b * w.D) + d) * w.H + h) * w.W + ww) * c + i;
                            if (x[at] == y[o + i]) { ddy[o + i] = gg[at]; found = true; }
                        }
            }
    }

    private static void AvgGrad(in Window w, double[] dy, double[] dx)
    {
        int c = w.C;
        foreach (var (b, o, (d0, d1, h0, h1, w0, w1)) in OutputCells(w))
        {
            double count = (double)(d1 - d0) * (h1 - h0) * (w1 - w0);
            for (int d = d0; d < d1; d++)
                for (int h = h0; h < h1; h++)
                    for (int ww = w0; ww < w1; ww++)
                    {
                        int at = ((((b * w.D) + d) * w.H + h) * w.W + ww) * c;
                        for (int i = 0; i < c; i++) dx[at + i] += dy[o + i] / count;
                    }
        }
    }

    // Every output cell of the plan in row-major order: its batch, its flat offset (a multiple of C) and its clipped
    // window. The gradient kernels walk these; the forward Pool keeps its own loop (no iterator on the inference path).
    private static IEnumerable<(int B, int O, (int D0, int D1, int H0, int H1, int W0, int W1) Cells)> OutputCells(Window w)
    {
        for (int b = 0, o = 0; b < w.N; b++)
            for (int od = 0; od < w.OD; od++)
                for (int oh = 0; oh < w.OH; oh++)
                    for (int ow = 0; ow < w.OW; ow++, o += w.C)
                        yield return (b, o, w.Cells(od, oh, ow));
    }

    private static double[] Read(Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtDouble: return t.ToArray<double>();
            case DataType.DtFloat:
            {
                var s = t.AsSpan<float>();
                var r = new double[s.Length];
                for (int i = 0; i < r.Length; i++) r[i] = s[i];
                return r;
            }
            default:
            {
                var s = t.AsSpan<Half>();
                var r = new double[s.Length];
                for (int i = 0; i < r.Length; i++) r[i] = (double)s[i];
                return r;
            }
        }
    }

    private static void Write(double[] v, Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtDouble: v.CopyTo(t.AsSpan<double>()); break;
            case DataType.DtFloat: { var s = t.AsSpan<float>(); for (int i = 0; i < v.Length; i++) s[i] = (float)v[i]; break; }
            default: { var s = t.AsSpan<Half>(); for (int i = 0; i < v.Length; i++) s[i] = (Half)v[i]; break; }
        }
    }
}
