using System.Text;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// StringSplit and StringSplitV2 (string_split_op.cc) → a sparse result: indices <c>(row, token)</c> [M, 2], values
/// [M], dense shape <c>[rows, most tokens]</c>.
/// <list type="bullet">
/// <item>StringSplitV2 follows Python's <c>str.split</c>: an empty <c>sep</c> splits on runs of whitespace and drops
/// leading/trailing whitespace; a non-empty <c>sep</c> is a literal separator keeping empty tokens; <c>maxsplit</c>
/// (-1 = unlimited) bounds the splits, the rest staying in the last token.</item>
/// <item>StringSplit (v1): every byte of <c>delimiter</c> separates tokens; an empty delimiter splits into single
/// bytes; <c>skip_empty</c> (default true) drops empty tokens.</item>
/// </list>
/// </summary>
internal sealed class StringSplitKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StringSplitV2", node =>
        {
            long maxsplit = node.GetInt("maxsplit", -1);
            return new DelegateKernel(node, ctx => Emit(ctx, Rows(ctx), Scalar(ctx, "sep"), (s, sep) => SplitV2(s, sep, maxsplit)));
        });
        registry.Add("StringSplit", node =>
        {
            bool skipEmpty = node.GetBool("skip_empty", true);
            return new DelegateKernel(node, ctx => Emit(ctx, Rows(ctx), Scalar(ctx, "delimiter"), (s, d) => SplitV1(s, d, skipEmpty)));
        });
    }

    private static byte[][] Rows(OpKernelContext ctx)
    {
        var t = ctx.Input(0);
        if (t.DType != DataType.DtString || t.Shape.Rank != 1) throw ctx.Error($"input must be a vector of strings, got shape {t.Shape} ({DataTypes.Name(t.DType)}).");
        return t.Strings;
    }

    private static byte[] Scalar(OpKernelContext ctx, string what)
    {
        var t = ctx.Input(1);
        if (t.DType != DataType.DtString || t.Shape.Rank != 0) throw ctx.Error($"{what} must be a scalar string, got shape {t.Shape}.");
        return t.Strings[0];
    }

    private static void Emit(OpKernelContext ctx, byte[][] rows, byte[] sep, Func<byte[], byte[], List<byte[]>> split)
    {
        var indices = new List<long>();
        var values = new List<byte[]>();
        long most = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var tokens = split(rows[r], sep);
            most = Math.Max(most, tokens.Count);
            for (int j = 0; j < tokens.Count; j++) { indices.Add(r); indices.Add(j); values.Add(tokens[j]); }
        }
        ctx.SetOutput(0, Tensor.Create(indices.ToArray(), values.Count, 2));
        ctx.SetOutput(1, new Tensor(new TensorShape(values.Count), values.ToArray()));
        ctx.SetOutput(2, Tensor.Create(new long[] { rows.Length, most }, 2));
    }

    // Python str.split semantics on bytes; whitespace is ASCII space, \t \n \v \f \r (isspace in the C locale).
    internal static List<byte[]> SplitV2(byte[] s, byte[] sep, long maxsplit)
    {
        var tokens = new List<byte[]>();
        if (sep.Length == 0)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxsplit >= 0 && tokens.Count == maxsplit)
                {
                    tokens.Add(s[i..]); // Python keeps the remainder's trailing whitespace
                    break;
                }
                int start = i;
                while (i < s.Length && !IsSpace(s[i])) i++;
                tokens.Add(s[start..i]);
            }
            return tokens;
        }
        int from = 0;
        while (maxsplit < 0 || tokens.Count < maxsplit)
        {
            int at = s.AsSpan(from).IndexOf(sep);
            if (at < 0) break;
            tokens.Add(s[from..(from + at)]);
            from += at + sep.Length;
        }
        tokens.Add(s[from..]);
        return tokens;
    }

    internal static List<byte[]> SplitV1(byte[] s, byte[] delimiter, bool skipEmpty)
    {
        var tokens = new List<byte[]>();
        if (delimiter.Length == 0)
        {
            foreach (byte b in s) tokens.Add([b]);
            return tokens;
        }
        int start = 0;
        for (int i = 0; i <= s.Length; i++)
        {
            if (i < s.Length && Array.IndexOf(delimiter, s[i]) < 0) continue;
            if (!skipEmpty || i > start) tokens.Add(s[start..i]);
            start = i + 1;
        }
        return tokens;
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\v' or (byte)'\f' or (byte)'\r';
}
