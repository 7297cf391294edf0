using System.Collections.Generic;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>TF names → C# identifiers: PascalCase members, camelCase parameters.</summary>
    internal static class Naming
    {
        /// <summary>
        /// One name segment → a PascalCase identifier, derivable from the TF name without looking:
        /// split on every character that is not an ASCII letter or digit, capitalize each word's first letter,
        /// and join — except that a word of digits only (TF's uniquifying <c>_N</c>) keeps its underscore.
        /// <c>op_to_restore</c> → <c>OpToRestore</c>, <c>MatMul_2</c> → <c>MatMul_2</c>, <c>Variable_1</c> →
        /// <c>Variable_1</c>, <c>conv2d_1</c> → <c>Conv2d_1</c>, <c>1x1</c> → <c>_1x1</c>, <c>y_</c> → <c>Y_</c>.
        /// The result never contains <c>__</c>, which keeps collision suffixes (<see cref="Unique"/>) apart.
        /// </summary>
        public static string Pascal(string segment)
        {
            var sb = new StringBuilder(segment.Length);
            int i = 0;
            while (i < segment.Length)
            {
                if (!IsWordChar(segment[i])) { i++; continue; }
                int start = i;
                while (i < segment.Length && IsWordChar(segment[i])) i++;
                var word = segment.Substring(start, i - start);
                bool digits = true;
                foreach (char c in word) digits &= c >= '0' && c <= '9';
                if (digits && sb.Length > 0) sb.Append('_').Append(word);
                else sb.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
            }
            if (sb.Length == 0) return "_";
            if (char.IsDigit(sb[0])) sb.Insert(0, '_');
            // TF's `y` and `y_` (label placeholders) are both common: keep a trailing underscore apart.
            if (segment.EndsWith("_", System.StringComparison.Ordinal)) sb.Append('_');
            return sb.ToString();
        }

        /// <summary>A file name → a class name: every word capitalized and joined, digits included
        /// (<c>my_test_model-1000</c> → <c>MyTestModel1000</c>).</summary>
        public static string PascalJoined(string text)
        {
            var sb = new StringBuilder(text.Length);
            bool upper = true;
            foreach (char c in text)
            {
                if (IsWordChar(c))
                {
                    sb.Append(upper ? char.ToUpperInvariant(c) : c);
                    upper = false;
                }
                else upper = true;
            }
            if (sb.Length == 0) return "_";
            if (char.IsDigit(sb[0])) sb.Insert(0, '_');
            return sb.ToString();
        }

        private static bool IsWordChar(char c) => c < 128 && char.IsLetterOrDigit(c);

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

        /// <summary>A contextual keyword (<c>var</c>, <c>record</c>, <c>dynamic</c>…) that misbehaves as a type name.</summary>
        public static bool IsContextualKeyword(string name)
            => SyntaxFacts.GetContextualKeywordKind(name) != Microsoft.CodeAnalysis.CSharp.SyntaxKind.None || name == "dynamic";

        /// <summary>Is <paramref name="name"/> a valid, non-keyword C# identifier?</summary>
        public static bool IsIdentifier(string name)
            => SyntaxFacts.IsValidIdentifier(name) && SyntaxFacts.GetKeywordKind(name) == Microsoft.CodeAnalysis.CSharp.SyntaxKind.None;

        /// <summary>
        /// Makes <paramref name="wanted"/> unique in <paramref name="taken"/> by appending <c>__2</c>,
        /// <c>__3</c>… (a double underscore, which <see cref="Pascal"/> never produces, so a suffixed name
        /// cannot be another TF name's identifier); callers feed names in ordinal TF-name order, so the first
        /// in that order keeps the plain name and the result is deterministic.
        /// </summary>
        public static string Unique(string wanted, HashSet<string> taken)
        {
            if (taken.Add(wanted)) return wanted;
            for (int i = 2; ; i++)
            {
                var candidate = wanted + "__" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (taken.Add(candidate)) return candidate;
            }
        }
    }
}
