using System;
using Microsoft.CodeAnalysis;

namespace TypedGraph.Generator
{
    /// <summary>The one catalogue of the generator's diagnostics. IDs are stable; never reuse one.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "TypedGraph";

        /// <summary>The docs page every diagnostic links to (one section per id).</summary>
        public const string HelpBase = "https://github.com/TypedGraph/TypedGraph/blob/main/docs/generator-diagnostics.md#";

        private static string HelpLink(string id) => HelpBase + id.ToLowerInvariant();

        /// <summary>The file cannot be read or is not a MetaGraphDef / GraphDef / SavedModel.</summary>
        public static readonly DiagnosticDescriptor UnreadableGraph = new DiagnosticDescriptor(
            "TG0001", "Graph file cannot be read",
            "Cannot generate a typed class from '{0}': {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0001"));

        /// <summary>Op types without a runtime kernel.</summary>
        public static readonly DiagnosticDescriptor UnsupportedOps = new DiagnosticDescriptor(
            "TG0002", "Graph uses op types the runtime cannot execute",
            "Graph '{0}' uses {1} op type(s) the TypedGraph runtime cannot execute: {2}",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0002"));

        /// <summary>Two TF names map to the same C# identifier; one got a suffix.</summary>
        public static readonly DiagnosticDescriptor IdentifierCollision = new DiagnosticDescriptor(
            "TG0003", "Graph names collide as C# identifiers",
            "In '{0}', '{1}' would be named '{2}', which is taken; it is named '{3}' instead",
            Category, DiagnosticSeverity.Info, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0003"));

        /// <summary>The graph has no nodes.</summary>
        public static readonly DiagnosticDescriptor EmptyGraph = new DiagnosticDescriptor(
            "TG0004", "Graph is empty",
            "Graph '{0}' has no nodes; the generated class '{1}' has no members",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0004"));

        /// <summary>Bad item metadata (class name, namespace, visibility).</summary>
        public static readonly DiagnosticDescriptor InvalidOptions = new DiagnosticDescriptor(
            "TG0005", "Invalid TypedGraph item metadata",
            "AdditionalFiles item '{0}': {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0005"));

        /// <summary>A bug in the generator, reported instead of crashing the compiler.</summary>
        public static readonly DiagnosticDescriptor InternalError = new DiagnosticDescriptor(
            "TG0006", "TypedGraph generator failure",
            "The TypedGraph generator failed on '{0}': {1}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0006"));

        /// <summary>Two graph files would generate the same class.</summary>
        public static readonly DiagnosticDescriptor DuplicateClass = new DiagnosticDescriptor(
            "TG0007", "Two graph files generate the same class",
            "Graph '{0}' would generate class '{1}', which another graph file already generates (names are compared ignoring case, as generated file names are); set a different ClassName or Namespace on one of them",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0007"));

        /// <summary>The project does not embed graph files (TypedGraph.props not imported).</summary>
        public static readonly DiagnosticDescriptor NotEmbedded = new DiagnosticDescriptor(
            "TG0008", "Graph file is not embedded",
            "Graph '{0}' is not embedded in the assembly, so {1}.Create() and Restore() will throw at run time: reference the TypedGraph.Runtime package (its build/TypedGraph.Runtime.props embeds each graph as the resource the class loads) or, referencing the generator project directly, import Generator/build/TypedGraph.props",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: HelpLink("TG0008"));

        private static readonly DiagnosticDescriptor[] s_all =
            { UnreadableGraph, UnsupportedOps, IdentifierCollision, EmptyGraph, InvalidOptions, InternalError, DuplicateClass, NotEmbedded };

        /// <summary>The descriptor with that id.</summary>
        public static DiagnosticDescriptor ById(string id)
        {
            foreach (var d in s_all)
                if (d.Id == id) return d;
            throw new ArgumentException("Unknown diagnostic id " + id, nameof(id));
        }
    }
}
