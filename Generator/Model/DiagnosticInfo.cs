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

        public Diagnostic ToDiagnostic()
        {
            var location = Location.Create(FilePath, default(TextSpan), default(LinePositionSpan));
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments[i];
            return Diagnostic.Create(DiagnosticDescriptors.ById(Id), location, args);
        }
    }
}
