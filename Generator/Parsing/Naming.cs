using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>TF names → C# identifiers: PascalCase members, camelCase parameters.</summary>
    internal static class Naming
    {
        /// <summary>
        /// <c>op_to_restore</c> → <c>OpToRestore</c>, <c>Variable_1</c> → <c>Variable1</c>,
        /// <c>1x1</c> → <c>_1x1</c>, <c>y_</c> → <c>Y_</c>. Splits on anything that is not a letter or digit.
        /// </summary>
        public static string Pascal(string segment)
        {
            var sb = new StringBuilder(segment.Length);
            bool upper = true;
            foreach (char c in segment)
            {
                if (char.IsLetterOrDigit(c) && c < 128)
                {
                    sb.Append(upper ? char.ToUpperInvariant(c) : c);
                    upper = false;
                }
                else
                {
                    upper = true;
                }
            }
            if (sb.Length == 0) return "_";
            if (char.IsDigit(sb[0])) sb.Insert(0, '_');
            // TF's `y` and `y_` (label placeholders) are both common: keep a trailing underscore apart.
            if (segment.EndsWith("_", System.StringComparison.Ordinal)) sb.Append('_');
            return sb.ToString();
        }

        /// <summary><c>input/x</c> → <c>inputX</c>; C# keywords get an <c>@</c>.</summary>
        public static string Camel(string tfName)
        {
            var sb = new StringBuilder();
            foreach (var part in tfName.Split('/'))
                sb.Append(Pascal(part).TrimStart('_'));
            if (sb.Length == 0) return "_";
            var s = sb.ToString();
            s = char.IsDigit(s[0]) ? "_" + s : char.ToLowerInvariant(s[0]) + s.Substring(1);
            return SyntaxFacts.GetKeywordKind(s) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None
                || SyntaxFacts.GetContextualKeywordKind(s) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None ? "@" + s : s;
        }

        /// <summary>Is <paramref name="name"/> a valid, non-keyword C# identifier?</summary>
        public static bool IsIdentifier(string name)
            => SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None;

        /// <summary>
        /// Makes <paramref name="wanted"/> unique in <paramref name="taken"/> by appending <c>_2</c>,
        /// <c>_3</c>…; callers feed names in ordinal TF-name order, so the result is deterministic.
        /// </summary>
        public static string Unique(string wanted, HashSet<string> taken)
        {
            if (taken.Add(wanted)) return wanted;
            for (int i = 2; ; i++)
            {
                var candidate = wanted + "_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (taken.Add(candidate)) return candidate;
            }
        }
    }
}
