using System.Buffers;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// Conv2D: input [N,H,W,C] (or NCHW), filter [KH,KW,C,OC], strides/dilations/padding (SAME, VALID,
/// EXPLICIT) resolved as TF does. With ≤ 8 input channels and OC in whole vectors it runs <see cref="DirectConv2D"/> (no im2col copy), with ≤ 8 in and 1–15 out <see cref="ThinConv2D"/>;
/// 3×3 and 5×5 stride-1 windows with many channels run <see cref="WinogradConv2D"/> where its cost rule says it wins; with
/// OC in whole 32-wide panels <see cref="ImplicitGemmConv2D"/>;
/// otherwise float32 runs as im2col + packed GEMM: output pixels are cut into
/// chunks, each worker expands its chunk's receptive fields into a pooled matrix [rows, KH·KW·C] and
/// multiplies it by the filter viewed as [KH·KW·C, OC], writing straight into the NHWC output. A 1×1,
/// stride-1, unpadded conv is a single GEMM with no copy. NCHW is transposed to NHWC and back.
/// </summary>
internal sealed class Conv2DKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Conv2D", n => new Conv2DKernel(n, fused: false));
        registry.Add("_FusedConv2D", n => new Conv2DKernel(n, fused: true));
    }
}

/// <summary>One Conv2D node.</summary>
internal sealed class Conv2DKernel : OpKernel
{
    private readonly bool _nchw;
    private readonly int _sh, _sw, _dh, _dw;
    private readonly PaddingKind _padding;
    private readonly (int, int, int, int) _explicit;
    private readonly Epilogue? _epilogue;
    // The derived forms of a Const or variable-value filter, made once per filter value (WeightCache).
    private readonly ConvFilterCache _filterCache = new();

    /// <summary>The implicit-GEMM filter-panel cache (tests: how often the filter was re-laid out).</summary>
    internal WeightCache<float[]> FilterPanels => _filterCache.Panels;

    /// <summary>The kept derived forms of the filter, per path (tests).</summary>
    internal ConvFilterCache FilterCache => _filterCache;

    public Conv2DKernel(Node node, bool fused) : base(node)
    {
        // _FusedConv2D (grappler's remapper output): Conv2D then BiasAdd [+ activation] in one pass.
        _epilogue = fused ? Epilogue.FromNode(node) : null;
        _nchw = KernelAttrs.IsNchw(node);
        var s = KernelAttrs.Quad(node, "strides", _nchw);
        var d = KernelAttrs.Quad(node, "dilations", _nchw, [1, 1, 1, 1]);
        if (s.N != 1 || s.C != 1) throw Error("Current implementation does not yet support strides in the batch and depth dimensions.");
        if (d.N != 1 || d.C != 1) throw Error("Current implementation does not yet support dilations in the batch and depth dimensions.");
        if (s.H < 1 || s.W < 1 || d.H < 1 || d.W < 1) throw Error("strides and dilations must be ≥ 1.");
        (_sh, _sw, _dh, _dw) = (s.H, s.W, d.H, d.W);
        _padding = KernelAttrs.PaddingOf(node);
        _explicit = ExplicitPads(node, _padding, _nchw);
    }

    /// <summary>Reads <c>explicit_paddings</c> (8 ints, pairs per dim in data_format order) as (top, bottom, left, right).</summary>
    internal static (int, int, int, int) ExplicitPads(Node node, PaddingKind padding, bool nchw)
    {
        if (padding != PaddingKind.Explicit) return default;
        var p = node.GetInts("explicit_paddings", []);
        if (p.Length != 8) throw KernelAttrs.Err(node, $"explicit_paddings must have 8 values for EXPLICIT padding, got {p.Length}.");
        int hi = nchw ? 4 : 2, wi = nchw ? 6 : 4;
        if (p[0] != 0 || p[1] != 0 || p[nchw ? 2 : 6] != 0 || p[nchw ? 3 : 7] != 0)
            throw KernelAttrs.Err(node, "explicit_paddings must be zero for the batch and channel dims.");
        return ((int)p[hi], (int)p[hi + 1], (int)p[wi], (int)p[wi + 1]);
    }

    public override void Compute(OpKernelContext context)
    {
        var input = context.Input(0);
        var filter = context.Input(1);
        if (input.Shape.Rank != 4) throw Error($"input must be 4-dimensional, got {input.Shape}.");
        if (filter.Shape.Rank != 4) throw Error($"filter must be 4-dimensional, got {filter.Shape}.");
        if (input.DType != filter.DType) throw Error($"input and filter dtypes differ: {DataTypes.Name(input.DType)} vs. {DataTypes.Name(filter.DType)}.");
        if (input.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, input.DType);
        var (n, h, w, c) = Layout.Dims(input.Shape, _nchw);
        int kh = filter.Shape[0], kw = filter.Shape[1], oc = filter.Shape[3];
        if (filter.Shape[2] != c) throw Error($"input depth {c} must equal filter in_depth {filter.Shape[2]} (input {input.Shape}, filter {filter.Shape}).");
        Window2D g;
        try { g = Window2D.Create(n, h, w, c, kh, kw, _sh, _sw, _dh, _dw, _padding, _explicit); }
        catch (ArgumentException e) { throw Error(e.Message + $" (input {input.Shape}, filter {filter.Shape})."); }
        Tensor? bias = null;
        if (_epilogue != null)
        {
            var b = context.Input(2);
            if (b.DType != DataType.DtFloat || b.Shape.Rank != 1 || b.Shape[0] != oc)
                throw Error($"the fused bias must be a float vector of {oc} values, got {DataTypes.Name(b.DType)}{b.Shape}.");
            bias = b; // read in place (no per-run copy)
        }
        var output = context.AllocateOutput(0, DataType.DtFloat, _nchw ? [n, oc, g.OH, g.OW] : [n, g.OH, g.OW, oc]);
        if (output.NumElements == 0) return;
        if (input.NumElements == 0 || (long)kh * kw * c == 0)
        {
            output.AsSpan<float>().Clear();
            if (bias != null) _epilogue!.Apply(output.AsSpan<float>(), bias.AsSpan<float>());
            return;
        }
        if (!_nchw)
        {
            Run(g, oc, input.AsSpan<float>(), filter.AsSpan<float>(), output.AsSpan<float>(), _epilogue, bias, _filterCache, filter);
            return;
        }
        var inBuf = ArrayPool<float>.Shared.Rent((int)input.NumElements);
        var outBuf = ArrayPool<float>.Shared.Rent((int)output.NumElements);
        try
        {
            var xin = inBuf.AsSpan(0, (int)input.NumElements);
            var xout = outBuf.AsSpan(0, (int)output.NumElements);
            Layout.NchwToNhwc<float>(input.AsSpan<float>(), xin, n, c, h * w);
            Run(g, oc, xin, filter.AsSpan<float>(), xout, _epilogue, bias, _filterCache, filter);
            Layout.NhwcToNchw<float>(xout, output.AsSpan<float>(), n, oc, g.OH * g.OW);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(inBuf);
            ArrayPool<float>.Shared.Return(outBuf);
        }
    }

    /// <summary>NHWC float convolution into <paramref name="output"/> [N·OH·OW, OC].</summary>
    /// <remarks><c>filterCache</c>: a kernel's kept derived forms of the filter, with <c>filterTensor</c> the tensor
    /// <c>filter</c> was read from (a Const or variable-value filter is re-laid out / transformed / packed once per value,
    /// not per call; a fed filter never is — see <see cref="WeightCache{T}"/>).</remarks>
    internal static void Run(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue = null, Tensor? bias = null, ConvFilterCache? filterCache = null, Tensor? filterTensor = null)
    {
        int depth = g.KH * g.KW * g.C;
        long rows = (long)g.N * g.OH * g.OW;
        // Whether this filter's derived forms can be kept across calls (a published value, see WeightCache).
        bool cacheable = filterCache != null && filterTensor is { IsPublishedValue: true };
        bool pointwise = g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.OH == g.H && g.OW == g.W;
        if (pointwise)
        {
            // One GEMM with the filter as B [C, OC]: a constant filter's packing is kept, and each row part applies the
            // epilogue to its own rows.
            if (cacheable && rows <= int.MaxValue && Gemm.UsesPackedB((int)rows, oc, depth)
                && filterCache!.Packed.For(filterTensor!, false, depth, oc) is { } packedB)
            {
                Gemm.SgemmPrepacked(false, false, (int)rows, oc, depth, input, filter, packedB, output, epilogue, bias);
                return;
            }
            Gemm.Sgemm(false, false, (int)rows, oc, depth, input, filter, output);
            if (epilogue != null) ApplyParallel(epilogue, output, bias!, rows, oc);
            return;
        }
        // Few input channels: im2col would copy as much as the GEMM computes (see DirectConv2D's rule). It reads TF's
        // [KH, KW, C, OC] filter rows as they are, so there is no derived form to keep.
        if (DirectConv2D.IsPreferred(g, oc))
        {
            DirectConv2D.Run(g, oc, input, filter, output, epilogue, bias);
            return;
        }
        // 3×3 or 5×5 stride 1 with enough channels: Winograd F(4×4, 3×3) or F(2×2, 5×5) where its cost estimate wins —
        // a kept transformed filter costs no transform per call, so the rule is asked with that in mind.
        if (WinogradConv2D.IsPreferred(g, oc, filterCached: cacheable))
        {
            var transformed = cacheable ? filterCache!.Winograd.Get(filterTensor!, (g.KH, g.C, oc),
                static (t, a) => t.Fits(a.KH, a.C, a.oc),
                static (t, a) => WinogradConv2D.TransformFilter(t.AsSpan<float>(), a.KH, a.C, a.oc)) : null;
            WinogradConv2D.Run(g, oc, input, filter, output, epilogue, bias, transformed);
            return;
        }
        // More channels, whole 32-wide OC panels: GEMM without materializing the im2col rows.
        if (ImplicitGemmConv2D.IsPreferred(g, oc))
        {
            var panels = cacheable ? filterCache!.Panels.Get(filterTensor!, (depth, oc),
                static (p, a) => p.Length == (long)a.depth * a.oc,
                static (t, a) => ImplicitGemmConv2D.PackFilter(t.AsSpan<float>(), a.depth, a.oc)) : null;
            ImplicitGemmConv2D.Run(g, oc, input, filter, output, epilogue, bias, panels);
            return;
        }
        // Few channels on both sides (a LeNet's 1 → 6 first layer, its 6 → 1 input gradient): vectors along the interleaved
        // output row, since any channel axis would leave most lanes empty.
        if (ThinConv2D.IsPreferred(g, oc))
        {
            ThinConv2D.Run(g, oc, input, filter, output, epilogue, bias);
            return;
        }
        // Whole 16-channel input vectors into 1–8 outputs (a thin last layer; a stride-1 input gradient into a thin layer):
        // im2col would build a patch matrix for a GEMM only OC wide.
        if (FewOutputConv2D.IsPreferred(g, oc))
        {
            FewOutputConv2D.Run(g, oc, input, filter, output);
            if (epilogue != null) ApplyParallel(epilogue, output, bias!, rows, oc);
            return;
        }
        RunIm2Col(g, oc, input, filter, output, epilogue, bias, cacheable ? filterCache!.Packed.For(filterTensor!, false, depth, oc) : null);
    }

    /// <summary>The im2col + packed GEMM path (any channel count).</summary>
    /// <remarks><c>keptFilter</c>: the filter as [KH·KW·C, OC] already packed for the GEMM (<see cref="Gemm.PackBRetained"/>,
    /// a kernel's kept packing of a constant filter), or null to pack it in this call.</remarks>
    internal static void RunIm2Col(Window2D g, int oc, ReadOnlySpan<float> input, ReadOnlySpan<float> filter, Span<float> output,
        Epilogue? epilogue = null, Tensor? bias = null, PackedB? keptFilter = null)
    {
        int depth = g.KH * g.KW * g.C;
        long rows = (long)g.N * g.OH * g.OW;
        // Rows per chunk: enough to amortize packing the filter (≥ 256) while the chunk's im2col block
        // stays near L2 size.
        int chunk = (int)Math.Clamp((256 * 1024 / 4) / Math.Max(1, depth), 256, 4096);
        long chunks = (rows + chunk - 1) / chunk;
        // The filter is packed once per call (or kept across calls) and shared by every chunk's GEMM.
        bool kept = keptFilter != null && keptFilter.K == depth && keptFilter.N == oc && Gemm.FitsCurrentKernel(keptFilter);
        using var perCall = kept ? null : Gemm.PackB(false, depth, oc, filter);
        var packed = kept ? keptFilter! : perCall!;
        unsafe
        {
            fixed (float* pin = input, pf = filter, pout = output)
            {
                var job = new ConvChunks(g, oc, depth, rows, chunk, (nint)pin, input.Length, (nint)pf, filter.Length, (nint)pout, output.Length, packed, epilogue, bias);
                // Static lambda + struct state: no closure allocated per call.
                Workers.For(chunks, 1, job, static (j, s, e) => j.Run(s, e));
            }
        }
    }

    /// <summary>One conv call's arguments, shared by its chunks: chunk ci covers output pixels [ci·Chunk, (ci+1)·Chunk).</summary>
    private readonly record struct ConvChunks(Window2D G, int Oc, int Depth, long Rows, int Chunk, nint In, int InLen, nint Filter, int FilterLen,
        nint Out, int OutLen, PackedB Packed, Epilogue? Epilogue, Tensor? Bias)
    {
        public unsafe void Run(long s, long e)
        {
            var buf = ArrayPool<float>.Shared.Rent(Chunk * Depth);
            try
            {
                var src = new ReadOnlySpan<float>((float*)In, InLen);
                var flt = new ReadOnlySpan<float>((float*)Filter, FilterLen);
                var dst = new Span<float>((float*)Out, OutLen);
                for (long ci = s; ci < e; ci++)
                {
                    long r0 = ci * Chunk;
                    int count = (int)Math.Min(Chunk, Rows - r0);
                    var cols = buf.AsSpan(0, count * Depth);
                    Im2Col(G, src, r0, count, cols);
                    var block = dst.Slice((int)(r0 * Oc), count * Oc);
                    Gemm.SgemmPackedSerial(false, count, Oc, Depth, cols, flt, Packed, block, directA: true);
                    Epilogue?.Apply(block, Bias!.AsSpan<float>());
                }
            }
            finally { ArrayPool<float>.Shared.Return(buf); }
        }
    }

    /// <summary>Applies a fused epilogue to [rows, oc] values, split across cores.</summary>
    internal static unsafe void ApplyParallel(Epilogue epilogue, Span<float> output, Tensor bias, long rows, int oc)
    {
        fixed (float* p = output)
        {
            Workers.For(rows, Math.Max(1, (1 << 15) / oc), (epilogue, (nint)p, bias, oc), static (st, s, e) =>
                st.epilogue.Apply(new Span<float>((float*)st.Item2 + s * st.oc, (int)((e - s) * st.oc)), st.bias.AsSpan<float>()));
        }
    }

    /// <summary>Expands output pixels [r0, r0+count) into rows of [KH·KW·C] input values (zeros in the padding).</summary>
    internal static unsafe void Im2Col(Window2D g, ReadOnlySpan<float> input, long r0, int count, Span<float> cols)
    {
        int c = g.C, depth = g.KH * g.KW * c, runLen = g.KW * c;
        if ((long)count * depth > cols.Length) throw new ArgumentException("im2col buffer too small.");
        int ow = (int)(r0 % g.OW);
        long t = r0 / g.OW;
        int oh = (int)(t % g.OH), b = (int)(t / g.OH);
        fixed (float* src = input, dst0 = cols)
        {
            float* dst = dst0;
            for (int r = 0; r < count; r++, dst += depth)
            {
                int ih0 = oh * g.SH - g.PadTop, iw0 = ow * g.SW - g.PadLeft;
                bool rowInside = g.DW == 1 && iw0 >= 0 && iw0 + g.KW <= g.W;
                float* o = dst;
                for (int y = 0; y < g.KH; y++, o += runLen)
                {
                    int ih = ih0 + y * g.DH;
                    if ((uint)ih >= (uint)g.H)
                    {
                        new Span<float>(o, runLen).Clear();
                        continue;
                    }
                    float* line = src + (long)(b * g.H + ih) * g.W * c;
                    if (rowInside)
                    {
                        // The kernel row lies inside the input: one contiguous run of KW·C values.
                        float* s0 = line + (long)iw0 * c;
                        if (runLen < 32) for (int i = 0; i < runLen; i++) o[i] = s0[i];
                        else Buffer.MemoryCopy(s0, o, runLen * 4L, runLen * 4L);
                        continue;
                    }
                    for (int x = 0; x < g.KW; x++)
                    {
                        int iw = iw0 + x * g.DW;
                        float* d = o + x * c;
                        if ((uint)iw >= (uint)g.W)
                        {
                            if (c >= 16) new Span<float>(d, c).Clear();
                            else for (int ch = 0; ch < c; ch++) d[ch] = 0;
                        }
                        else
                        {
                            float* s1 = line + (long)iw * c;
                            if (c >= 16) Buffer.MemoryCopy(s1, d, c * 4L, c * 4L);
                            else for (int ch = 0; ch < c; ch++) d[ch] = s1[ch];
                        }
                    }
                }
                // Next output pixel (row-major over n, oh, ow).
                if (++ow == g.OW)
                {
                    ow = 0;
                    if (++oh == g.OH) { oh = 0; b++; }
                }
            }
        }
    }
}

/// <summary>
/// A conv kernel's kept derived forms of a constant filter, one per path that derives one (each a
/// <see cref="WeightCache{T}"/>: made on the filter value's second sighting, made again when the value changes).
/// </summary>
internal sealed class ConvFilterCache
{
    /// <summary>The implicit-GEMM path's 32-wide filter panels (<see cref="ImplicitGemmConv2D.PackFilter"/>).</summary>
    public WeightCache<float[]> Panels { get; } = new();

    /// <summary>The Winograd path's transformed and packed filter (<see cref="WinogradConv2D.TransformFilter"/>).</summary>
    public WeightCache<WinogradConv2D.TransformedFilter> Winograd { get; } = new();

    /// <summary>The filter packed as the GEMM's B for the 1×1 (pointwise) and im2col paths.</summary>
    public PackedWeights Packed { get; } = new();
}
