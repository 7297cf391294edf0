using TypedGraph.Cli.Commands;

namespace TypedGraph.Tests.Support;

/// <summary>Runs the <c>typedgraph</c> CLI in-process and captures what it prints (CLI tests share it via <c>using static</c>).</summary>
internal static class CliRunner
{
    /// <summary>The exit code and the text written to stdout and stderr by <c>typedgraph args…</c>.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }
}
