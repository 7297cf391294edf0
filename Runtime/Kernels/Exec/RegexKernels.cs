using System.Text;
using System.Text.RegularExpressions;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// StaticRegexFullMatch (pattern attr) and RegexFullMatch (pattern input): elementwise whole-string
/// matches. TF 1.14's sharded Saver uses the static form to test a prefix for <c>^s3://.*</c>. TF uses RE2;
/// .NET's engine agrees on the simple patterns saved graphs carry (RE2 has no backreferences/lookaround).
/// </summary>
internal sealed class RegexKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("StaticRegexFullMatch", node =>
        {
            var regex = Compile(node, node.GetString("pattern"));
            return new DelegateKernel(node, ctx => Match(ctx, regex));
        });
        registry.Add("RegexFullMatch", node => new DelegateKernel(node, ctx =>
        {
            var p = ctx.Input(1);
            if (p.DType != DataType.DtString || p.NumElements != 1) throw ctx.Error("pattern must be a string scalar.");
            Match(ctx, Compile(node, Encoding.UTF8.GetString(p.Strings[0])));
        }));
    }

    private static Regex Compile(Node node, string pattern)
    {
        try
        {
            // Anchored on both ends: a full match, as RE2::FullMatch.
            return new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new GraphExecutionException($"{node.Op} node '{node.Name}': invalid pattern '{pattern}': {e.Message}", node.Name, e);
        }
    }

    private static void Match(OpKernelContext ctx, Regex regex)
    {
        var input = ctx.Input(0);
        if (input.DType != DataType.DtString) throw ctx.Error($"input must be strings, got {DataTypes.Name(input.DType)}.");
        var o = ctx.AllocateOutput(0, DataType.DtBool, input.Shape).AsSpan<bool>();
        var s = input.Strings;
        for (int i = 0; i < s.Length; i++) o[i] = regex.IsMatch(Encoding.UTF8.GetString(s[i]));
    }
}
