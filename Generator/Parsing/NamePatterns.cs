using System;
using System.Collections.Generic;
using System.Linq;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// The item's <c>IncludeNodes</c> / <c>ExcludeNodes</c> globs over node names, where <c>*</c> matches any run
    /// of characters (slashes included) and <c>?</c> one character. Lists are separated by <c>|</c>, <c>,</c> or
    /// <c>;</c> — all three, because the compiler reads item metadata from a generated <c>.editorconfig</c> where
    /// <c>;</c> starts a comment: the package's props rewrite <c>;</c> to <c>|</c> before that file is written,
    /// and <c>,</c>/<c>|</c> survive anyway. Without an include list the default selection applies
    /// (<see cref="DefaultMembers"/>); an include list replaces it, unless it names <c>@default</c>, which adds
    /// the default selection back (<c>IncludeNodes="@default|gradients/*"</c>). <c>ExcludeNodes</c> always applies.
    /// </summary>
    internal sealed class NamePatterns
    {
        /// <summary>The token that stands for the default selection inside an include list.</summary>
        public const string DefaultToken = "@default";

        private readonly string[] _include;
        private readonly string[] _exclude;

        public NamePatterns(string include, string exclude)
        {
            var inc = Split(include);
            IncludesDefault = inc.Length == 0 || inc.Contains(DefaultToken);
            _include = inc.Where(p => p != DefaultToken).ToArray();
            _exclude = Split(exclude);
        }

        /// <summary>The default selection is part of what is shown.</summary>
        public bool IncludesDefault { get; }

        /// <summary>Is the node shown, given whether the default selection would show it?</summary>
        public bool IsVisible(string nodeName, bool shownByDefault)
        {
            bool included = (IncludesDefault && shownByDefault) || Array.Exists(_include, p => Glob(p, nodeName));
            return included && !Array.Exists(_exclude, p => Glob(p, nodeName));
        }

        internal static string[] Split(string list)
            => (list ?? "").Split(new[] { '|', ',', ';' }, StringSplitOptions.RemoveEmptyEntries)
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
