namespace TypedGraph;

/// <summary>Names one output of one node, as TF writes it: <c>"w1:0"</c>, or <c>"w1"</c> for output 0 in NodeDef inputs.</summary>
public readonly record struct TensorRef(string NodeName, int Index)
{
    /// <summary>Parses <c>"node"</c>, <c>"node:1"</c>; rejects control inputs (<c>"^node"</c>).</summary>
    /// <exception cref="FormatException">The text is not a tensor name.</exception>
    public static TensorRef Parse(string text)
    {
        if (string.IsNullOrEmpty(text) || text[0] == '^')
            throw new FormatException($"'{text}' is not a tensor name (expected 'node' or 'node:index').");
        int colon = text.LastIndexOf(':');
        if (colon > 0 && int.TryParse(text.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int idx))
            return new TensorRef(text[..colon], idx);
        return new TensorRef(text, 0);
    }

    /// <summary>The full TF name, always with the index: <c>"w1:0"</c>.</summary>
    public override string ToString() => $"{NodeName}:{Index}";
}
