using System;

namespace TypedGraph.Generator.Model
{
    /// <summary>
    /// The graph file's bytes as base64 text (the generated class embeds them), compared by their
    /// SHA-256 only: equality stays O(1) however large the graph, and two blobs with the same hash are
    /// the same content.
    /// </summary>
    internal sealed class GraphBlob : IEquatable<GraphBlob>
    {
        public GraphBlob(string sha256, int length, string base64)
        {
            Sha256 = sha256;
            Length = length;
            Base64 = base64;
        }

        /// <summary>Lower-case hex SHA-256 of the file content.</summary>
        public string Sha256 { get; }

        /// <summary>File size in bytes.</summary>
        public int Length { get; }

        /// <summary>The content, base64-encoded (ASCII, so it can sit in a UTF-8 string literal).</summary>
        public string Base64 { get; }

        public bool Equals(GraphBlob? other) => other != null && other.Sha256 == Sha256 && other.Length == Length;

        public override bool Equals(object? obj) => Equals(obj as GraphBlob);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Sha256);
    }
}
