using System.Reflection;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// The <c>typedgraph</c> entry point, callable in-process (tests do): dispatches to the
/// <see cref="ICliCommand"/> named by the first argument; any error becomes a one-line reason on
/// stderr (with <c>--json</c>: one JSON object on stdout, <c>{"command","error","kind","exitCode"}</c>) and a
/// non-zero exit code (1 bad input or failure, 2 bad usage). No exception escapes as an abort.
/// </summary>
public static class CliApp
{
    private static readonly Lazy<IReadOnlyList<ICliCommand>> s_commands = new(() => typeof(CliApp).Assembly.GetTypes()
        .Where(t => typeof(ICliCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) != null)
        .Select(t => (ICliCommand)Activator.CreateInstance(t)!)
        .OrderBy(c => c.Name, StringComparer.Ordinal)
        .ToList());

    /// <summary>Every command, sorted by name.</summary>
    public static IReadOnlyList<ICliCommand> Commands => s_commands.Value;

    /// <summary>Runs <paramref name="args"/>; returns the exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Length == 0 ? stderr : stdout).Write(UsageText());
            return args.Length == 0 ? 2 : 0;
        }
        bool json = args.Contains("--json");
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command == null)
        {
            if (json) return JsonError(stdout, null, $"unknown command '{args[0]}'", "UsageException", 2);
            stderr.WriteLine($"typedgraph: unknown command '{args[0]}'");
            stderr.Write(UsageText());
            return 2;
        }
        try
        {
            return command.Execute(args[1..], stdout);
        }
        catch (UsageException e)
        {
            if (json) return JsonError(stdout, command.Name, e.Message + "; usage: typedgraph " + command.Usage, nameof(UsageException), 2);
            stderr.WriteLine($"typedgraph {command.Name}: {e.Message}");
            stderr.WriteLine("usage: typedgraph " + command.Usage);
            return 2;
        }
        catch (Exception e) when (e is TypedGraphException or IOException or UnauthorizedAccessException
            or KeyNotFoundException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            return Error(stdout, stderr, json, command.Name, OneLine(e.Message), e);
        }
        catch (OutOfMemoryException e)
        {
            return Error(stdout, stderr, json, command.Name, "out of memory: " + OneLine(e.Message), e);
        }
        catch (Exception e)
        {
            // A defect of ours, not of the input; still one line and an exit code rather than an abort with a stack trace.
            return Error(stdout, stderr, json, command.Name, $"internal error ({e.GetType().Name}): {OneLine(e.Message)}", e);
        }
    }

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
        => "usage:\n" + string.Concat(Commands.Select(c => "  typedgraph " + c.Usage + "\n"))
            + $"(typedgraph {Assembly.GetExecutingAssembly().GetName().Version})\n";

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
