using TypedGraph.Protos;

namespace TypedGraph.SavedModels;

/// <summary>One input or output of a SignatureDef: the key callers use and the graph tensor behind it.</summary>
/// <param name="Key">The signature's key, e.g. <c>"x"</c>.</param>
/// <param name="TensorName">The graph tensor, e.g. <c>"input:0"</c>.</param>
/// <param name="DType">The declared dtype (<see cref="DataType.DtInvalid"/> when the file leaves it unset).</param>
/// <param name="Shape">Declared dims (-1 = unknown), or null when the rank is unknown or no shape is recorded.</param>
public sealed record SignatureTensor(string Key, string TensorName, DataType DType, long[]? Shape)
{
    /// <summary>The shape as TF prints it, e.g. <c>[?, 3]</c> or <c>&lt;unknown&gt;</c>.</summary>
    public string ShapeText => Shape == null ? "<unknown>" : "[" + string.Join(", ", Shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    internal static SignatureTensor From(string key, TensorInfo info, string signatureKey)
    {
        if (info.EncodingCase != TensorInfo.EncodingOneofCase.Name)
            return new SignatureTensor(key, "", info.Dtype, null) { Unsupported = $"signature '{signatureKey}' key '{key}' is a {info.EncodingCase} tensor; only dense tensors (TensorInfo.name) are supported" };
        long[]? shape = info.TensorShape is { UnknownRank: false } s ? s.Dim.Select(d => d.Size).ToArray() : null;
        return new SignatureTensor(key, info.Name, info.Dtype, shape);
    }

    /// <summary>Why this tensor cannot be fed or fetched (sparse/composite encodings), or null.</summary>
    public string? Unsupported { get; private init; }
}

/// <summary>A SignatureDef: named inputs and outputs of one entry point of a SavedModel.</summary>
/// <param name="Key">The signature key, e.g. <c>"serving_default"</c>.</param>
/// <param name="MethodName">E.g. <c>"tensorflow/serving/predict"</c>.</param>
/// <param name="Inputs">Inputs by key.</param>
/// <param name="Outputs">Outputs by key.</param>
public sealed record SignatureInfo(string Key, string MethodName, IReadOnlyDictionary<string, SignatureTensor> Inputs, IReadOnlyDictionary<string, SignatureTensor> Outputs)
{
    internal static SignatureInfo From(string key, SignatureDef def) => new(
        key,
        def.MethodName,
        def.Inputs.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => SignatureTensor.From(kv.Key, kv.Value, key), StringComparer.Ordinal),
        def.Outputs.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => SignatureTensor.From(kv.Key, kv.Value, key), StringComparer.Ordinal));
}
