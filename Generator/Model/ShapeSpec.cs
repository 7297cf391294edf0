using System.Globalization;
using System.Linq;

namespace TypedGraph.Generator.Model
{
    /// <summary>A static (graph-declared) shape: dims with -1 for unknown, or an unknown rank.</summary>
    internal sealed record ShapeSpec(bool UnknownRank, EquatableArray<long> Dims)
    {
        public static ShapeSpec Unknown { get; } = new ShapeSpec(true, EquatableArray<long>.Empty);

        public static ShapeSpec Scalar { get; } = new ShapeSpec(false, EquatableArray<long>.Empty);

        /// <summary>Rank 0 and known.</summary>
        public bool IsScalar => !UnknownRank && Dims.Count == 0;

        /// <summary>TF-style text: <c>[?, 21]</c>, <c>[]</c>, <c>&lt;unknown&gt;</c>.</summary>
        public string Display => UnknownRank ? "<unknown>"
            : "[" + string.Join(", ", Dims.Select(d => d < 0 ? "?" : d.ToString(CultureInfo.InvariantCulture))) + "]";

        /// <summary>A C# expression for the shape as <c>long[]</c> (<c>null</c> when the rank is unknown).</summary>
        public string CSharpLiteral => UnknownRank ? "null"
            : Dims.Count == 0 ? "global::System.Array.Empty<long>()"
            : "new long[] { " + string.Join(", ", Dims.Select(d => d.ToString(CultureInfo.InvariantCulture))) + " }";
    }
}
