using System.CommandLine;

namespace TypedGraph.Cli.Commands;

/// <summary>
/// One <c>typedgraph</c> subcommand: its System.CommandLine <see cref="Definition"/> (arguments, options, help text,
/// validators — the parser reports their errors as usage errors, exit code 2) and the work it does once the command
/// line is valid. <see cref="CliApp"/> finds every implementation in this assembly, so adding a command is adding a class.
/// </summary>
public interface ICliCommand
{
    /// <summary>The command's syntax: its name (the word after <c>typedgraph</c>), description, arguments and options.</summary>
    Command Definition { get; }

    /// <summary>Runs the command on a command line that parsed without errors; returns the exit code.</summary>
    /// <exception cref="UsageException">Arguments that are wrong in a way the parser cannot see (exit code 2).</exception>
    /// <exception cref="TypedGraphException">Bad input files (exit code 1); the message is printed on one line.</exception>
    int Execute(ParseResult parse, TextWriter stdout);
}

/// <summary>The arguments are wrong; printed with the command's usage, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
