using System.Reflection;
using Microsoft.CodeAnalysis;

namespace TypedGraph.Generator.Tests.Support;

/// <summary>Emits a generated compilation and loads it into the test process (same TypedGraph.Runtime).</summary>
public static class InMemoryAssembly
{
    /// <summary>
    /// Emits <paramref name="compilation"/>, failing the test with the diagnostics if it does not compile. Graph
    /// files the generator saw are embedded as the props would (resource <c>TypedGraph.Graph.&lt;sha-256&gt;</c>).
    /// </summary>
    public static Assembly Load(Compilation compilation)
    {
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe, manifestResources: EmbeddedGraphs.For(compilation));
        Assert.True(result.Success, string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return Assembly.Load(pe.ToArray());
    }

    /// <summary>Calls the public static method <paramref name="method"/> of type <paramref name="type"/>.</summary>
    public static object? Call(Assembly assembly, string type, string method, params object?[] args)
    {
        try
        {
            return assembly.GetType(type, throwOnError: true)!.GetMethod(method)!.Invoke(null, args);
        }
        catch (TargetInvocationException e) when (e.InnerException != null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }
}

/// <summary>The graph files tests ran the generator over, embedded like the package's props embed them.</summary>
public static class EmbeddedGraphs
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> s_byResource = new(StringComparer.Ordinal);

    /// <summary>The resource name the props give a file: <c>TypedGraph.Graph.</c> + lower-case hex SHA-256.</summary>
    public static string ResourceName(byte[] bytes) => "TypedGraph.Graph." + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes));

    /// <summary>Remembers a graph file (its content now) under its resource name.</summary>
    public static void Register(string path)
    {
        if (File.Exists(path)) s_byResource[ResourceName(File.ReadAllBytes(path))] = path;
    }

    /// <summary>Resources for every registered graph whose resource name a generated tree of <paramref name="compilation"/> uses.</summary>
    public static IEnumerable<ResourceDescription> For(Compilation compilation)
    {
        var text = string.Concat(compilation.SyntaxTrees.Select(t => t.GetText().ToString()));
        foreach (var (name, path) in s_byResource)
            if (text.Contains(name, StringComparison.Ordinal))
            {
                var bytes = File.ReadAllBytes(path);
                yield return new ResourceDescription(name, () => new MemoryStream(bytes), isPublic: true);
            }
    }
}
