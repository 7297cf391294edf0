using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace TypedGraph.Generator.Tests.Support;

/// <summary>
/// Golden-file snapshots beside the tests (Generator.Tests/Golden/*.g.cs). To re-accept after an
/// intended change: <c>TYPEDGRAPH_ACCEPT=1 dotnet test Generator.Tests -c Release</c>, then review the diff.
/// The embedded base64 graph is masked (its content is pinned by the ContentSha256 constant instead).
/// </summary>
public static partial class Golden
{
    /// <summary>Compares <paramref name="actual"/> with the golden file, or rewrites it when accepting.</summary>
    public static void Verify(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        var path = Path.Combine(Path.GetDirectoryName(callerPath)!, "Golden", name);
        path = Path.GetFullPath(path);
        var masked = Mask(actual);
        if (Environment.GetEnvironmentVariable("TYPEDGRAPH_ACCEPT") == "1")
        {
            File.WriteAllText(path, masked);
            return;
        }
        Assert.True(File.Exists(path), $"Golden file {path} is missing; run with TYPEDGRAPH_ACCEPT=1 to create it.");
        var expected = File.ReadAllText(path).ReplaceLineEndings("\n");
        if (expected != masked)
        {
            var e = expected.Split('\n');
            var a = masked.Split('\n');
            int i = 0;
            while (i < e.Length && i < a.Length && e[i] == a[i]) i++;
            Assert.Fail($"Generated source differs from {name} at line {i + 1}:\n  expected: {(i < e.Length ? e[i] : "<end>")}\n  actual:   {(i < a.Length ? a[i] : "<end>")}\nRe-accept with TYPEDGRAPH_ACCEPT=1 if the change is intended.");
        }
    }

    /// <summary>Replaces the embedded base64 with its length.</summary>
    public static string Mask(string source)
        => Base64Literal().Replace(source, m => $"GraphBytes => \"<base64: {m.Groups[1].Length} chars>\"u8;");

    [GeneratedRegex("GraphBytes => \"([A-Za-z0-9+/=]*)\"u8;")]
    private static partial Regex Base64Literal();
}
