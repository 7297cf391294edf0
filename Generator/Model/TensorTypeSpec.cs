namespace TypedGraph.Generator.Model
{
    /// <summary>The static type of one graph tensor.</summary>
    /// <param name="DTypeName">TF's name, e.g. <c>float32</c> (or <c>unknown</c>).</param>
    /// <param name="ElementType">The C# element type (<c>float</c>, <c>global::System.Half</c>…) or null when the dtype has no typed view.</param>
    /// <param name="Shape">Static shape.</param>
    internal sealed record TensorTypeSpec(string DTypeName, string? ElementType, ShapeSpec Shape)
    {
        /// <summary>Scalars with a C# element type are passed and returned as plain values.</summary>
        public bool IsPlainScalar => ElementType != null && Shape.IsScalar;
    }
}
