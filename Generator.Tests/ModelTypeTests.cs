extern alias gen;
using System.Reflection;
using Microsoft.CodeAnalysis;
using GraphSpec = gen::TypedGraph.Generator.Model.GraphSpec;
using ParseResult = gen::TypedGraph.Generator.Model.ParseResult;

namespace TypedGraph.Generator.Tests;

/// <summary>The pipeline model stays a cache key: no arrays, protobuf messages, symbols or compilations.</summary>
public class ModelTypeTests
{
    [Fact]
    public void ModelTypes_HoldOnlyEquatableValues()
    {
        var visited = new HashSet<Type>();
        var problems = new List<string>();
        Walk(typeof(ParseResult), "ParseResult", visited, problems);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
        // The walk really went through the model (not vacuously empty).
        Assert.Contains(typeof(GraphSpec), visited);
        Assert.Contains(visited, t => t.Name == "MemberSpec");
        Assert.Contains(visited, t => t.Name == "FeedSpec");
    }

    private static void Walk(Type type, string path, HashSet<Type> visited, List<string> problems)
    {
        if (type.IsPrimitive || type == typeof(string) || type.IsEnum || !visited.Add(type)) return;
        if (Nullable.GetUnderlyingType(type) is { } inner) { Walk(inner, path, visited, problems); return; }
        if (type.IsArray) { problems.Add($"{path}: raw array {type.Name} (use EquatableArray<T>)"); return; }
        if (typeof(Google.Protobuf.IMessage).IsAssignableFrom(type) || type.Namespace?.EndsWith(".Protos", StringComparison.Ordinal) == true)
        { problems.Add($"{path}: protobuf type {type.FullName}"); return; }
        if (typeof(ISymbol).IsAssignableFrom(type) || typeof(Compilation).IsAssignableFrom(type) || typeof(SyntaxNode).IsAssignableFrom(type)
            || typeof(Location).IsAssignableFrom(type))
        { problems.Add($"{path}: Roslyn object {type.Name}"); return; }
        if (type.IsGenericType && type.GetGenericTypeDefinition().Name.StartsWith("EquatableArray", StringComparison.Ordinal))
        {
            // Its private T[] is the one sanctioned array: equality is structural. Check the element type.
            Walk(type.GetGenericArguments()[0], path + "[]", visited, problems);
            return;
        }
        if (!type.IsValueType && type.GetMethod("Equals", [type]) == null && type.GetInterface("IEquatable`1") == null)
            problems.Add($"{path}: {type.Name} has no value equality");
        foreach (var f in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Walk(f.FieldType, path + "." + f.Name, visited, problems);
    }
}
