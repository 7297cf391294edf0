using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// <c>Conv3D</c> and its gradients <c>Conv3DBackpropInputV2</c> / <c>Conv3DBackpropFilterV2</c> (what nn_grad.py's
/// <c>_Conv3DGrad</c> emits) plus the V1 forms that take the input / filter tensor instead of its shape (TF ≤ 1.0
/// graphs) — TF's <c>core/kernels/conv_ops_3d.cc</c> (<c>Conv3DOp</c>) and <c>conv_grad_ops_3d.cc</c>. Input
/// <c>[N, D, H, W, C]</c> (NDHWC), filter <c>[kd, kh, kw, C, OC]</c>, SAME/VALID padding with TF's windowed-output
/// arithmetic per spatial dim (<c>Get3dOutputSizeV2</c>: SAME puts the odd padding cell at the end).
/// <para>Computed as im2col patches (rows = output positions, columns = <c>(kd, kh, kw, c)</c>, the filter's own
/// flattening) times the filter as a <c>[kd·kh·kw·C, OC]</c> matrix through the GEMM; the backprops are the
/// transposed products (<c>dpatches = dy · Fᵀ</c> scattered back, <c>dF = patchesᵀ · dy</c>). float and double; half
/// is computed in float. TF's CPU kernels refuse NCDHW and dilations other than 1; dilations are supported here (TF's
/// GPU kernels take them: a graph exported there runs), NCDHW is refused with TF's text.</para>
/// </summary>
internal sealed class Conv3DKernels : KernelSet
{
    // Patch rows gathered per GEMM call, bounded so a video-sized input never materializes all patches at once.
    private const int MaxPatchElements = 1 << 20;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Conv3D", node => Create(node, Kind.Forward, shapeInput: false));
        registry.Add("Conv3DBackpropInputV2", node => Create(node, Kind.Input, shapeInput: true));
        registry.Add("Conv3DBackpropInput", node => Create(node, Kind.Input, shapeInput: false));
        registry.Add("Conv3DBackpropFilterV2", node => Create(node, Kind.Filter, shapeInput: true));
        registry.Add("Conv3DBackpropFilter", node => Create(node, Kind.Filter, shapeInput: false));
    }

    private enum Kind { Forward, Input, Filter }

    /// <summary>One batch element's geometry (NDHWC), shared by the three ops.</summary>
    internal readonly record struct Geometry(int N, int D, int H, int W, int C, int KD, int KH, int KW, int OC, int OD, int OH, int OW,
        int PadD, int PadH, int PadW, int SD, int SH, int SW, int DD, int DH, int DW)
    {
        public int PatchLength => KD * KH * KW * C;
        public int OutPositions => OD * OH * OW;
        public int InLength => D * H * W * C;
    }

    private static OpKernel Create(Node node, Kind kind, bool shapeInput) => new DelegateKernel(node, ctx =>
    {
        string format = node.GetString("data_format", "NDHWC");
        if (format is not ("NDHWC" or "NCDHW")) throw ctx.Error("Invalid data format");
        if (format == "NCDHW")
            throw ctx.Error(kind == Kind.Forward ? "CPU implementation of Conv3D currently only supports the NHWC tensor format."
                : $"{node.Op}: only NDHWC data_format is supported on CPU (as TF's CPU kernels).");
        var strides = node.GetInts("strides");
        if (strides.Length != 5) throw ctx.Error("Sliding window strides field must specify 5 dimensions");
        if (strides[0] != 1 || strides[4] != 1) throw ctx.Error("Current implementation does not yet support strides in the batch and depth dimensions.");
        if (strides[1] <= 0 || strides[2] <= 0 || strides[3] <= 0) throw ctx.Error("Spatial strides should be larger than 0.");
        var dilations = node.GetInts("dilations", [1, 1, 1, 1, 1]);
        if (dilations.Length != 5) throw ctx.Error("Dilation rates field must specify 5 dimensions");
        if (dilations[0] != 1 || dilations[4] != 1) throw ctx.Error("Current implementation does not yet support dilation rates in the batch and depth dimensions.");
        if (dilations[1] <= 0 || dilations[2] <= 0 || dilations[3] <= 0) throw ctx.Error("Dilated rates should be larger than 0.");
        var padding = KernelAttrs.PaddingOf(node);
        if (padding == PaddingKind.Explicit) throw ctx.Error("Conv3D does not take EXPLICIT padding (SAME or VALID).");

        // Inputs: Conv3D (input, filter); backprop input (input_sizes | input, filter, out_backprop);
        // backprop filter (input, filter_sizes | filter, out_backprop).
        Tensor dataRef = kind == Kind.Forward ? ctx.Input(1) : ctx.Input(2);
        var dtype = dataRef.DType;
        if (dtype is not (DataType.DtFloat or DataType.DtDouble or DataType.DtHalf)) throw KernelAttrs.BadType(node, dtype);
        int[] inShape = kind == Kind.Input ? ShapeArg(ctx, 0, shapeInput, "input_sizes") : ctx.Input(0).Shape.ToArray();
        int[] fShape = kind == Kind.Filter ? ShapeArg(ctx, 1, shapeInput, "filter_sizes") : ctx.Input(1).Shape.ToArray();
        if (inShape.Length != 5) throw ctx.Error("input must be 5-dimensional");
        if (fShape.Length != 5) throw ctx.Error("filter must be 5-dimensional");
        if (inShape[4] != fShape[3]) throw ctx.Error($"input and filter must have the same depth: {inShape[4]} vs {fShape[3]}");

        var g = MakeGeometry(ctx, inShape, fShape, strides, dilations, padding);
        int[] outShape = [g.N, g.OD, g.OH, g.OW, g.OC];
        if (kind != Kind.Forward)
        {
            var dy = ctx.Input(2).Shape;
            if (!dy.Dims.SequenceEqual(outShape))
                throw ctx.Error($"Size of out_backprop doesn't match computed: actual = {dy}, computed = [{string.Join(", ", outShape)}]");
        }

        switch (kind)
        {
            case Kind.Forward:
            {
                var y = ctx.AllocateOutput(0, dtype, new TensorShape(outShape));
                if (y.NumElements == 0) return;
                if (dtype == DataType.DtDouble) Forward<double>(g, ctx.Input(0).AsSpan<double>(), ctx.Input(1).AsSpan<double>(), y.AsSpan<double>());
                else if (dtype == DataType.DtFloat) Forward<float>(g, ctx.Input(0).AsSpan<float>(), ctx.Input(1).AsSpan<float>(), y.AsSpan<float>());
                else
                {
                    var r = new float[y.NumElements];
                    Forward<float>(g, Widen(ctx.Input(0)), Widen(ctx.Input(1)), r);
                    Narrow(r, y);
                }
                break;
            }
            case Kind.Input:
            {
                var dx = ctx.AllocateOutput(0, dtype, new TensorShape(inShape));
                if (dx.NumElements == 0) return;
                if (dtype == DataType.DtDouble) BackpropInput<double>(g, ctx.Input(1).AsSpan<double>(), ctx.Input(2).AsSpan<double>(), dx.AsSpan<double>());
                else if (dtype == DataType.DtFloat) BackpropInput<float>(g, ctx.Input(1).AsSpan<float>(), ctx.Input(2).AsSpan<float>(), dx.AsSpan<float>());
                else
                {
                    var r = new float[dx.NumElements];
                    BackpropInput<float>(g, Widen(ctx.Input(1)), Widen(ctx.Input(2)), r);
                    Narrow(r, dx);
                }
                break;
            }
            default:
            {
                var df = ctx.AllocateOutput(0, dtype, new TensorShape(fShape));
                if (df.NumElements == 0) return;
                if (dtype == DataType.DtDouble) BackpropFilter<double>(g, ctx.Input(0).AsSpan<double>(), ctx.Input(2).AsSpan<double>(), df.AsSpan<double>());
                else if (dtype == DataType.DtFloat) BackpropFilter<float>(g, ctx.Input(0).AsSpan<float>(), ctx.Input(2).AsSpan<float>(), df.AsSpan<float>());
                else
                {
                    var r = new float[df.NumElements];
                    BackpropFilter<float>(g, Widen(ctx.Input(0)), Widen(ctx.Input(2)), r);
                    Narrow(r, df);
                }
                break;
            }
        }
    });

    // V2 ops carry the shape as an int32 vector (TF's tensor::MakeShape); V1 ops carry the tensor itself.
    private static int[] ShapeArg(OpKernelContext ctx, int input, bool isShape, string what)
    {
        if (!isShape) return ctx.Input(input).Shape.ToArray();
        if (ctx.Input(input).Shape.Rank != 1) throw ctx.Error($"{what} must be a vector, got shape {ctx.Input(input).Shape}");
        var v = IndexValues.Read(ctx, input, what);
        var dims = new int[v.Length];
        for (int i = 0; i < v.Length; i++)
            dims[i] = v[i] is >= 0 and <= int.MaxValue ? (int)v[i] : throw ctx.Error($"{what}[{i}] = {v[i]} is not a valid dimension");
        return dims;
    }

    private static Geometry MakeGeometry(OpKernelContext ctx, int[] x, int[] f, long[] strides, long[] dilations, PaddingKind padding)
    {
        var outDims = new int[3];
        var pads = new int[3];
        for (int d = 0; d < 3; d++)
        {
            int before = 0, after = 0;
            try { outDims[d] = Padding.OutputSize(x[d + 1], f[d], (int)dilations[d + 1], (int)strides[d + 1], padding, ref before, ref after); }
            catch (ArgumentException e) { throw ctx.Error(e.Message); }
            pads[d] = before;
        }
        return new Geometry(x[0], x[1], x[2], x[3], x[4], f[0], f[1], f[2], f[4], outDims[0], outDims[1], outDims[2],
            pads[0], pads[1], pads[2], (int)strides[1], (int)strides[2], (int)strides[3], (int)dilations[1], (int)dilations[2], (int)dilations[3]);
    }

    private static float[] Widen(Tensor t)
    {
        var src = t.AsSpan<Half>();
        var r = new float[src.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (float)src[i];
        return r;
    }

    private static void Narrow(float[] values, Tensor t)
    {
        var dst = t.AsSpan<Half>();
        for (int i = 0; i < values.Length; i++) dst[i] = (Half)values[i];
    }

    private static int ChunkRows(in Geometry g) => Math.Max(1, Math.Min(g.OutPositions, MaxPatchElements / Math.Max(1, g.PatchLength)));

    internal static void Forward<T>(in Geometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> f, Span<T> y) where T : unmanaged, System.Numerics.INumber<T>
    {
        int k = g.PatchLength, rows = ChunkRows(g);
        var cols = new T[rows * k];
        for (int b = 0; b < g.N; b++)
        {
            var xb = x.Slice(b * g.InLength, g.InLength);
            for (int r0 = 0; r0 < g.OutPositions; r0 += rows)
            {
                int m = Math.Min(rows, g.OutPositions - r0);
                Im2Col(g, xb, r0, m, cols);
                MatMul(false, false, m, g.OC, k, cols, f, y.Slice((b * g.OutPositions + r0) * g.OC, m * g.OC), accumulate: false);
            }
        }
    }

    internal static void BackpropInput<T>(in Geometry g, ReadOnlySpan<T> f, ReadOnlySpan<T> dy, Span<T> dx) where T : unmanaged, System.Numerics.INumber<T>
    {
        int k = g.PatchLength, rows = ChunkRows(g);
        var cols = new T[rows * k];
        dx.Clear();
        for (int b = 0; b < g.N; b++)
        {
            var dxb = dx.Slice(b * g.InLength, g.InLength);
            for (int r0 = 0; r0 < g.OutPositions; r0 += rows)
            {
                int m = Math.Min(rows, g.OutPositions - r0);
                // dpatches[m, k] = dy[m, OC] · F[k, OC]ᵀ, then every patch element adds back to the input cell it came from.
                MatMul(false, true, m, k, g.OC, dy.Slice((b * g.OutPositions + r0) * g.OC, m * g.OC), f, cols, accumulate: false);
                Col2Im(g, cols, r0, m, dxb);
            }
        }
    }

    internal static void BackpropFilter<T>(in Geometry g, ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> df) where T : unmanaged, System.Numerics.INumber<T>
    {
        int k = g.PatchLength, rows = ChunkRows(g);
        var cols = new T[rows * k];
        df.Clear();
        for (int b = 0; b < g.N; b++)
        {
            var xb = x.Slice(b * g.InLength, g.InLength);
            for (int r0 = 0; r0 < g.OutPositions; r0 += rows)
            {
                int m = Math.Min(rows, g.OutPositions - r0);
                Im2Col(g, xb, r0, m, cols);
                // dF[k, OC] += patches[m, k]ᵀ · dy[m, OC].
                MatMul(true, false, k, g.OC, m, cols, dy.Slice((b * g.OutPositions + r0) * g.OC, m * g.OC), df, accumulate: true);
            }
        }
    }

    // Rows r0 … r0+m of one batch element's patch matrix; cells in the padding are zero.
    private static void Im2Col<T>(in Geometry g, ReadOnlySpan<T> x, int r0, int m, Span<T> cols) where T : unmanaged, System.Numerics.INumber<T>
    {
        int k = g.PatchLength, c = g.C;
        for (int r = 0; r < m; r++)
        {
            int pos = r0 + r, ow = pos % g.OW, oh = pos / g.OW % g.OH, od = pos / (g.OW * g.OH);
            var row = cols.Slice(r * k, k);
            int at = 0;
            for (int kd = 0; kd < g.KD; kd++)
            {
                int id = od * g.SD - g.PadD + kd * g.DD;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int ih = oh * g.SH - g.PadH + kh * g.DH;
                    for (int kw = 0; kw < g.KW; kw++, at += c)
                    {
                        int iw = ow * g.SW - g.PadW + kw * g.DW;
                        if ((uint)id >= (uint)g.D || (uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) row.Slice(at, c).Clear();
                        else x.Slice(((id * g.H + ih) * g.W + iw) * c, c).CopyTo(row.Slice(at, c));
                    }
                }
            }
        }
    }

    private static void Col2Im<T>(in Geometry g, ReadOnlySpan<T> cols, int r0, int m, Span<T> dx) where T : unmanaged, System.Numerics.INumber<T>
    {
        int k = g.PatchLength, c = g.C;
        for (int r = 0; r < m; r++)
        {
            int pos = r0 + r, ow = pos % g.OW, oh = pos / g.OW % g.OH, od = pos / (g.OW * g.OH);
            var row = cols.Slice(r * k, k);
            int at = 0;
            for (int kd = 0; kd < g.KD; kd++)
            {
                int id = od * g.SD - g.PadD + kd * g.DD;
                for (int kh = 0; kh < g.KH; kh++)
                {
                    int ih = oh * g.SH - g.PadH + kh * g.DH;
                    for (int kw = 0; kw < g.KW; kw++, at += c)
                    {
                        int iw = ow * g.SW - g.PadW + kw * g.DW;
                        if ((uint)id >= (uint)g.D || (uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W) continue;
                        var dst = dx.Slice(((id * g.H + ih) * g.W + iw) * c, c);
                        var src = row.Slice(at, c);
                        for (int i = 0; i < c; i++) dst[i] += src[i];
                    }
                }
            }
        }
    }

    // C[m, n] (+)= op(A) · op(B), row-major; op(A) = Aᵀ when transA (A stored [k, m]), op(B) = Bᵀ when transB (B stored [n, k]).
    private static void MatMul<T>(bool transA, bool transB, int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c, bool accumulate)
        where T : unmanaged, System.Numerics.INumber<T>
    {
        if (typeof(T) == typeof(float))
        {
            Gemm.Sgemm(transA, transB, m, n, k, System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(a),
                System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(b), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(c), accumulate);
            return;
        }
        if (!accumulate) c[..(m * n)].Clear();
        for (int i = 0; i < m; i++)
            for (int p = 0; p < k; p++)
            {
                T av = transA ? a[p * m + i] : a[i * k + p];
                var crow = c.Slice(i * n, n);
                if (transB) for (int j = 0; j < n; j++) crow[j] += av * b[j * k + p];
                else
                {
                    var brow = b.Slice(p * n, n);
                    for (int j = 0; j < n; j++) crow[j] += av * brow[j];
                }
            }
    }
}
