using System.Text;
using System.Text.RegularExpressions;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// RegexReplace (pattern and rewrite inputs) and StaticRegexReplace (attrs): RE2::GlobalReplace when
/// <c>replace_global</c> (default true), else RE2::Replace (first match only) — regex_replace_op.cc. The rewrite uses
/// RE2's syntax (<c>\0</c>–<c>\9</c> groups, <c>\\</c> a backslash), translated to .NET's; TF uses RE2, and .NET's
/// engine agrees on the RE2 subset (no backreferences or lookaround in RE2).
/// </summary>
internal sealed class RegexReplaceKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StaticRegexReplace", node =>
        {
            var regex = Compile(node, node.GetString("pattern"), m => KernelAttrs.Err(node, m));
            var rewrite = Rewrite(node.GetString("rewrite"), m => KernelAttrs.Err(node, m));
            bool global = node.GetBool("replace_global", true);
            return new DelegateKernel(node, ctx => Replace(ctx, regex, rewrite, global));
        });
        registry.Add("RegexReplace", node =>
        {
            bool global = node.GetBool("replace_global", true);
            return new DelegateKernel(node, ctx =>
            {
                var regex = Compile(node, Scalar(ctx, 1, "pattern"), m => ctx.Error(m));
                Replace(ctx, regex, Rewrite(Scalar(ctx, 2, "rewrite"), m => ctx.Error(m)), global);
            });
        });
    }

    private static string Scalar(OpKernelContext ctx, int i, string what)
    {
        var t = ctx.Input(i);
        if (t.DType != DataType.DtString || t.Shape.Rank != 0) throw ctx.Error($"{what} must be a scalar string, got shape {t.Shape}.");
        return Encoding.UTF8.GetString(t.Strings[0]);
    }

    private static Regex Compile(Node node, string pattern, Func<string, Exception> error)
    {
        try { return new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
        catch (ArgumentException e) { throw error($"Invalid pattern: {pattern}, error: {e.Message}"); }
    }

    /// <summary>RE2 rewrite string → .NET replacement pattern.</summary>
    internal static string Rewrite(string re2, Func<string, Exception> error)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < re2.Length; i++)
        {
            char c = re2[i];
            if (c == '$') { sb.Append("$$"); continue; }
            if (c != '\\') { sb.Append(c); continue; }
            if (++i >= re2.Length) throw error($"Invalid rewrite pattern: '{re2}' ends in a lone backslash.");
            char n = re2[i];
            if (char.IsAsciiDigit(n)) sb.Append("${").Append(n).Append('}');
            else if (n == '\\') sb.Append('\\');
            else throw error($"Invalid rewrite pattern: '{re2}' (\\{n} is not \\0-\\9 or \\\\).");
        }
        return sb.ToString();
    }

    private static void Replace(OpKernelContext ctx, Regex regex, string rewrite, bool global)
    {
        var input = ctx.Input(0);
        if (input.DType != DataType.DtString) throw ctx.Error($"input must be strings, got {DataTypes.Name(input.DType)}.");
        var s = input.Strings;
        var outStrings = new byte[s.Length][];
        for (int i = 0; i < s.Length; i++)
        {
            string text = Encoding.UTF8.GetString(s[i]);
            outStrings[i] = Encoding.UTF8.GetBytes(global ? regex.Replace(text, rewrite) : regex.Replace(text, rewrite, 1));
        }
        ctx.SetOutput(0, new Tensor(input.Shape, outStrings));
    }
}
