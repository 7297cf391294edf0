using System;
using System.Collections.Generic;
using System.IO;

namespace TypedGraph.Generator
{
    /// <summary>
    /// The op types TypedGraph.Runtime has kernels for, as embedded at build time by
    /// SupportedOps.targets from the runtime's own <c>KernelRegistry.Default.OpTypes</c> (the
    /// generator, living in the compiler, cannot load the runtime to ask).
    /// </summary>
    internal static class SupportedOps
    {
        private static readonly Lazy<HashSet<string>> s_ops = new Lazy<HashSet<string>>(Load);

        public static bool Contains(string opType) => s_ops.Value.Contains(opType);

        public static IReadOnlyCollection<string> All => s_ops.Value;

        private static HashSet<string> Load()
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            using var stream = typeof(SupportedOps).Assembly.GetManifestResourceStream("TypedGraph.Generator.SupportedOps.txt");
            if (stream == null) return set;
            using var reader = new StreamReader(stream);
            string? line;
            while ((line = reader.ReadLine()) != null)
                if (line.Trim().Length > 0) set.Add(line.Trim());
            return set;
        }
    }
}
