using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// Every <c>```csharp</c> block of the repository's Markdown (README.md, docs/*.md, per-project READMEs) compiles
/// against the real TypedGraph.Runtime and the generator's class for the sample's tutorial graph.
/// </summary>
/// <remarks>
/// The wrapper rule (also in docs/snippets.md): a block is the body of an <c>async Task</c> method in a file that
/// imports <c>System</c>, <c>System.IO</c>, <c>System.Linq</c>, <c>System.Collections.Generic</c>,
/// <c>System.Threading.Tasks</c>, every public namespace of TypedGraph.Runtime and <c>Demo</c>, where the generator
/// made <c>TutorialModel</c> from <c>sample/models/my_test_model-1000.meta</c> (the README's
/// <c>ClassName="TutorialModel" Namespace="Demo"</c>). Values a fragment uses without declaring them are declared
/// by an HTML comment on the line before the fence, <c>&lt;!-- snippet-parameters: float[] x --&gt;</c>, which
/// becomes the method's parameter list. Leading <c>using</c> directives move to the top of the file and replace the
/// runtime namespaces (so a block's own usings must be enough). A block containing a <c>namespace</c> or type declaration is compiled
/// as a whole file instead. Errors and warnings both fail.
/// </remarks>
public class DocSnippetTests
{
    private static readonly Regex s_fence = new(@"^[ \t]*```(?:csharp|cs|c#)[ \t]*$", RegexOptions.IgnoreCase | RegexOptions.Multiline);
    private static readonly Regex s_parameters = new(@"<!--\s*snippet-parameters:\s*(?<p>.*?)\s*-->\s*$");
    private static readonly Regex s_wholeFile = new(@"^\s*(namespace\s|((public|internal|static|sealed|abstract|partial|file)\s+)*(class|record|struct|interface|enum)\s)", RegexOptions.Multiline);

    /// <summary>One C# block of one Markdown file.</summary>
    public sealed record Snippet(string File, int Line, string Parameters, string Code);

    /// <summary>The Markdown files of the repository, outside build output.</summary>
    private static IEnumerable<string> MarkdownFiles()
    {
        var root = Fixtures.RepoRoot;
        return Directory.EnumerateFiles(root, "*.md", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(root, f).Split(Path.DirectorySeparatorChar)
                .Any(s => s is "bin" or "obj" or ".git" or "node_modules" or "TestResults" or "BenchmarkDotNet.Artifacts"))
            .Order(StringComparer.Ordinal);
    }

    /// <summary>Extracts the C# blocks of <paramref name="markdown"/>.</summary>
    public static IEnumerable<Snippet> Extract(string file, string markdown)
    {
        var lines = markdown.Replace("\r\n", "\n").Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (!s_fence.IsMatch(lines[i])) continue;
            var parameters = i > 0 && s_parameters.Match(lines[i - 1]) is { Success: true } m ? m.Groups["p"].Value : "";
            int start = i + 1, end = start;
            while (end < lines.Length && !lines[end].TrimStart().StartsWith("```", StringComparison.Ordinal)) end++;
            if (end == lines.Length) throw new InvalidDataException($"{file}:{i + 1}: ```csharp block is never closed");
            yield return new Snippet(file, i + 1, parameters, string.Join("\n", lines[start..end]));
            i = end;
        }
    }

    public static TheoryData<string, int> AllSnippets()
    {
        var data = new TheoryData<string, int>();
        foreach (var f in MarkdownFiles())
            foreach (var s in Extract(f, File.ReadAllText(f)))
                data.Add(Path.GetRelativePath(Fixtures.RepoRoot, f).Replace('\\', '/'), s.Line);
        return data;
    }

    /// <summary>The usings every fragment sees: the BCL basics and each public namespace of TypedGraph.Runtime.</summary>
    private static string Usings(bool runtimeNamespaces)
    {
        var runtime = runtimeNamespaces
            ? typeof(TypedGraph.Tensor).Assembly.GetExportedTypes().Select(t => t.Namespace!).Where(n => n != null).Distinct().Order(StringComparer.Ordinal)
            : Enumerable.Empty<string>();
        return string.Concat(new[] { "System", "System.IO", "System.Linq", "System.Collections.Generic", "System.Threading.Tasks" }
            .Concat(runtime).Append("Demo").Select(n => $"using {n};\n"));
    }

    private static readonly Regex s_usingLine = new(@"^\s*(using\s+(static\s+)?[\w.]+(\s*=\s*[\w.]+)?\s*;\s*)+(//.*)?$");

    /// <summary>The file a snippet is compiled as, per the wrapper rule.</summary>
    public static string Wrap(Snippet s)
    {
        if (s_wholeFile.IsMatch(s.Code)) return s.Code;
        // Leading using directives (`using TypedGraph; using TypedGraph.Formats;`) go to the file; their lines stay
        // as blank lines in the body so errors still map to the right Markdown line.
        var lines = s.Code.Split('\n');
        var hoisted = new List<string>();
        for (int i = 0; i < lines.Length && (s_usingLine.IsMatch(lines[i]) || lines[i].Trim().Length == 0); i++)
            if (s_usingLine.IsMatch(lines[i])) { hoisted.Add(lines[i]); lines[i] = ""; }
        // A block that names its usings gets exactly those (so they are checked too); others get every runtime namespace.
        return string.Concat(hoisted.Select(h => h + "\n")) + Usings(runtimeNamespaces: hoisted.Count == 0)
            + $"\nnamespace DocSnippets;\n\ninternal static class Snippet\n{{\n    public static async Task Run({s.Parameters})\n    {{\n#line {s.Line + 1} \"{s.File}\"\n{string.Join("\n", lines)}\n#line default\n        await Task.CompletedTask;\n    }}\n}}\n";
    }

    [Theory]
    [MemberData(nameof(AllSnippets))]
    public void MarkdownCSharpBlock_Compiles(string file, int line)
    {
        var snippet = Extract(file, File.ReadAllText(Path.Combine(Fixtures.RepoRoot, file))).Single(s => s.Line == line);
        var graph = Path.Combine(Fixtures.RepoRoot, "sample", "models", "my_test_model-1000.meta");
        var run = GeneratorHarness.Generate(graph, new Dictionary<string, string> { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo" }, Wrap(snippet));
        var problems = run.Problems.Select(d => d.ToString()).ToList();
        Assert.True(problems.Count == 0, $"{file}:{line} does not compile:\n{string.Join("\n", problems)}\n--- compiled as:\n{Wrap(snippet)}");
    }

    [Fact]
    public void SnippetDiscovery_FindsTheReadmeQuickStartAndTheDocsBlocks()
    {
        var all = AllSnippets().Select(r => (string)r[0]).ToList();
        // README's quick start (typed + untyped), docs/training.md and docs/compat.md each show C#.
        Assert.True(all.Count(f => f == "README.md") >= 2, string.Join(", ", all));
        Assert.Contains("docs/training.md", all);
        Assert.Contains("docs/compat.md", all);
    }

    [Fact]
    public void WrapperRule_ParametersComment_DeclaresFreeValues_AndTypeDeclarationsCompileAsFiles()
    {
        var md = "text\n<!-- snippet-parameters: float[] x, int n -->\n```csharp\nvar t = Tensor.Create(x, n);\n```\n\n```csharp\nnamespace A;\nclass B { }\n```\n";
        var s = Extract("x.md", md).ToList();
        Assert.Equal(2, s.Count);
        Assert.Equal("float[] x, int n", s[0].Parameters);
        Assert.Equal(3, s[0].Line);
        Assert.Contains("public static async Task Run(float[] x, int n)", Wrap(s[0]));
        Assert.Equal("namespace A;\nclass B { }", Wrap(s[1]));
        // Leading using directives are hoisted to the file; `using var` stays a statement.
        var hoisted = Wrap(new Snippet("y.md", 1, "", "using TypedGraph; using TypedGraph.Formats;   // layers\nusing var s = new System.IO.MemoryStream();"));
        Assert.StartsWith("using TypedGraph; using TypedGraph.Formats;   // layers\n", hoisted);
        Assert.Contains("\n\nusing var s = new System.IO.MemoryStream();\n#line default", hoisted);
        // An undeclared value is a compile error that names the Markdown file and line.
        var bad = new Snippet("docs/x.md", 10, "", "var t = Tensor.Create(y, 2);");
        var run = GeneratorHarness.Generate(Path.Combine(Fixtures.RepoRoot, "sample", "models", "my_test_model-1000.meta"),
            new Dictionary<string, string> { ["ClassName"] = "TutorialModel", ["Namespace"] = "Demo" }, Wrap(bad));
        var error = Assert.Single(run.CompileDiagnostics, d => d.Severity == DiagnosticSeverity.Error);
        Assert.Equal("CS0103", error.Id);
        Assert.Equal("docs/x.md", error.Location.GetMappedLineSpan().Path);
        Assert.Equal(10, error.Location.GetMappedLineSpan().StartLinePosition.Line); // 0-based: line 11, the code line
    }
}
