using System.Reflection;
using Google.Protobuf;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Completion;
using Microsoft.CodeAnalysis.QuickInfo;
using Microsoft.CodeAnalysis.Tags;
using Microsoft.CodeAnalysis.Text;
using TypedGraph.Generator.Tests.Support;

namespace TypedGraph.Generator.EditorTests;

/// <summary>
/// What a user sees in the editor, computed by Roslyn's own IntelliSense engine (<see cref="CompletionService"/>,
/// <see cref="QuickInfoService"/> from Microsoft.CodeAnalysis.CSharp.Features, the services Visual Studio and the C#
/// extension use) over an <see cref="AdhocWorkspace"/> holding the generator's output and the user's code.
/// </summary>
public class IntelliSenseTests
{
    private const string Caret = "$$";

    /// <summary>A workspace document of user code (with <see cref="Caret"/> marking the cursor) next to the generated class.</summary>
    private static (Document Document, int Position) Open(string generated, string userCode)
    {
        int position = userCode.IndexOf(Caret, StringComparison.Ordinal);
        Assert.True(position >= 0, "user code needs a caret");
        userCode = userCode.Remove(position, Caret.Length);
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Create(), "Consumer", "Consumer",
            LanguageNames.CSharp,
            compilationOptions: GeneratorHarness.Compilation().Options,
            parseOptions: GeneratorHarness.ParseOptions,
            metadataReferences: GeneratorHarness.Compilation().References));
        project = workspace.AddDocument(project.Id, "Model.g.cs", SourceText.From(generated)).Project;
        var document = workspace.AddDocument(project.Id, "Program.cs", SourceText.From(userCode));
        return (document, position);
    }

    private static string Generate(string graphFile, string className)
    {
        var run = GeneratorHarness.Generate(graphFile, new Dictionary<string, string> { ["ClassName"] = className, ["Namespace"] = "Demo" });
        Assert.Empty(run.Problems);
        return run.Source;
    }

    private static async Task<IReadOnlyList<CompletionItem>> CompleteAsync(string generated, string userCode)
    {
        var (document, position) = Open(generated, userCode);
        var service = CompletionService.GetService(document);
        Assert.NotNull(service);
        var list = await service.GetCompletionsAsync(document, position);
        return list.ItemsList;
    }

    /// <summary>The quick-info popup's sections (signature line, documentation), as the editor renders them.</summary>
    private static async Task<(string Description, string Documentation)> QuickInfoAsync(string generated, string userCode)
    {
        var (document, position) = Open(generated, userCode);
        var service = QuickInfoService.GetService(document);
        Assert.NotNull(service);
        var info = await service.GetQuickInfoAsync(document, position);
        Assert.NotNull(info);
        string Section(string kind) => info.Sections.FirstOrDefault(s => s.Kind == kind)?.Text ?? "";
        return (Section(QuickInfoSectionKinds.Description), Section(QuickInfoSectionKinds.DocumentationComments));
    }

    /// <summary>
    /// Names completion lists for a <see cref="TypedGraph.Typed.GraphModel"/> (or a scope) whatever the graph: the base
    /// class's public instance properties and methods and <see cref="object"/>'s, taken by reflection (not from the editor).
    /// </summary>
    private static HashSet<string> InheritedNames() => InheritedNames(typeof(TypedGraph.Typed.GraphModel));

    private static HashSet<string> InheritedNames(Type baseType)
    {
        var names = baseType.GetMembers(BindingFlags.Public | BindingFlags.Instance)
            .Where(m => m is PropertyInfo || m is MethodInfo { IsSpecialName: false })
            .Where(m => m.GetCustomAttribute<System.ComponentModel.EditorBrowsableAttribute>()?.State != System.ComponentModel.EditorBrowsableState.Never)
            .Select(m => m.Name);
        return [.. names];
    }

    private static string TutorialGraph() => TestGraphs.Write(TestGraphs.Tutorial().Meta(), "my_test_model-1000.meta");

    [Fact]
    public async Task CompletionAfterModelDot_ListsTheTutorialsTypedMembers_AndNoMachinery()
    {
        var items = await CompleteAsync(Generate(TutorialGraph(), "TutorialModel"),
            "namespace Demo;\ninternal static class Use { public static void F(TutorialModel model) { var y = model.$$; } }");
        var names = items.Select(i => i.DisplayText).ToHashSet(StringComparer.Ordinal);
        // The tutorial's placeholders w1/w2, variable bias, the end point op_to_restore and the init op.
        string[] typed = ["Bias", "Init", "OpToRestore", "W1", "W2"];
        Assert.Equal(typed, names.Except(InheritedNames()).Order(StringComparer.Ordinal));
        Assert.All(typed, t => Assert.Contains(WellKnownTags.Property, items.Single(i => i.DisplayText == t).Tags));
        // The base class's members are there too (Session, Tensor<T>(name) escape hatch, Extend()).
        Assert.Contains("Session", names);
        Assert.Contains("Extend", names);
        Assert.Contains(items, i => i.DisplayText.StartsWith("Tensor", StringComparison.Ordinal));
        // Saver and initializer machinery and the backing fields are not offered.
        Assert.DoesNotContain(names, n => n.StartsWith("Save", StringComparison.Ordinal) || n.StartsWith("__", StringComparison.Ordinal)
                                          || n.Contains("Assign", StringComparison.Ordinal) || n.Contains("Read", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QuickInfoOnAMember_ShowsItsTfNameDtypeShapeAndFeeds()
    {
        var generated = Generate(TutorialGraph(), "TutorialModel");
        var (description, documentation) = await QuickInfoAsync(generated,
            "namespace Demo;\ninternal static class Use { public static float F(TutorialModel model) => model.OpToRe$$store.Run(w1: 1f, w2: 2f); }");
        Assert.Matches(@"^TutorialModel\.Signatures\.Fetch\d+ TutorialModel\.OpToRestore \{ get; \}$", description);
        Assert.Equal("Tensor op_to_restore:0: Mul, float32, shape []; needs w1:0, w2:0.", documentation);

        var (_, placeholderDoc) = await QuickInfoAsync(generated,
            "namespace Demo;\ninternal static class Use { public static object F(TutorialModel model) => model.W$$1; }");
        Assert.Equal("Placeholder w1:0: Placeholder, float32, shape []; needs w1:0.", placeholderDoc);

        // On Run: the typed signature with the feeds as parameters, each documented with its graph tensor.
        var (runDescription, runDoc) = await QuickInfoAsync(generated,
            "namespace Demo;\ninternal static class Use { public static float F(TutorialModel model) => model.OpToRestore.R$$un(w1: 1f, w2: 2f); }");
        Assert.Matches(@"^float TutorialModel\.Signatures\.Fetch\d+\.Run\(float w1, float w2\)$", runDescription);
        Assert.Equal("Computes the tensor, feeding exactly the placeholders it depends on.", runDoc);
    }

    [Fact]
    public async Task CompletionDescription_ShowsTheMembersGraphDocs()
    {
        var generated = Generate(TutorialGraph(), "TutorialModel");
        var (document, position) = Open(generated,
            "namespace Demo;\ninternal static class Use { public static void F(TutorialModel model) { var y = model.$$; } }");
        var service = CompletionService.GetService(document)!;
        var list = await service.GetCompletionsAsync(document, position);
        var bias = list.ItemsList.Single(i => i.DisplayText == "Bias");
        var description = await service.GetDescriptionAsync(document, bias);
        Assert.NotNull(description);
        Assert.Contains("Variable bias:0: VariableV2, float32_ref, shape [].", description.Text);
    }

    private static readonly Lazy<string> s_trainingGraph = new(() =>
        TestGraphs.Write(TypedGraph.Benchmarks.TrainingGraph.Build(210), "mlp_train-1000.meta"));

    [Fact]
    public async Task TwelveThousandNodeTrainingGraph_CompletionListsAFewHundredMembers_WithShapeDocs()
    {
        var meta = TypedGraph.Protos.MetaGraphDef.Parser.ParseFrom(File.ReadAllBytes(s_trainingGraph.Value));
        Assert.InRange(meta.GraphDef.Node.Count, 11_500, 13_000);
        var generated = Generate(s_trainingGraph.Value, "MlpModel");

        var top = (await CompleteAsync(generated,
            "namespace Demo;\ninternal static class Use { public static void F(MlpModel model) { var y = model.$$; } }"))
            .Select(i => i.DisplayText).Except(InheritedNames()).ToList();
        // The script's scopes (input, layer0…layer209, output) and its top-level nodes: the labels placeholder, the
        // loss, the train op `Adam` (the global step's AssignAdd), global_step, init and the 20 per-epoch accuracy means (end
        // points). Nothing from gradients/, Adam/ (slots, update ops) or save/. Before the default selection the
        // issue counted 9,050 members here.
        var expected = new[] { "Input", "Output", "Labels", "Loss", "Adam", "GlobalStep", "Init", "Mean" }
            .Concat(Enumerable.Range(0, 210).Select(l => "Layer" + l))
            .Concat(Enumerable.Range(1, 19).Select(e => "Mean_" + e));
        Assert.Equal(expected.Order(StringComparer.Ordinal), top.Order(StringComparer.Ordinal));
        var (_, trainDoc) = await QuickInfoAsync(generated,
            "namespace Demo;\ninternal static class Use { public static void F(MlpModel model) => model.Ad$$am.Run(); }");
        // With a global step, TF's Optimizer.apply_gradients returns assign_add(global_step, 1, name="Adam").
        Assert.StartsWith("Tensor Adam:0: AssignAdd, int64_ref, shape []", trainDoc);

        // Inside a layer scope: the two variables, with dtype and shape from the graph (width 64 in TrainingGraph).
        var generatedLayer = await CompleteAsync(generated,
            "namespace Demo;\ninternal static class Use { public static void F(MlpModel model) { var y = model.Layer7.$$; } }");
        var layerMembers = generatedLayer.Select(i => i.DisplayText).Except(InheritedNames(typeof(TypedGraph.Typed.GraphScope))).ToList();
        Assert.Equal(["B", "W"], layerMembers.Order(StringComparer.Ordinal));
        var (_, doc) = await QuickInfoAsync(generated,
            "namespace Demo;\ninternal static class Use { public static object F(MlpModel model) => model.Layer7.$$W; }");
        Assert.Equal("Variable layer7/w:0: VariableV2, float32_ref, shape [64, 64].", doc);
        var (_, inputDoc) = await QuickInfoAsync(generated,
            "namespace Demo;\ninternal static class Use { public static object F(MlpModel model) => model.Input.$$X; }");
        Assert.Equal("Placeholder input/x:0: Placeholder, float32, shape [?, 64]; needs input/x:0.", inputDoc);
    }
}
