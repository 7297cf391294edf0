using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Image;

/// <summary>
/// <c>ScaleAndTranslate</c> (the op behind <c>tf.image.resize</c>'s lanczos/gaussian/mitchell/area-less methods and
/// <c>scale_and_translate</c>) and <c>ScaleAndTranslateGrad</c>, as TF's CPU kernel (<c>scale_and_translate_op.cc</c> and
/// <c>sampling_kernels.h</c>, read with the search tool):
/// <list type="bullet">
/// <item>per axis, output pixel x samples the input at s = (x + ½)/scale − translation/scale; s &lt; 0 or s &gt; size gives
/// an empty span (output 0); otherwise input pixels ceil(s − r·k − ½) … floor(s + r·k − ½) (clamped) get weights
/// kernel(|i + ½ − s| / k), normalised to sum 1 (left 0 when the sum is below 1000 × the smallest normal float), where r is the
/// kernel's radius and k = max(1/scale, 1) with <c>antialias</c> (a low-pass filter when downsampling), else 1;</item>
/// <item>kernels lanczos1/3/5, gaussian (radius 1.5, σ = 0.5), box, triangle, keyscubic, mitchellcubic — TF's
/// formulas, in float;</item>
/// <item>rows first into a float [B, outH, inW, C] buffer, then columns, summing in span order;</item>
/// <item>the gradient applies the transposed spans (each input pixel gathers the output pixels that read it, in output
/// order) the same way — the adjoint of the forward map.</item>
/// </list>
/// Inputs of any real dtype are read as float; the output is float (the gradient is float-only, as TF registers it).
/// </summary>
internal sealed class ScaleAndTranslateKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ScaleAndTranslate", n => new DelegateKernel(n, Forward));
        registry.Add("ScaleAndTranslateGrad", n => new DelegateKernel(n, Backward));
    }

    /// <summary>One axis's sampling: for each output index its first input index and span-size weights.</summary>
    internal sealed record Spans(int SpanSize, int[] Starts, float[] Weights);

    internal static Func<float, float>? KernelFunction(string name, out float radius)
    {
        switch (name)
        {
            case "lanczos1": radius = 1; return x => Lanczos(x, 1);
            case "lanczos3": radius = 3; return x => Lanczos(x, 3);
            case "lanczos5": radius = 5; return x => Lanczos(x, 5);
            case "gaussian":
                radius = 1.5f;
                return x =>
                {
                    const float sigma = 1.5f / 3.0f;
                    x = MathF.Abs(x);
                    return x >= 1.5f ? 0f : (float)Math.Exp(-x * x / (2.0 * sigma * sigma));
                };
            case "box": radius = 1; return x => { x = MathF.Abs(x); return x < 0.5f ? 1f : x == 0.5f ? 0.5f : 0f; };
            case "triangle": radius = 1; return x => { x = MathF.Abs(x); return x < 1f ? 1f - x : 0f; };
            case "keyscubic":
                radius = 2;
                return x =>
                {
                    x = MathF.Abs(x);
                    if (x >= 2f) return 0f;
                    if (x >= 1f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
                    return ((1.5f * x - 2.5f) * x) * x + 1.0f;
                };
            case "mitchellcubic":
                radius = 2;
                return x =>
                {
                    x = MathF.Abs(x);
                    if (x >= 2f) return 0f;
                    if (x >= 1f) return (((-7.0f / 18.0f) * x + 2.0f) * x - 10.0f / 3.0f) * x + 16.0f / 9.0f;
                    return (((7.0f / 6.0f) * x - 2.0f) * x) * x + 8.0f / 9.0f;
                };
            default: radius = 0; return null;
        }
    }

    private static float Lanczos(float x, float radius)
    {
        const float pi = 3.14159265359f;
        x = MathF.Abs(x);
        if (x > radius) return 0f;
        if (x <= 1e-3f) return 1f;
        return radius * MathF.Sin(pi * x) * MathF.Sin(pi * x / radius) / (pi * pi * x * x);
    }

    /// <summary>TF's ComputeSpansCore for one axis.</summary>
    internal static Spans ComputeSpans(Func<float, float> kernel, float radius, int outputSize, int inputSize, float scale, float translate, bool antialias)
    {
        float invScale = 1.0f / scale;
        float invTranslate = -invScale * translate;
        float kernelScale = antialias ? Math.Max(invScale, 1.0f) : 1.0f;
        int spanSize = Math.Min(2 * (int)MathF.Ceiling(radius * kernelScale) + 1, inputSize);
        var starts = new int[outputSize];
        var weights = new float[(long)spanSize * outputSize];
        float oneOverKernelScale = 1.0f / kernelScale;
        var temp = new float[Math.Max(spanSize, 1) + 2];
        for (int x = 0; x < outputSize; x++)
        {
            float sample = (x + 0.5f) * invScale + invTranslate;
            if (sample < 0 || sample > inputSize) continue; // empty span, start 0
            long start = (long)MathF.Ceiling(sample - radius * kernelScale - 0.5f);
            long end = (long)MathF.Floor(sample + radius * kernelScale - 0.5f);
            start = Math.Clamp(start, 0, inputSize - 1);
            end = Math.Clamp(end, 0, inputSize - 1) + 1;
            int size = (int)(end - start);
            if (size > spanSize) throw new GraphExecutionException($"Span is too large: {size} vs {spanSize}.");
            float total = 0f;
            for (int i = 0; i < size; i++)
            {
                float pos = (start + i) + 0.5f - sample;
                float w = kernel(MathF.Abs(pos * oneOverKernelScale));
                total += w;
                temp[i] = w;
            }
            if (MathF.Abs(total) >= 1000.0f * 1.17549435e-38f)
            {
                float inv = 1.0f / total;
                for (int i = 0; i < size; i++) weights[(long)spanSize * x + i] = temp[i] * inv;
            }
            starts[x] = (int)start;
        }
        return new Spans(spanSize, starts, weights);
    }

    /// <summary>TF's ComputeGradSpansCore: the transpose of <paramref name="spans"/> (forward output → input).</summary>
    internal static Spans GradSpans(Spans spans, int forwardOutputSize, int forwardInputSize)
    {
        var components = new List<(int Index, float Weight)>[forwardInputSize];
        for (int o = 0; o < forwardOutputSize; o++)
        {
            int input = spans.Starts[o];
            for (int j = 0; j < spans.SpanSize; j++, input++)
            {
                float w = spans.Weights[(long)o * spans.SpanSize + j];
                if (w != 0f && input < forwardInputSize) (components[input] ??= []).Add((o, w));
            }
        }
        int maxSize = 0;
        foreach (var list in components)
            if (list is { Count: > 0 }) maxSize = Math.Max(maxSize, list[^1].Index - list[0].Index + 1); // added in output order
        var starts = new int[forwardInputSize];
        var weights = new float[(long)maxSize * forwardInputSize];
        for (int i = 0; i < forwardInputSize; i++)
        {
            var list = components[i];
            if (list is not { Count: > 0 }) continue;
            starts[i] = list[0].Index;
            foreach (var (index, w) in list) weights[(long)i * maxSize + index - list[0].Index] += w;
        }
        return new Spans(maxSize, starts, weights);
    }

    /// <summary>TF's GatherSpans: rows into a [outH, inW, C] float buffer per image, then columns.</summary>
    internal static void Gather(Spans rows, Spans cols, float[] image, int batch, int inH, int inW, int channels, int outH, int outW, Span<float> output)
    {
        var mid = new float[(long)outH * inW * channels];
        long inRow = (long)inW * channels, outRowMid = inRow, outRow = (long)outW * channels;
        for (int b = 0; b < batch; b++)
        {
            long imageBase = (long)b * inH * inRow;
            Array.Clear(mid);
            for (int y = 0; y < outH; y++)
            {
                int start = rows.Starts[y];
                int real = Math.Min(start + rows.SpanSize, inH) - start;
                for (int j = 0; j < real; j++)
                {
                    float w = rows.Weights[(long)y * rows.SpanSize + j];
                    long src = imageBase + (start + j) * inRow, dst = y * outRowMid;
                    for (long t = 0; t < inRow; t++) mid[dst + t] += w * image[src + t];
                }
            }
            long outBase = (long)b * outH * outRow;
            for (int y = 0; y < outH; y++)
                for (int x = 0; x < outW; x++)
                {
                    int start = cols.Starts[x];
                    int real = Math.Min(start + cols.SpanSize, inW) - start;
                    long dst = outBase + y * outRow + (long)x * channels;
                    for (int c = 0; c < channels; c++) output[(int)(dst + c)] = 0f;
                    for (int j = 0; j < real; j++)
                    {
                        float w = cols.Weights[(long)x * cols.SpanSize + j];
                        long src = y * outRowMid + (long)(start + j) * channels;
                        for (int c = 0; c < channels; c++) output[(int)(dst + c)] += w * mid[src + c];
                    }
                }
        }
    }

    private static (Func<float, float> Kernel, float Radius, bool Antialias) ReadAttrs(OpKernelContext ctx)
    {
        string name = ctx.Node.GetString("kernel_type", "lanczos3");
        var kernel = KernelFunction(name, out float radius) ?? throw ctx.Error($"Unrecognized kernel type: {name}");
        return (kernel, radius, ctx.Node.GetBool("antialias", true));
    }

    private static (float Row, float Col) Pair(OpKernelContext ctx, int input)
    {
        var t = ctx.Input(input);
        if (t.Shape.Rank != 1) throw ctx.Error($"t must be 1-dimensional{t.Shape}");
        if (t.NumElements != 2) throw ctx.Error($"t must have two elements{t.Shape}");
        if (t.DType != DataType.DtFloat) throw ctx.Error($"scale and translation must be float, got {DataTypes.Name(t.DType)}");
        var v = t.AsSpan<float>();
        return (v[0], v[1]);
    }

    private static void Forward(OpKernelContext ctx)
    {
        var (kernel, radius, antialias) = ReadAttrs(ctx);
        var input = ctx.Input(0);
        if (input.Shape.Rank != 4) throw ctx.Error($"input must be 4-dimensional{input.Shape}");
        var size = ctx.Input(1);
        if (size.Shape.Rank != 1) throw ctx.Error($"output_shape_t must be 1-dimensional{size.Shape}");
        if (size.NumElements != 2) throw ctx.Error($"output_shape_t must have two elements{size.Shape}");
        var sv = size.AsSpan<int>();
        int outH = sv[0], outW = sv[1];
        int batch = input.Shape[0], inH = input.Shape[1], inW = input.Shape[2], channels = input.Shape[3];
        if (outH <= 0 || outW <= 0) throw ctx.Error("output dimensions must be positive");
        if (channels <= 0) throw ctx.Error("image must have at least one channel");
        if (inH <= 0 || inW <= 0) throw ctx.Error("input image must be of non-zero size");
        var (rowScale, colScale) = Pair(ctx, 2);
        if (!(rowScale > 0 && colScale > 0)) throw ctx.Error("Scale must be greater than zero.");
        var (rowTranslate, colTranslate) = Pair(ctx, 3);
        var output = ctx.AllocateOutput(0, DataType.DtFloat, [batch, outH, outW, channels]);
        if (output.NumElements == 0) return;
        var cols = ComputeSpans(kernel, radius, outW, inW, colScale, colTranslate, antialias);
        var rows = ComputeSpans(kernel, radius, outH, inH, rowScale, rowTranslate, antialias);
        Gather(rows, cols, ResizeKernels.ToFloat(input), batch, inH, inW, channels, outH, outW, output.AsSpan<float>());
    }

    private static void Backward(OpKernelContext ctx)
    {
        var (kernel, radius, antialias) = ReadAttrs(ctx);
        var grads = ctx.Input(0);
        var original = ctx.Input(1);
        if (grads.Shape.Rank != 4) throw ctx.Error($"input_grad must be 4-dimensional{grads.Shape}");
        if (grads.DType != DataType.DtFloat) throw ctx.Error($"input_grad must be of type float{DataTypes.Name(grads.DType)}");
        if (original.Shape.Rank != 4) throw ctx.Error($"original_image must be 4-dimensional{original.Shape}");
        int batch = grads.Shape[0], channels = grads.Shape[3], inH = original.Shape[1], inW = original.Shape[2];
        int outH = grads.Shape[1], outW = grads.Shape[2];
        var (rowScale, colScale) = Pair(ctx, 2);
        if (!(rowScale > 0 && colScale > 0)) throw ctx.Error("Scale must be greater than zero.");
        var (rowTranslate, colTranslate) = Pair(ctx, 3);
        var output = ctx.AllocateOutput(0, DataType.DtFloat, [batch, inH, inW, channels]);
        if (output.NumElements == 0) return;
        var cols = GradSpans(ComputeSpans(kernel, radius, outW, inW, colScale, colTranslate, antialias), outW, inW);
        var rows = GradSpans(ComputeSpans(kernel, radius, outH, inH, rowScale, rowTranslate, antialias), outH, inH);
        Gather(rows, cols, grads.ToArray<float>(), batch, outH, outW, channels, inH, inW, output.AsSpan<float>());
    }
}
