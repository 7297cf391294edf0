using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using System.Reflection;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// The <c>typedgraph</c> entry point, callable in-process (tests do). The command line is parsed by System.CommandLine
/// against every <see cref="ICliCommand.Definition"/>: <c>--help</c>/<c>-h</c> (also <c>typedgraph help [command]</c>),
/// <c>--version</c> and shell completion through the <c>[suggest]</c> directive come from there. Any error becomes a
/// one-line reason on stderr (with <c>--json</c>: one JSON object on stdout, <c>{"command","error","kind","exitCode"}</c>)
/// and a non-zero exit code (1 bad input or failure, 2 bad usage). No exception escapes as an abort.
/// </summary>
public static class CliApp
{
    private static readonly Lazy<IReadOnlyList<ICliCommand>> s_commands = new(() => typeof(CliApp).Assembly.GetTypes()
        .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) != null)
        .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
        .OrderBy(c => c.Definition.Name, StringComparer.Ordinal)
        .ToList());

    private static readonly Lazy<RootCommand> s_root = new(() =>
    {
        var root = new RootCommand("typedgraph: inspect TensorFlow graphs, list/verify/dump/re-save checkpoints, run, export and serve models "
            + "with the pure-.NET TypedGraph runtime.");
        foreach (var c in Commands) root.Subcommands.Add(c.Definition);
        return root;
    });

    // No @response-file expansion: the old hand parser had none, and '@' already means "read this file" inside --feed values.
    private static readonly ParserConfiguration s_parser = new() { ResponseFileTokenReplacer = null };

    /// <summary>Every command, sorted by name.</summary>
    public static IReadOnlyList<ICliCommand> Commands => s_commands.Value;

    /// <summary>The root command holding every <see cref="ICliCommand.Definition"/> (for help and completion).</summary>
    public static RootCommand Root => s_root.Value;

    /// <summary>Runs <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var invocation = new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false };
        if (args.Length == 0)
        {
            // Nothing asked: the overview goes to stderr and it is a usage error, as before the System.CommandLine port.
            Root.Parse(["--help"], s_parser).Invoke(new InvocationConfiguration { Output = stderr, Error = stderr });
            return 2;
        }
        if (args[0] == "help") args = [.. args[1..], "--help"];
        var parse = Root.Parse(args, s_parser);
        bool json = args.Contains("--json");
        var command = Commands.FirstOrDefault(c => c.Definition == parse.CommandResult.Command);
        // --help, --version and [suggest] are System.CommandLine's own actions; they win over errors elsewhere on the line.
        if (parse.Action is not null and not ParseErrorAction)
            return parse.Invoke(invocation);
        if (command == null)
        {
            var word = parse.UnmatchedTokens.FirstOrDefault() ?? args[0];
            var message = word.StartsWith('-') ? $"unknown option {OptionName(word)}" : $"unknown command '{word}'";
            if (json) return JsonError(stdout, null, message, nameof(UsageException), 2);
            stderr.WriteLine($"typedgraph: {message}");
            stderr.Write(UsageText());
            return 2;
        }
        var name = command.Definition.Name;
        try
        {
            if (FirstError(parse, command) is { } error) throw new UsageException(error);
            return command.Execute(parse, stdout);
        }
        catch (UsageException e)
        {
            if (json) return JsonError(stdout, name, e.Message + "; usage: typedgraph " + Synopsis(command.Definition), nameof(UsageException), 2);
            stderr.WriteLine($"typedgraph {name}: {e.Message}");
            stderr.WriteLine("usage: typedgraph " + Synopsis(command.Definition));
            return 2;
        }
        catch (Exception e) when (e is TypedGraphException or IOException or UnauthorizedAccessException
            or KeyNotFoundException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return Error(stdout, stderr, json, name, OneLine(e.Message), e);
        }
        catch (OutOfMemoryException e)
        {
            return Error(stdout, stderr, json, name, "out of memory: " + OneLine(e.Message), e);
        }
        catch (Exception e)
        {
            // A defect of ours, not of the input; still one line and an exit code rather than an abort with a stack trace.
            return Error(stdout, stderr, json, name, $"internal error ({e.GetType().Name}): {OneLine(e.Message)}", e);
        }
    }

    /// <summary>
    /// One usage line built from the command's definition: <c>&lt;argument&gt;</c> for each positional, then each option
    /// (<c>[…]</c> unless required; <c>...</c> when it may repeat).
    /// </summary>
    public static string Synopsis(Command command)
    {
        var parts = new List<string> { command.Name };
        foreach (var a in command.Arguments.Where(a => !a.Hidden)) parts.Add($"<{a.HelpName ?? a.Name}>");
        foreach (var o in command.Options.Where(o => !o.Hidden && o is not HelpOption))
        {
            var alias = o.Aliases.Where(a => a.Length < o.Name.Length).OrderBy(a => a.Length).FirstOrDefault() ?? o.Name;
            var text = o.ValueType == typeof(bool) ? alias : $"{alias} <{o.HelpName ?? o.Name.TrimStart('-')}>";
            if (o.Arity.MaximumNumberOfValues > 1) text += " ...";
            parts.Add(o.Required ? text : $"[{text}]");
        }
        return string.Join(" ", parts);
    }

    // Unknown words get the wording of the pre-System.CommandLine parser ("unknown option --x", "unexpected argument 'y'");
    // a missing positional names what is expected; other errors are the parser's or a validator's own message.
    private static string? FirstError(ParseResult parse, ICliCommand command)
    {
        if (parse.UnmatchedTokens.FirstOrDefault() is { } word)
            return word.StartsWith('-') && word.Length > 1 ? $"unknown option {OptionName(word)}" : $"unexpected argument '{word}'";
        // A bad value (an option's or argument's own error) explains more than a rule about combining options.
        foreach (var e in parse.Errors.OrderBy(e => e.SymbolResult is CommandResult ? 1 : 0))
        {
            if (e.SymbolResult is ArgumentResult { Tokens.Count: 0 } missing && missing.Argument.Parents.Contains(command.Definition))
                return $"expected <{missing.Argument.HelpName ?? missing.Argument.Name}>";
            return e.Message;
        }
        return null;
    }

    private static string OptionName(string token) => token.IndexOf('=') is > 0 and var eq ? token[..eq] : token;

    private static int Error(TextWriter stdout, TextWriter stderr, bool json, string command, string message, Exception e)
    {
        if (json) return JsonError(stdout, command, message, e.GetType().Name, 1);
        stderr.WriteLine($"typedgraph {command}: error: {message}");
        return 1;
    }

    // One compact JSON object on one line, so a consumer of --json output always gets parseable JSON.
    private static int JsonError(TextWriter stdout, string? command, string message, string kind, int exitCode)
    {
        using var ms = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(ms, new System.Text.Json.JsonWriterOptions { Encoder = CliJson.Options.Encoder }))
        {
            w.WriteStartObject();
            if (command != null) w.WriteString("command", command);
            w.WriteString("error", OneLine(message));
            w.WriteString("kind", kind);
            w.WriteNumber("exitCode", exitCode);
            w.WriteEndObject();
        }
        stdout.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
        return exitCode;
    }

    private static string UsageText()
        => "usage:\n" + string.Concat(Commands.Select(c => "  typedgraph " + Synopsis(c.Definition) + "\n"))
            + $"(typedgraph {Assembly.GetExecutingAssembly().GetName().Version}; typedgraph <command> --help for details)\n";

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
