using System.Reflection;
using Microsoft.CodeAnalysis;

namespace TypedGraph.Generator.Tests.Support;

/// <summary>Emits a generated compilation and loads it into the test process (same TypedGraph.Runtime).</summary>
public static class InMemoryAssembly
{
    /// <summary>Emits <paramref name="compilation"/>, failing the test with the diagnostics if it does not compile.</summary>
    public static Assembly Load(Compilation compilation)
    {
        using var pe = new MemoryStream();
        var result = compilation.Emit(pe);
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
