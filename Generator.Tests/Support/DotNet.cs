using System.Diagnostics;

namespace TypedGraph.Generator.Tests.Support;

/// <summary>Runs the <c>dotnet</c> CLI from tests (packing, building a consumer outside the solution).</summary>
public static class DotNet
{
    /// <summary>Runs <c>dotnet {args}</c> in <paramref name="workingDirectory"/>; returns exit code and combined output.</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, params string[] args)
        => Start("dotnet", workingDirectory, args);

    /// <summary>
    /// Runs an app host (an installed tool's <c>typedgraph</c>, say) with <c>DOTNET_ROOT</c> set to the running .NET,
    /// so it finds the runtime wherever this machine keeps it.
    /// </summary>
    public static (int ExitCode, string Output) RunProgram(string program, string workingDirectory, params string[] args)
    {
        // …/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll → the dotnet root, three levels up.
        var root = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        return Start(program, workingDirectory, args, ("DOTNET_ROOT", root));
    }

    private static (int ExitCode, string Output) Start(string fileName, string workingDirectory, string[] args, params (string Name, string Value)[] environment)
    {
        var psi = new ProcessStartInfo(fileName) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        // Keep the child off the test run's MSBuild node reuse so nothing lingers after the test.
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in 8 minutes.");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}

/// <summary>Tests that run <c>dotnet build/pack</c> on the repo's projects share this collection, so they never build concurrently.</summary>
[CollectionDefinition(Name)]
public sealed class DotNetCliCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "dotnet CLI";
}
