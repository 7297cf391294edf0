extern alias gen;
using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using TypedGraphGenerator = gen::TypedGraph.Generator.TypedGraphGenerator;

namespace TypedGraph.Generator.Tests.Support;

/// <summary>An AdditionalFiles item backed by a real file (the generator reads the bytes from the path).</summary>
public sealed class FileAdditionalText(string path) : AdditionalText
{
    /// <inheritdoc/>
    public override string Path { get; } = path;

    // The generator must never call this for a binary graph; returning nothing proves it does not need it.
    /// <inheritdoc/>
    public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
}

/// <summary>Item metadata as the compiler exposes it (<c>build_metadata.AdditionalFiles.*</c>).</summary>
public sealed class TestOptionsProvider(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> perFile,
    IReadOnlyDictionary<string, string>? global = null) : AnalyzerConfigOptionsProvider
{
    private sealed class Options(IReadOnlyDictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value)
        {
            if (values.TryGetValue(key, out var v)) { value = v; return true; }
            value = ""; return false;
        }
    }

    /// <inheritdoc/>
    public override AnalyzerConfigOptions GlobalOptions { get; } = new Options(global ?? new Dictionary<string, string>());

    /// <inheritdoc/>
    public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(new Dictionary<string, string>());

    /// <inheritdoc/>
    public override AnalyzerConfigOptions GetOptions(AdditionalText textFile)
        => new Options(perFile.TryGetValue(textFile.Path, out var m)
            ? m.ToDictionary(kv => "build_metadata.AdditionalFiles." + kv.Key, kv => kv.Value)
            : new Dictionary<string, string>());
}

/// <summary>Runs the generator the way the compiler does and compiles the result.</summary>
public static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(() =>
    {
        // The whole shared framework plus the runtime the generated code calls.
        var tpa = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var refs = tpa.Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                                  || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToList();
        refs.Add(MetadataReference.CreateFromFile(typeof(TypedGraph.Tensor).Assembly.Location));
        refs.Add(MetadataReference.CreateFromFile(typeof(Google.Protobuf.IMessage).Assembly.Location));
        return [.. refs];
    });

    /// <summary>Parse options the generated code needs (UTF-8 literals: C# 11+).</summary>
    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Latest);

    /// <summary>A compilation of <paramref name="sources"/> against the framework and TypedGraph.Runtime.</summary>
    public static CSharpCompilation Compilation(params string[] sources)
        => CSharpCompilation.Create("Consumer",
            sources.Select(s => CSharpSyntaxTree.ParseText(s, ParseOptions)),
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    /// <summary>A driver with the generator, tracking steps, over the given graph files.</summary>
    public static GeneratorDriver Driver(IEnumerable<string> graphFiles,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? metadata = null,
        IReadOnlyDictionary<string, string>? global = null)
        => Driver(graphFiles.Select(f => (AdditionalText)new FileAdditionalText(f)), metadata, global);

    /// <summary>What the TypedGraph props tell the compiler: graphs are embedded as resources.</summary>
    public static IReadOnlyDictionary<string, string> EmbeddingGlobals { get; } =
        new Dictionary<string, string> { ["build_property.TypedGraphEmbedGraphs"] = "true" };

    /// <summary>A driver with the generator, tracking steps, over the given additional texts. Without
    /// <paramref name="global"/> the build properties are those the props set (<see cref="EmbeddingGlobals"/>).</summary>
    public static GeneratorDriver Driver(IEnumerable<AdditionalText> texts,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>? metadata = null,
        IReadOnlyDictionary<string, string>? global = null)
    {
        var list = texts.ToList();
        foreach (var t in list) EmbeddedGraphs.Register(t.Path);
        return CSharpGeneratorDriver.Create(
            [new TypedGraphGenerator().AsSourceGenerator()],
            list,
            ParseOptions,
            new TestOptionsProvider(metadata ?? new Dictionary<string, IReadOnlyDictionary<string, string>>(), global ?? EmbeddingGlobals),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
    }

    /// <summary>Result of one generator run plus the compilation of its output.</summary>
    public sealed record Run(GeneratorDriverRunResult Result, Compilation Output, ImmutableArray<Diagnostic> GeneratorDiagnostics,
        ImmutableArray<Diagnostic> CompileDiagnostics)
    {
        /// <summary>The single generated source.</summary>
        public string Source => Result.GeneratedTrees.Single().GetText().ToString();

        /// <summary>
        /// Compiler and generator errors and warnings, except TG0002 (unsupported ops: it depends on
        /// which kernels the runtime has today, which the generator tests do not pin).
        /// </summary>
        public IEnumerable<Diagnostic> Problems => CompileDiagnostics.Concat(GeneratorDiagnostics)
            .Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "TG0002");
    }

    /// <summary>Generates from <paramref name="graphFile"/> (optional item metadata) and compiles with <paramref name="userCode"/>.</summary>
    public static Run Generate(string graphFile, IReadOnlyDictionary<string, string>? metadata = null, params string[] userCode)
    {
        var meta = new Dictionary<string, IReadOnlyDictionary<string, string>>();
        if (metadata != null) meta[graphFile] = metadata;
        var driver = Driver([graphFile], meta).RunGeneratorsAndUpdateCompilation(Compilation(userCode), out var output, out var diags);
        return new Run(driver.GetRunResult(), output, diags, output.GetDiagnostics());
    }
}
