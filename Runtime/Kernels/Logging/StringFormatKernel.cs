using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;

namespace TypedGraph.Kernels.Logging;

/// <summary>
/// <c>StringFormat</c> (tensorflow/core/kernels/string_format_op.cc; <c>tf.strings.format</c>, and the first half of
/// <c>tf.print</c>): the <c>template</c> attr split at every <c>placeholder</c> (absl::StrSplit: left to right, not
/// overlapping), with input i's <see cref="TensorSummary"/> in V2 form (<c>summarize</c> entries per dimension end,
/// −1 all) between piece i and piece i + 1; a scalar string. The number of placeholders must equal the number of
/// inputs, checked when the kernel is built, with TF's message.
/// </summary>
internal sealed class StringFormatKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("StringFormat", node =>
    {
        byte[] template = node.Attr("template")?.S.ToByteArray() ?? "%s"u8.ToArray();
        byte[] placeholder = node.Attr("placeholder")?.S.ToByteArray() ?? "%s"u8.ToArray();
        long summarize = node.GetInt("summarize", 3);
        var pieces = Split(template, placeholder);
        int inputs = node.Inputs.Count;
        if (pieces.Count - 1 != inputs)
            throw KernelAttrs.Err(node, $"num placeholders in template and num inputs must match: {pieces.Count - 1} vs. {inputs}");
        return new DelegateKernel(node, ctx =>
        {
            var msg = new List<byte>(pieces[0]);
            for (int i = 0; i < ctx.InputCount; i++)
            {
                TensorSummary.Append(msg, ctx.Input(i), summarize, printV2: true);
                msg.AddRange(pieces[i + 1]);
            }
            ctx.SetOutput(0, new Tensor(TensorShape.Scalar, [[.. msg]]));
        });
    });

    /// <summary>absl::StrSplit(text, ByString(delimiter)): the pieces between non-overlapping occurrences, left to right;
    /// an empty delimiter splits between every byte.</summary>
    internal static List<byte[]> Split(byte[] text, byte[] delimiter)
    {
        var pieces = new List<byte[]>();
        if (delimiter.Length == 0)
        {
            if (text.Length == 0) pieces.Add([]);
            foreach (var b in text) pieces.Add([b]);
            return pieces;
        }
        int start = 0;
        var span = text.AsSpan();
        while (true)
        {
            int at = span[start..].IndexOf(delimiter);
            if (at < 0) break;
            pieces.Add(text[start..(start + at)]);
            start += at + delimiter.Length;
        }
        pieces.Add(text[start..]);
        return pieces;
    }
}
