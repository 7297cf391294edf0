using System.Reflection;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// The <c>typedgraph</c> entry point, callable in-process (tests do): dispatches to the
/// <see cref="ICliCommand"/> named by the first argument; any error becomes a one-line reason on
/// stderr and a non-zero exit code (1 bad input, 2 bad usage).
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
        var command = Commands.FirstOrDefault(c => c.Name == args[0]);
        if (command == null)
        {
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
            stderr.WriteLine($"typedgraph {command.Name}: {e.Message}");
            stderr.WriteLine("usage: typedgraph " + command.Usage);
            return 2;
        }
        catch (Exception e) when (e is TypedGraphException or IOException or UnauthorizedAccessException
            or KeyNotFoundException or NotSupportedException or ArgumentException or InvalidOperationException)
        {
            stderr.WriteLine($"typedgraph {command.Name}: error: {OneLine(e.Message)}");
            return 1;
        }
    }

    private static string UsageText()
        => "usage:\n" + string.Concat(Commands.Select(c => "  typedgraph " + c.Usage + "\n"))
            + $"(typedgraph {Assembly.GetExecutingAssembly().GetName().Version})\n";

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
