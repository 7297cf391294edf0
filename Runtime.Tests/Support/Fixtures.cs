namespace TypedGraph.Tests.Support;

/// <summary>
/// Locates <c>../shared/fixtures</c> (real TF-written files, read in place, never copied). Walks up from
/// the test binary to the folder holding <c>TypedGraph.sln</c> and looks beside it. Tests that need the
/// fixtures call <see cref="Root"/>, which fails loudly when the folder is missing — in CI a missing
/// fixtures folder is a broken setup, not a reason to skip.
/// </summary>
public static class Fixtures
{
    private static readonly Lazy<string?> s_root = new(Locate);

    /// <summary>The fixtures folder.</summary>
    /// <exception cref="DirectoryNotFoundException">It is not there.</exception>
    public static string Root => s_root.Value ?? throw new DirectoryNotFoundException(
        "../shared/fixtures (beside the project root) is missing: the TF-written fixture files are required by these tests.");

    /// <summary>A path inside the fixtures folder.</summary>
    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Every fixture folder (those holding a SOURCE.md).</summary>
    public static IEnumerable<string> Folders => Directory.GetDirectories(Root)
        .Where(d => File.Exists(System.IO.Path.Combine(d, "SOURCE.md"))).Order(StringComparer.Ordinal);

    /// <summary>The project root (folder with TypedGraph.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "TypedGraph.sln"))) return dir.FullName;
            throw new DirectoryNotFoundException("TypedGraph.sln not found above " + AppContext.BaseDirectory);
        }
    }

    private static string? Locate()
    {
        var env = Environment.GetEnvironmentVariable("TYPEDGRAPH_FIXTURES");
        if (!string.IsNullOrEmpty(env) && Directory.Exists(env)) return env;
        var p = System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared", "fixtures"));
        return Directory.Exists(p) ? p : null;
    }
}
