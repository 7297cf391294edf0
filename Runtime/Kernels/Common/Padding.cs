namespace TypedGraph.Kernels.Common;

/// <summary>TF's padding schemes for windowed ops (conv, pooling).</summary>
internal enum PaddingKind
{
    /// <summary>No padding; windows lie entirely inside the input.</summary>
    Valid,
    /// <summary>Output size ceil(in / stride); padding split with the extra cell at the end.</summary>
    Same,
    /// <summary>Padding given per dim by the <c>explicit_paddings</c> attr.</summary>
    Explicit,
}

/// <summary>
/// TF's windowed-output arithmetic, as <c>GetWindowedOutputSizeVerbose</c> in
/// <c>tensorflow/core/framework/kernel_shape_util.cc</c>: VALID gives <c>(in - effK + stride) / stride</c>,
/// SAME gives <c>ceil(in / stride)</c> with total padding <c>max((out-1)·stride + effK - in, 0)</c> split
/// <c>before = total / 2</c>, <c>after = total - before</c> (the odd cell goes to the end / bottom-right).
/// </summary>
internal static class Padding
{
    /// <summary>Parses a <c>padding</c> attr value ("SAME", "VALID", "EXPLICIT").</summary>
    /// <exception cref="ArgumentException">Unknown padding string.</exception>
    public static PaddingKind Parse(string padding) => padding switch
    {
        "SAME" => PaddingKind.Same,
        "VALID" => PaddingKind.Valid,
        "EXPLICIT" => PaddingKind.Explicit,
        _ => throw new ArgumentException($"Unknown padding '{padding}' (expected SAME, VALID or EXPLICIT).", nameof(padding)),
    };

    /// <summary>Effective window extent with dilation: <c>(k - 1)·d + 1</c>.</summary>
    public static int EffectiveSize(int filter, int dilation) => (filter - 1) * dilation + 1;

    /// <summary>
    /// Output size and the padding before/after one spatial dim, exactly as TF computes them.
    /// For <see cref="PaddingKind.Explicit"/>, <paramref name="padBefore"/>/<paramref name="padAfter"/> are inputs.
    /// </summary>
    /// <param name="input">Input extent.</param>
    /// <param name="filter">Window (kernel) extent.</param>
    /// <param name="dilation">Dilation rate (≥ 1).</param>
    /// <param name="stride">Stride (≥ 1).</param>
    /// <param name="kind">Padding scheme.</param>
    /// <param name="padBefore">Padding at the start (output for SAME/VALID; input for EXPLICIT).</param>
    /// <param name="padAfter">Padding at the end (output for SAME/VALID; input for EXPLICIT).</param>
    /// <returns>The output extent.</returns>
    /// <exception cref="ArgumentException">Stride/dilation below 1, or the computed size is negative.</exception>
    public static int OutputSize(int input, int filter, int dilation, int stride, PaddingKind kind, ref int padBefore, ref int padAfter)
    {
        if (stride < 1) throw new ArgumentException($"Stride must be ≥ 1, got {stride}.", nameof(stride));
        if (dilation < 1) throw new ArgumentException($"Dilation must be ≥ 1, got {dilation}.", nameof(dilation));
        int eff = EffectiveSize(filter, dilation);
        int output;
        switch (kind)
        {
            case PaddingKind.Valid:
                output = (input - eff + stride) / stride;
                padBefore = padAfter = 0;
                break;
            case PaddingKind.Same:
                output = (input + stride - 1) / stride;
                int total = Math.Max((output - 1) * stride + eff - input, 0);
                padBefore = total / 2;
                padAfter = total - padBefore;
                break;
            default:
                if (padBefore < 0 || padAfter < 0) throw new ArgumentException($"Explicit padding must be ≥ 0, got ({padBefore}, {padAfter}).");
                output = (input + padBefore + padAfter - eff + stride) / stride;
                break;
        }
        // TF rejects only a negative size; C-style truncating division makes e.g. (1 - 4 + 2) / 2 == 0 an empty output.
        if (output < 0)
            throw new ArgumentException($"Computed output size would be negative: input {input}, window {eff} (kernel {filter}, dilation {dilation}), stride {stride}, padding {kind}.");
        return output;
    }

    /// <summary>Output size for SAME/VALID, discarding the padding amounts.</summary>
    public static int OutputSize(int input, int filter, int dilation, int stride, PaddingKind kind)
    {
        int b = 0, a = 0;
        return OutputSize(input, filter, dilation, stride, kind, ref b, ref a);
    }
}
