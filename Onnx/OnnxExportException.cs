namespace TypedGraph.Onnx;

/// <summary>
/// The graph cannot be exported to ONNX as asked: an op with no faithful ONNX equivalent, an attribute value
/// ONNX cannot express, a missing input or output. The message names the TF node and op; nothing is written.
/// </summary>
public sealed class OnnxExportException : TypedGraphException
{
    /// <summary>Creates the exception.</summary>
    public OnnxExportException(string message, Exception? inner = null) : base(message, inner) { }

    internal static OnnxExportException For(Node node, string why)
        => new($"Cannot export node '{node.Name}' (op {node.Op}) to ONNX: {why}");
}
