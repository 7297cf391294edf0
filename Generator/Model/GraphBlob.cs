using System;

namespace TypedGraph.Generator.Model
{
    /// <summary>
    /// The identity of the graph file's bytes: their SHA-256 (which also names the manifest resource the
    /// props embed them as) and length. Equality stays O(1) however large the graph, and two blobs with the
    /// same hash are the same content.
    /// </summary>
    internal sealed class GraphBlob : IEquatable<GraphBlob>
    {
        public GraphBlob(string sha256, int length)
        {
            Sha256 = sha256;
            Length = length;
        }

        /// <summary>Lower-case hex SHA-256 of the file content.</summary>
        public string Sha256 { get; }

        /// <summary>File size in bytes.</summary>
        public int Length { get; }

        public bool Equals(GraphBlob? other) => other != null && other.Sha256 == Sha256 && other.Length == Length;

        public override bool Equals(object? obj) => Equals(obj as GraphBlob);

        public override int GetHashCode() => StringComparer.Ordinal.GetHashCode(Sha256);
    }
}
