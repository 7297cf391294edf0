using System.Reflection;
using System.Runtime.CompilerServices;
using TypedGraph.Building;

namespace TypedGraph.Tests.Architecture;

/// <summary>
/// <see cref="GraphBuilder"/> stays the core (docs/architecture.md, "GraphBuilder: core and op families"): the graph,
/// naming and scopes, node creation, control dependencies and colocation, control-flow contexts, import, collections
/// and seeds. Op methods live in static extension classes next to their <c>OpDefCatalog.&lt;Family&gt;.cs</c>, so
/// <c>b.MatMul(x, w)</c> reads the same but the builder does not grow with every op.
/// </summary>
public sealed class GraphBuilderSurfaceTests
{
    /// <summary>Every public member of the core, by name. A new name here must be core by the definition above;
    /// an op method goes to its family's extension class instead.</summary>
    private static readonly string[] CoreMembers =
    [
        // The graph and its op definitions.
        "Graph", "Catalog",
        // Naming and scopes.
        "CurrentScope", "NameScope", "UniqueName",
        // Node creation and lookup.
        "AddOperation", "AddOperationExact", "OutputOf", "OutputTypes", "GetTensor", "GetOperation",
        // Control dependencies, colocation and control-flow contexts.
        "ControlDependencies", "ColocateWith", "CurrentContext", "ContextOf",
        // Import.
        "FromMetaGraph", "Import", "ImportedTensorFlowVersion",
        // Collections and the variables in them.
        "Collections", "GlobalVariables", "TrainableVariables", "GetVariable", "TableInitializersCollection", "AssetFilepathsCollection",
        // Seeds.
        "GraphSeed", "DefaultGraphSeed",
    ];

    private static readonly Type[] OpFamilies =
    [
        typeof(ArrayOps), typeof(MathOps), typeof(NnOps), typeof(LayerOps), typeof(VariableOps),
        typeof(ControlFlowOps), typeof(TensorArrayOps), typeof(ServingOps),
    ];

    [Fact]
    public void GraphBuilder_PublicMembers_AreExactlyTheCoreSet()
    {
        var members = typeof(GraphBuilder)
            .GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not ConstructorInfo && !(m is MethodInfo mi && mi.IsSpecialName)) // property accessors
            .Select(m => m.Name).ToHashSet(StringComparer.Ordinal);
        var extra = members.Except(CoreMembers).Order(StringComparer.Ordinal).ToList();
        var missing = CoreMembers.Except(members).Order(StringComparer.Ordinal).ToList();
        Assert.True(extra.Count == 0,
            "GraphBuilder grew public members that are not core: " + string.Join(", ", extra)
            + ". Op methods belong in the op family's extension class next to its OpDefCatalog file (ArrayOps, MathOps, NnOps, …).");
        Assert.True(missing.Count == 0, "Core members no longer on GraphBuilder: " + string.Join(", ", missing));
    }

    [Fact]
    public void OpFamilyClasses_AreStaticAndOnlyExtendGraphBuilder()
    {
        foreach (var family in OpFamilies)
        {
            Assert.True(family.IsAbstract && family.IsSealed, $"{family.Name} must be a static class");
            Assert.Equal("TypedGraph.Building", family.Namespace); // so `using TypedGraph.Building;` brings the ops
            var methods = family.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly);
            Assert.True(methods.Length > 0, $"{family.Name} has no public op methods");
            foreach (var m in methods)
            {
                var first = m.GetParameters().FirstOrDefault();
                Assert.True(m.IsDefined(typeof(ExtensionAttribute)) && first?.ParameterType == typeof(GraphBuilder),
                    $"{family.Name}.{m.Name} is not an extension method of GraphBuilder");
            }
            var other = family.GetMembers(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(mem => mem is not MethodInfo).Select(mem => mem.Name).ToList();
            Assert.True(other.Count == 0, $"{family.Name} has public non-method members: {string.Join(", ", other)}");
        }
    }

    [Fact]
    public void EachOpName_LivesInOneFamily()
    {
        // Overloads split over two classes would be resolved per class first; keeping them together keeps the
        // overload resolution callers had when these were GraphBuilder instance methods.
        var owners = OpFamilies
            .SelectMany(f => f.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly).Select(m => (m.Name, Family: f.Name)))
            .Distinct()
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key} ({string.Join(", ", g.Select(p => p.Family))})")
            .ToList();
        Assert.True(owners.Count == 0, "Op methods defined in more than one family: " + string.Join("; ", owners));
        var clash = OpFamilies.SelectMany(f => f.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            .Select(m => m.Name).Intersect(CoreMembers).ToList();
        Assert.True(clash.Count == 0, "Op methods named like core members (the instance member would always win): " + string.Join(", ", clash));
    }

    [Fact]
    public void OpsCalledAsExtensions_BuildTheSameNodesAsTheTfLayout()
    {
        // b.MatMul / b.Reshape / b.Variable read exactly as before the split and still name nodes as TF does.
        var b = new GraphBuilder();
        var x = b.Placeholder(Protos.DataType.DtFloat, [2, 3], "x");
        var w = b.Variable([3, 4], new ZerosInitializer(), "w");
        var y = b.Reshape(b.MatMul(x, w.Snapshot), [4, 2]);
        Assert.Equal("MatMul", b.GetOperation("MatMul").Op);
        Assert.Equal(["x", "w/read"], b.GetOperation("MatMul").Inputs.Select(i => i.NodeName).ToArray());
        Assert.Equal("Reshape", y.NodeName);
        Assert.Equal("Const", b.GetOperation("Reshape/shape").Op);
        Assert.Equal(["w"], b.TrainableVariables.Select(v => v.Name).ToArray());
    }
}
