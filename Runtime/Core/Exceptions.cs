namespace TypedGraph;

/// <summary>Base of every error TypedGraph raises about user data (files, graphs, feeds).</summary>
public class TypedGraphException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TypedGraphException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A checkpoint file (<c>.index</c>, <c>.data-*</c>, <c>checkpoint</c>) is malformed, missing or fails its CRC.</summary>
public class CheckpointFormatException : TypedGraphException
{
    /// <summary>Creates the exception; <paramref name="path"/> names the offending file.</summary>
    public CheckpointFormatException(string path, string message, Exception? inner = null)
        : base($"{path}: {message}", inner) => Path = path;

    /// <summary>The file the error is about.</summary>
    public string Path { get; }
}

/// <summary>A graph file (<c>.meta</c>, <c>.pb</c>, <c>saved_model.pb</c>) or an in-memory graph is malformed.</summary>
public class GraphFormatException : TypedGraphException
{
    /// <summary>Creates the exception.</summary>
    public GraphFormatException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Running a graph failed: a bad feed, an unknown fetch, an uninitialized variable, a kernel error.</summary>
public class GraphExecutionException : TypedGraphException
{
    /// <summary>Creates the exception; <paramref name="nodeName"/> names the node involved, if any.</summary>
    public GraphExecutionException(string message, string? nodeName = null, Exception? inner = null)
        : base(message, inner) => NodeName = nodeName;

    /// <summary>The node the error is about, if any.</summary>
    public string? NodeName { get; }
}

/// <summary>A graph uses op types the runtime has no kernel for (all of a request's missing op types at once).</summary>
public sealed class UnsupportedOpException : GraphExecutionException
{
    /// <summary>Creates the exception for one node.</summary>
    public UnsupportedOpException(string nodeName, string opType) : this([new UnsupportedOp(opType, nodeName, null)]) { }

    /// <summary>Creates the exception for every missing op type, each with one node that needs it.</summary>
    /// <exception cref="ArgumentException"><paramref name="missing"/> is empty.</exception>
    public UnsupportedOpException(IReadOnlyList<UnsupportedOp> missing)
        : base(Describe(missing), missing.Count > 0 ? missing[0].NodeName : null)
    {
        Missing = missing;
        OpType = missing[0].OpType;
    }

    private static string Describe(IReadOnlyList<UnsupportedOp> missing)
    {
        if (missing.Count == 0) throw new ArgumentException("At least one unsupported op is required.", nameof(missing));
        return (missing.Count == 1 ? "No kernel for op " : $"No kernel for {missing.Count} op types: ") + string.Join(", ", missing) + "." + Hint(missing);
    }

    private static string Hint(IReadOnlyList<UnsupportedOp> missing) => missing.Any(m => FunctionCalls.CallOps.Contains(m.OpType))
        ? " A function-calling op without a kernel cannot run its FunctionDefLibrary bodies; freeze the graph or export it without that op."
        : "";

    /// <summary>The first missing op type (ordinal order).</summary>
    public string OpType { get; }

    /// <summary>Every missing op type, sorted, each with one node that needs it.</summary>
    public IReadOnlyList<UnsupportedOp> Missing { get; }
}
