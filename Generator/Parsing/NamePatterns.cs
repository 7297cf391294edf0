using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// Which nodes get members. Globs over node names where <c>*</c> matches any run of characters
    /// (slashes included) and <c>?</c> one character. By default TF's bookkeeping is hidden: the Saver's
    /// <c>save/…</c>, <c>gradients/…</c>, variable initializers and <c>…/Assign</c>. An <c>Include</c>
    /// list replaces that default (the user then said exactly what they want); <c>ExcludeNodes</c> always applies.
    /// </summary>
    internal sealed class NamePatterns
    {
        public static readonly string[] DefaultHidden = { "save/*", "gradients/*", "*/Initializer/*", "*/Assign" };

        private readonly string[] _include;
        private readonly string[] _exclude;

        public NamePatterns(string include, string exclude)
        {
            _include = Split(include);
            var ex = new List<string>(Split(exclude));
            if (_include.Length == 0) ex.AddRange(DefaultHidden);
            _exclude = ex.ToArray();
        }

        public bool IsVisible(string nodeName)
        {
            if (_include.Length > 0 && !Array.Exists(_include, p => Glob(p, nodeName))) return false;
            if (_include.Length == 0 && IsNumberedInternalScope(nodeName)) return false;
            return !Array.Exists(_exclude, p => Glob(p, nodeName));
        }

        // TF numbers a second Saver or gradients call "save_1/", "gradients_2/"…; a glob like "save_*" would
        // also hide a user's "save_path/…", so the suffix must be digits.
        private static bool IsNumberedInternalScope(string nodeName)
        {
            int slash = nodeName.IndexOf('/');
            if (slash < 0) return false;
            var first = nodeName.Substring(0, slash);
            foreach (var prefix in new[] { "save_", "gradients_" })
                if (first.Length > prefix.Length && first.StartsWith(prefix, StringComparison.Ordinal)
                    && first.Substring(prefix.Length).All(char.IsDigit)) return true;
            return false;
        }

        private static string[] Split(string list)
            => (list ?? "").Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Trim()).Where(s => s.Length > 0).ToArray();

        /// <summary>Iterative glob match with backtracking on the last <c>*</c> (linear in practice).</summary>
        internal static bool Glob(string pattern, string text)
        {
            int p = 0, t = 0, star = -1, mark = 0;
            while (t < text.Length)
            {
                if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
                else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
                else if (star >= 0) { p = star + 1; t = ++mark; }
                else return false;
            }
            while (p < pattern.Length && pattern[p] == '*') p++;
            return p == pattern.Length;
        }
    }
}
