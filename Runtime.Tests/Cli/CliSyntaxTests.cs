using System.Text.Json;
using TypedGraph.Cli.Commands;
using static TypedGraph.Tests.Support.CliRunner;

namespace TypedGraph.Tests.Cli;

/// <summary>
/// The System.CommandLine front end of <c>typedgraph</c>: help text (overall and per command), usage errors (one reason
/// plus the command's usage line, exit code 2, one JSON object with <c>--json</c>) and shell completion through the
/// <c>[suggest]</c> directive.
/// </summary>
public sealed class CliSyntaxTests
{
    private static readonly string[] s_commandNames = ["ckpt", "events", "export-onnx", "export-savedmodel", "inspect", "ops", "run", "serve"];

    [Fact]
    public void Help_lists_every_command_on_stdout_with_exit_0_and_no_arguments_prints_it_on_stderr_with_exit_2()
    {
        var (code, stdout, stderr) = Run("--help");
        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        foreach (var name in s_commandNames) Assert.Contains("  " + name + " ", stdout);
        Assert.Equal(stdout, Run("help").Out);
        (code, var none, stderr) = Run();
        Assert.Equal(2, code);
        Assert.Equal("", none);
        Assert.Equal(stdout, stderr);
    }

    [Fact]
    public void Command_help_describes_every_option_and_help_word_gives_the_same_text()
    {
        var (code, stdout, _) = Run("run", "--help");
        Assert.Equal(0, code);
        foreach (var option in new[] { "--checkpoint <prefix|dir>", "--init", "--feed <name=VALUE|name=@x.npy>", "--fetch <name:0>", "--target <op>", "--out <y.npy>", "--batch-size <N>", "--json" })
            Assert.Contains("  " + option + " ", stdout);
        Assert.Contains("<file.meta|file.pb|saved_model dir>", stdout);
        Assert.Equal(stdout, Run("help", "run").Out);
        var exportHelp = Run("export-onnx", "-h").Out;
        Assert.Contains("-o, --out <model.onnx>", exportHelp);
        Assert.Contains("(REQUIRED)", exportHelp);
    }

    [Fact]
    public void Usage_line_names_every_option_of_the_command()
    {
        foreach (var command in CliApp.Commands)
        {
            var synopsis = CliApp.Synopsis(command.Definition);
            Assert.StartsWith(command.Definition.Name + " ", synopsis + " ");
            foreach (var option in command.Definition.Options.Where(o => o is not System.CommandLine.Help.HelpOption))
                Assert.True(option.Aliases.Append(option.Name).Any(a => synopsis.Contains(a + " ") || synopsis.EndsWith(a) || synopsis.Contains(a + "]")),
                    $"{option.Name} missing from '{synopsis}'");
        }
        Assert.Equal("export-onnx <file.meta|file.pb|saved_model dir> [--checkpoint <prefix|dir>] [--init] --input <x:0[=-1x784][,...]> --output <y:0[,...]> [--opset <17>] -o <model.onnx> [--json]",
            CliApp.Synopsis(CliApp.Commands.Single(c => c.Definition.Name == "export-onnx").Definition));
    }

    /// <summary>A command line with a usage error and the reason the CLI must give.</summary>
    public static TheoryData<string[], string> UsageErrors() => new()
    {
        { ["serve", "models", "--port", "70000"], "--port expects an integer in 0..65535, got '70000'" },
        { ["serve", "models", "--host", "localhost"], "--host expects an IP address, got 'localhost'" },
        { ["ckpt", "model.ckpt", "--out", "x.npy"], "--out needs --tensor NAME" },
        { ["ckpt", "model.ckpt", "--tensor", "w", "--resave", "copy"], "--tensor and --resave cannot be combined" },
        { ["ckpt"], "expected <prefix|dir>" },
        { ["inspect", "a.meta", "b.meta"], "unexpected argument 'b.meta'" },
        { ["ops", "--verbose=2"], "unknown option --verbose" },
        { ["run", "m.meta", "--feed", "x"], "--feed expects name=VALUE or name=@file.npy, got 'x'" },
        { ["run", "m.meta", "--feed", "x=1"], "nothing to do: give at least one --fetch or --target" },
        { ["run", "m.meta", "--fetch", "y:0", "--batch-size", "-3", "--out", "y.npy"], "--batch-size expects a positive integer, got '-3'" },
        { ["export-onnx", "m.meta", "--input", "x:0", "--output", "y:0", "--opset", "seventeen", "-o", "m.onnx"], "--opset expects a number, got 'seventeen'" },
        { ["export-savedmodel", "m.meta", "--input", "x:0", "--output", "y:0"], "Option '--out' is required." },
    };

    /// <summary>The <see cref="UsageErrors"/> of commands that have a <c>--json</c> option.</summary>
    public static TheoryData<string[], string> UsageErrorsOfJsonCommands()
    {
        var result = new TheoryData<string[], string>();
        foreach (var row in UsageErrors())
        {
            var (args, reason) = ((string[])row[0], (string)row[1]);
            if (Command(args[0]).Definition.Options.Any(o => o.Name == "--json")) result.Add(args, reason);
        }
        return result;
    }

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public void Usage_errors_print_the_reason_and_the_usage_line_on_stderr_and_exit_2(string[] args, string reason)
    {
        var (code, stdout, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal($"typedgraph {args[0]}: {reason}", lines[0]);
        Assert.Equal("usage: typedgraph " + CliApp.Synopsis(Command(args[0]).Definition), lines[1]);
    }

    [Theory]
    [MemberData(nameof(UsageErrorsOfJsonCommands))]
    public void Usage_errors_with_json_are_one_object_with_reason_and_usage_and_exit_2(string[] args, string reason)
    {
        var (code, stdout, stderr) = Run([.. args, "--json"]);
        Assert.Equal(2, code);
        Assert.Equal("", stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(args[0], doc.RootElement.GetProperty("command").GetString());
        Assert.Equal($"{reason}; usage: typedgraph {CliApp.Synopsis(Command(args[0]).Definition)}", doc.RootElement.GetProperty("error").GetString());
        Assert.Equal("UsageException", doc.RootElement.GetProperty("kind").GetString());
        Assert.Equal(2, doc.RootElement.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void Suggest_directive_completes_command_names_and_the_options_of_the_typed_command()
    {
        Assert.Equal(["export-onnx", "export-savedmodel"], Lines(Run("[suggest:2]", "ex")));
        Assert.Equal(["export-onnx", "export-savedmodel"], Lines(Run("[suggest:13]", "typedgraph ex")));
        Assert.Equal(["--batch-size"], Lines(Run("[suggest:7]", "run --b")));
        var ckptOptions = Lines(Run("[suggest:7]", "ckpt --"));
        foreach (var option in new[] { "--verify", "--json", "--tensor", "--out", "--resave" }) Assert.Contains(option, ckptOptions);
        Assert.DoesNotContain("--fetch", ckptOptions);
    }

    private static ICliCommand Command(string name) => CliApp.Commands.Single(c => c.Definition.Name == name);

    private static string[] Lines((int Code, string Out, string Err) result)
    {
        Assert.True(result.Code == 0, result.Err);
        return result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
