using System;
using System.IO;
using Microsoft.CodeAnalysis;
using TypedGraph.Generator.Model;

namespace TypedGraph.Generator
{
    /// <summary>
    /// Generates a typed class per TensorFlow graph file (<c>.meta</c>, frozen <c>.pb</c>,
    /// <c>saved_model.pb</c>) added as an AdditionalFiles item. Pipeline: candidate files → combine with
    /// their item metadata → parse into a value-equatable <see cref="GraphSpec"/> (tracked as
    /// <see cref="StepNames.Parse"/>) → one output emits source, one reports diagnostics. Editing C#
    /// files leaves the parse step cached; changing the graph file or its metadata re-runs it.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class TypedGraphGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps (used by the incrementality tests).</summary>
        public static class StepNames
        {
            /// <summary>Graph file + options → <c>ParseResult</c>.</summary>
            public const string Parse = "TypedGraph.Parse";

            /// <summary>Spec of each successfully parsed file.</summary>
            public const string Spec = "TypedGraph.Spec";
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var files = context.AdditionalTextsProvider
                .Where(static text => IsCandidate(text.Path))
                .Combine(context.AnalyzerConfigOptionsProvider)
                // The AdditionalText instance stays in the key on purpose: the compiler hands out a new one
                // when the file changes, so the parse re-runs (reading the bytes); the same instance
                // (e.g. after a C# edit) keeps the parse cached.
                .Select(static (pair, _) => (Text: pair.Left,
                    Options: Parser.ReadOptions(pair.Left.Path, pair.Right.GetOptions(pair.Left), pair.Right.GlobalOptions)));

            var parsed = files
                .Select(static (file, ct) => Parser.Parse(file.Text.Path, file.Options, ct))
                .WithTrackingName(StepNames.Parse);

            var specs = parsed
                .Select(static (r, _) => r.Spec)
                .Where(static s => s != null)
                .WithTrackingName(StepNames.Spec);

            context.RegisterSourceOutput(specs, static (spc, spec) =>
                spc.AddSource(spec!.ClassName + ".g.cs", Emitter.Emit(spec)));

            context.RegisterSourceOutput(parsed.Select(static (r, _) => r.Diagnostics), static (spc, diagnostics) =>
            {
                foreach (var d in diagnostics) spc.ReportDiagnostic(d.ToDiagnostic());
            });
        }

        /// <summary>Graph files by extension; which kind of graph it is gets decided by content.</summary>
        internal static bool IsCandidate(string path)
        {
            var ext = Path.GetExtension(path);
            return ext.Equals(".meta", StringComparison.OrdinalIgnoreCase) || ext.Equals(".pb", StringComparison.OrdinalIgnoreCase);
        }
    }
}
