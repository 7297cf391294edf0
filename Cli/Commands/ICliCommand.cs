namespace TypedGraph.Cli.Commands;

/// <summary>
/// One <c>typedgraph</c> subcommand. <see cref="CliApp"/> finds every implementation in this assembly
/// by reflection, so adding a command is adding a class.
/// </summary>
public interface ICliCommand
{
    /// <summary>The word after <c>typedgraph</c>, e.g. <c>inspect</c>.</summary>
    string Name { get; }

    /// <summary>One usage line, e.g. <c>inspect &lt;file.meta|.pb|saved_model dir&gt; [--json]</c>.</summary>
    string Usage { get; }

    /// <summary>Runs the command; returns the exit code.</summary>
    /// <exception cref="UsageException">Bad arguments (exit code 2).</exception>
    /// <exception cref="TypedGraphException">Bad input files (exit code 1); the message is printed on one line.</exception>
    int Execute(string[] args, TextWriter stdout);
}

/// <summary>The arguments are wrong; printed with the command's usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
