using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using TypedGraph.Generator.Model;
using TypedGraph.Generator.Parsing;

namespace TypedGraph.Generator
{
    public sealed partial class TypedGraphGenerator
    {
        /// <summary>Graph file bytes → model. Never throws: every failure becomes a diagnostic.</summary>
        internal static class Parser
        {
            /// <summary>Reads the per-file options (item metadata) with their defaults.</summary>
            public static GraphFileOptions ReadOptions(string path, AnalyzerConfigOptions item, AnalyzerConfigOptions global)
            {
                string Get(string key)
                    => item.TryGetValue("build_metadata.AdditionalFiles." + key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : "";
                var className = Get("ClassName");
                if (className.Length == 0) className = DefaultClassName(path);
                var ns = Get("Namespace");
                if (ns.Length == 0)
                    ns = global.TryGetValue("build_property.RootNamespace", out var root) && !string.IsNullOrWhiteSpace(root) ? root.Trim() : "TypedGraph.Models";
                var visibility = Get("Visibility");
                bool embedded = global.TryGetValue("build_property.TypedGraphEmbedGraphs", out var e)
                    && string.Equals(e?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
                bool optedOut = string.Equals(Get("TypedGraph"), "false", StringComparison.OrdinalIgnoreCase);
                return new GraphFileOptions(className, ns, visibility.Length == 0 ? "internal" : visibility.ToLowerInvariant(),
                    Get("IncludeNodes"), Get("ExcludeNodes"), embedded, optedOut);
            }

            /// <summary><c>my_test_model-1000.meta</c> → <c>MyTestModel1000</c>; a SavedModel is named after its folder.</summary>
            public static string DefaultClassName(string path)
            {
                var file = Path.GetFileName(path);
                var stem = file.Split('.')[0];
                if (file.Equals("saved_model.pb", StringComparison.OrdinalIgnoreCase))
                    stem = Path.GetFileName(Path.GetDirectoryName(path) ?? "") is { Length: > 0 } dir ? dir : "SavedModel";
                return Naming.PascalJoined(stem);
            }

            /// <summary>Reads the file at <paramref name="path"/> and parses it.</summary>
            public static ParseResult Parse(string path, GraphFileOptions options, CancellationToken cancellationToken)
            {
                byte[] bytes;
                try
                {
                    // RS1035 bans file IO in analyzers because it bypasses the compiler's inputs. Here it is the
                    // only correct way: AdditionalText.GetText() decodes the binary .meta as text and corrupts
                    // it. The path is the AdditionalFiles item itself, and the content hash goes into the
                    // model, so incrementality and determinism still follow the file's content.
#pragma warning disable RS1035
                    bytes = File.ReadAllBytes(path);
#pragma warning restore RS1035
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException)
                {
                    return Fail(DiagnosticDescriptors.UnreadableGraph, path, Path.GetFileName(path), e.Message);
                }
                return Parse(bytes, path, options, cancellationToken);
            }

            /// <summary>Parses graph bytes; <paramref name="path"/> is used for names and diagnostic locations.</summary>
            public static ParseResult Parse(byte[] bytes, string path, GraphFileOptions options, CancellationToken cancellationToken)
            {
                var fileName = Path.GetFileName(path);
                try
                {
                    var optionError = CheckOptions(options);
                    if (optionError != null) return Fail(DiagnosticDescriptors.InvalidOptions, path, fileName, optionError);

                    LoadedGraph graph;
                    try
                    {
                        graph = GraphFileReader.Read(bytes, fileName);
                    }
                    catch (FormatException e)
                    {
                        return Fail(DiagnosticDescriptors.UnreadableGraph, path, fileName, e.Message);
                    }
                    cancellationToken.ThrowIfCancellationRequested();

                    var diagnostics = new List<DiagnosticInfo>();
                    if (graph.Graph.Node.Count == 0)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.EmptyGraph, path, fileName, options.ClassName));
                    var unsupported = UnsupportedOps(graph);
                    if (unsupported != null)
                        diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedOps, path, fileName, unsupported.Value.Count, unsupported.Value.List));

                    var members = new MemberTreeBuilder(graph.Graph, graph.Ops, graph.Meta, path, options.ClassName, diagnostics)
                        .Build(new NamePatterns(options.Include, options.Exclude));
                    cancellationToken.ThrowIfCancellationRequested();

                    var spec = new GraphSpec(options.ClassName, options.Namespace, options.Visibility, fileName, graph.Format,
                        graph.TensorFlowVersion, graph.Graph.Node.Count, graph.HasSaver, Blob(bytes), members,
                        path, options.Embedded);
                    return new ParseResult(spec, diagnostics.ToEquatableArray());
                }
                catch (OperationCanceledException)
                {
                    throw;
                }
                catch (Exception e)
                {
                    // A bug of ours must not take the compiler down with it.
                    return Fail(DiagnosticDescriptors.InternalError, path, fileName, e.GetType().Name + ": " + e.Message);
                }
            }

            private static string? CheckOptions(GraphFileOptions o)
            {
                if (!Naming.IsIdentifier(o.ClassName))
                    return $"ClassName '{o.ClassName}' is not a valid C# identifier (or is a C# keyword)";
                if (Naming.IsContextualKeyword(o.ClassName) || ReservedNames.IsReservedClassName(o.ClassName))
                    return $"ClassName '{o.ClassName}' cannot name the generated class: it is a contextual keyword or a name the class uses itself (Scopes, Signatures)";
                if (o.Namespace.Length > 0 && !o.Namespace.Split('.').All(Naming.IsIdentifier))
                    return $"Namespace '{o.Namespace}' is not a valid C# namespace";
                if (o.Visibility != "public" && o.Visibility != "internal")
                    return $"Visibility '{o.Visibility}' must be 'public' or 'internal'";
                return null;
            }

            // Op types without a kernel in the graph and in every function its nodes reach (TF 2.x keeps its work in
            // FunctionDefLibrary bodies), each with one node; a node whose op is a library function is a call.
            private static (string Count, string List)? UnsupportedOps(LoadedGraph graph)
            {
                var functions = new HashSet<string>(StringComparer.Ordinal);
                if (graph.Graph.Library != null)
                    foreach (var f in graph.Graph.Library.Function)
                        if (f.Signature != null) functions.Add(f.Signature.Name);
                var missing = TypedGraph.Functions.ReachableOps.Unsupported(graph.Graph, op => SupportedOps.Contains(op) || functions.Contains(op));
                if (missing.Count == 0) return null;
                var list = string.Join(", ", missing.Select(u => $"'{u.OpType}' (e.g. node '{u.NodeName}'" + (u.Function == null ? ")" : $" in function '{u.Function}')")));
                return (missing.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), list);
            }

            private static GraphBlob Blob(byte[] bytes)
            {
                string hex;
                using (var sha = SHA256.Create())
                {
                    var hash = sha.ComputeHash(bytes);
                    var sb = new StringBuilder(64);
                    foreach (var b in hash) sb.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                    hex = sb.ToString();
                }
                return new GraphBlob(hex, bytes.Length);
            }

            private static ParseResult Fail(DiagnosticDescriptor descriptor, string path, params string[] args)
                => new ParseResult(null, new EquatableArray<DiagnosticInfo>(new[] { DiagnosticInfo.Create(descriptor, path, args) }));
        }
    }
}
