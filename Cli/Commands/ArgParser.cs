namespace TypedGraph.Cli.Commands;

/// <summary>
/// Plain argument parsing for the small, fixed option sets of our commands: positionals, boolean
/// flags (<c>--json</c>) and valued options (<c>--out x.npy</c> or <c>--out=x.npy</c>).
/// </summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    private ParsedArgs() { }

    /// <summary>Arguments that are not options, in order.</summary>
    public List<string> Positionals { get; } = [];

    /// <summary>True when the flag or option was given.</summary>
    public bool Has(string name) => _options.ContainsKey(name);

    /// <summary>The value of a valued option, or null.</summary>
    public string? Get(string name) => _options.GetValueOrDefault(name);

    /// <summary>Parses <paramref name="args"/>.</summary>
    /// <exception cref="UsageException">An unknown option or a valued option without a value.</exception>
    public static ParsedArgs Parse(string[] args, IReadOnlyCollection<string> flags, IReadOnlyCollection<string> valued)
    {
        var result = new ParsedArgs();
        for (int i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--")
            {
                result.Positionals.Add(a);
                continue;
            }
            int eq = a.IndexOf('=');
            var name = eq > 0 ? a[..eq] : a;
            if (flags.Contains(name))
            {
                if (eq > 0) throw new UsageException($"{name} takes no value");
                result._options[name] = null;
            }
            else if (valued.Contains(name))
            {
                string? value = eq > 0 ? a[(eq + 1)..] : i + 1 < args.Length ? args[++i] : null;
                if (string.IsNullOrEmpty(value)) throw new UsageException($"{name} needs a value");
                result._options[name] = value;
            }
            else throw new UsageException($"unknown option {name}");
        }
        return result;
    }
}
