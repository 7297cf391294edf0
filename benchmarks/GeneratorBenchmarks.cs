extern alias gen;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using GraphFileOptions = gen::TypedGraph.Generator.Model.GraphFileOptions;
using TypedGraphGenerator = gen::TypedGraph.Generator.TypedGraphGenerator;

namespace TypedGraph.Benchmarks;

/// <summary>
/// How long the source generator takes on big graphs: the ~5.6 MB VGG-like <c>.meta</c> (~8,400 nodes,
/// <see cref="LargeGraph"/>) and a ~12,000-node training script's <c>.meta</c> (<see cref="TrainingGraph"/>:
/// MLP + Adam + Saver, exported by our MetaGraphExporter): parse alone, parse + emit, and a full
/// <c>CSharpGeneratorDriver</c> run as the compiler does it. Budget (issue 11): ≤ 300 ms on the 5.6 MB graph,
/// ≤ 150 ms on the 12k-node one. Run:
/// <c>dotnet run -c Release --project benchmarks -- --filter *GeneratorBenchmarks*</c>
/// </summary>
[MemoryDiagnoser]
public class GeneratorBenchmarks
{
    private string _path = "";
    private byte[] _bytes = [];
    private GraphFileOptions _options = null!;
    private CSharpCompilation _compilation = null!;

    /// <summary>Which graph: <c>vgg-5.6MB</c> or <c>training-12k</c>.</summary>
    [Params("vgg-5.6MB", "training-12k")]
    public string Graph { get; set; } = "vgg-5.6MB";

    /// <summary>Writes the graph to a temp file once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var meta = Graph == "training-12k" ? TrainingGraph.Build(210) : LargeGraph.Build(600);
        _bytes = meta.ToByteArray();
        _path = Path.Combine(Path.GetTempPath(), $"typedgraph-bench-{Environment.ProcessId}.meta");
        File.WriteAllBytes(_path, _bytes);
        _options = new GraphFileOptions("BigModel", "Bench", "internal", "", "");
        _compilation = CSharpCompilation.Create("Bench", [], [], new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Console.WriteLine($"// graph: {_bytes.Length / 1e6:F2} MB, {meta.GraphDef.Node.Count} nodes");
    }

    /// <summary>Deletes the temp file.</summary>
    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    /// <summary>Bytes → model (protobuf parse, reachability, names).</summary>
    [Benchmark]
    public object Parse() => TypedGraphGenerator.Parser.Parse(_bytes, _path, _options, CancellationToken.None);

    /// <summary>Bytes → model → C# source.</summary>
    [Benchmark]
    public int ParseAndEmit()
        => TypedGraphGenerator.Emitter.Emit(TypedGraphGenerator.Parser.Parse(_bytes, _path, _options, CancellationToken.None).Spec!).Length;

    /// <summary>The whole incremental generator through Roslyn's driver, reading the file from disk.</summary>
    [Benchmark]
    public int Driver()
    {
        var driver = CSharpGeneratorDriver.Create([new TypedGraphGenerator().AsSourceGenerator()], [new FileText(_path)]);
        return driver.RunGenerators(_compilation).GetRunResult().GeneratedTrees.Length;
    }

    private sealed class FileText(string path) : AdditionalText
    {
        public override string Path { get; } = path;
        public override SourceText? GetText(CancellationToken cancellationToken = default) => null;
    }
}
