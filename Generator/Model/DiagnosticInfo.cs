using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TypedGraph.Generator.Model
{
    /// <summary>A diagnostic as data (equatable), turned into a <see cref="Diagnostic"/> only at report time.</summary>
    /// <param name="Id">Descriptor id (TG000x).</param>
    /// <param name="FilePath">The graph file the diagnostic is about.</param>
    /// <param name="Arguments">Message format arguments.</param>
    internal sealed record DiagnosticInfo(string Id, string FilePath, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, string filePath, params string[] args)
            => new DiagnosticInfo(descriptor.Id, filePath, new EquatableArray<string>(args));

        /// <summary>The start of the graph file: a real file location (IDEs and the build list it with the path).</summary>
        public static Location FileLocation(string path) => Location.Create(path, default(TextSpan), default(LinePositionSpan));

        public Diagnostic ToDiagnostic()
        {
            var location = FileLocation(FilePath);
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
            return Diagnostic.Create(DiagnosticDescriptors.ById(Id), location, args);
        }
    }
}
