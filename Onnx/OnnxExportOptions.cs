namespace TypedGraph.Onnx;

/// <summary>Settings of one <see cref="OnnxExporter"/> run.</summary>
public sealed class OnnxExportOptions
{
    /// <summary>The default ONNX opset (ONNX 1.12, supported by every current ONNX Runtime and Triton).</summary>
    public const int DefaultOpset = 17;

    /// <summary>The ONNX opset (default-domain version) to target; <see cref="OnnxExporter.MinOpset"/>..<see cref="OnnxExporter.MaxOpset"/>.</summary>
    public int Opset { get; init; } = DefaultOpset;

    /// <summary>
    /// Shapes of the model inputs by tensor name (<c>"x:0"</c>), -1 for a dynamic dimension. Needed for inputs
    /// whose placeholder has no usable static shape (unknown rank, or a pre-TF-1.2 "unconstrained" shape) and
    /// for inputs that are not placeholders; otherwise the placeholder's own shape is used.
    /// </summary>
    public IReadOnlyDictionary<string, long[]>? InputShapes { get; init; }

    /// <summary>
    /// The size the exporter gives dynamic dimensions when it runs the graph once to learn every tensor's
    /// dtype and rank (the exported model keeps them symbolic). Default 2.
    /// </summary>
    public int ProbeDimension { get; init; } = 2;

    /// <summary>
    /// Values fed to inputs, by tensor name, in that probe run instead of the default (random floats in
    /// [0.25, 1.25), zeros for other dtypes) — for inputs where those are invalid, e.g. an output size or a count.
    /// Only dtypes and ranks are learned from the run; the exported model does not depend on these values.
    /// </summary>
    public IReadOnlyDictionary<string, Tensor>? ProbeInputs { get; init; }

    /// <summary>The <c>graph.name</c> written into the model; default <c>"typedgraph"</c>.</summary>
    public string GraphName { get; init; } = "typedgraph";
}
