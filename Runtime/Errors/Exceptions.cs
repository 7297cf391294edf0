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

/// <summary>A graph uses an op type the runtime has no kernel for.</summary>
public sealed class UnsupportedOpException : GraphExecutionException
{
    /// <summary>Creates the exception.</summary>
    public UnsupportedOpException(string nodeName, string opType)
        : base($"No kernel for op '{opType}' (node '{nodeName}')." + Hint(opType), nodeName) => OpType = opType;

    // Control flow v2 (If/While/Case) calls FunctionDefLibrary bodies TypedGraph does not run (PartitionedCall it does).
    private static string Hint(string opType) => FunctionCalls.CallOps.Contains(opType)
        ? " It calls functions of the graph's FunctionDefLibrary (TF 2.x control flow v2), which TypedGraph does not execute; export with control flow v1 (tf.compat.v1.disable_control_flow_v2()) or freeze the graph."
        : "";

    /// <summary>The op type without a kernel.</summary>
    public string OpType { get; }
}
