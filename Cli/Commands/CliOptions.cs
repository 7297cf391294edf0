using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace TypedGraph.Cli.Commands;

/// <summary>Option and argument definitions shared by several commands, so each is spelled and described once.</summary>
internal static class CliOptions
{
    /// <summary><c>--json</c>: results (and errors) as one JSON object on stdout.</summary>
    public static Option<bool> Json() => new("--json") { Description = "Print the result (or the error) as JSON on stdout." };

    /// <summary>The graph positional: a <c>.meta</c>, a frozen <c>.pb</c> or a SavedModel folder.</summary>
    public static Argument<string> Graph() => new("graph")
    {
        HelpName = "file.meta|file.pb|saved_model dir",
        Description = "A MetaGraphDef (.meta), a frozen GraphDef (.pb) or a SavedModel directory.",
    };

    /// <summary><c>--checkpoint</c>: where the variables come from.</summary>
    public static Option<string> Checkpoint() => new("--checkpoint")
    {
        HelpName = "prefix|dir",
        Description = "Restore variables from this V2 checkpoint (a prefix, or a folder with a 'checkpoint' file). "
            + "Default: a SavedModel's own variables/variables.",
    };

    /// <summary><c>--init</c>: run the initializers instead of restoring.</summary>
    public static Option<bool> Init() => new("--init") { Description = "Run the variables' initializers instead of restoring a checkpoint." };

    /// <summary>An integer option limited to <paramref name="min"/>..<paramref name="max"/>; anything else is a usage error.</summary>
    public static Option<int> IntInRange(string name, int fallback, int min, int max, string description) => new(name)
    {
        HelpName = "N",
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseInt(r, name, min, max, $"{name} expects an integer in {min}..{max}, got '{{0}}'") ?? fallback,
    };

    /// <summary>
    /// Parses the single token of <paramref name="r"/> as a plain (sign-less) invariant integer in range, or adds
    /// <paramref name="errorFormat"/> (with the token as <c>{0}</c>) as a parse error and returns null.
    /// </summary>
    public static int? ParseInt(ArgumentResult r, string name, int min, int max, string errorFormat)
    {
        var s = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
        if (int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        r.AddError(string.Format(CultureInfo.InvariantCulture, errorFormat, s));
        return null;
    }

    /// <summary>A comma-separated list with empty entries dropped and entries trimmed.</summary>
    public static string[] CommaList(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
