using System.Globalization;
using System.Text;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// Unicode full case mapping without language tailoring — what ICU's <c>UnicodeString::toUpper()</c> /
/// <c>toLower()</c> do in a non-Turkic, non-Lithuanian default locale, and hence TF's StringUpper/StringLower with
/// <c>encoding: "utf-8"</c> (string_upper_op.cc / string_lower_op.cc). It is the simple mapping (UnicodeData.txt,
/// via .NET's invariant <see cref="Rune"/> casing) plus SpecialCasing.txt's unconditional entries (ß → SS, the
/// ligatures, ŉ, ǰ, the Greek letters with ypogegrammeni, İ → i̇ …) and its one language-insensitive conditional rule,
/// Final_Sigma (Σ lower-cases to ς after a cased letter unless a cased letter follows, skipping case-ignorable
/// characters). .NET's invariant casing leaves ı (U+0131) unchanged on upper-casing to match Windows; Unicode and ICU
/// map it to I, so we do too. Approximation: "cased" and "case-ignorable" for Final_Sigma come from general categories
/// (Lu/Ll/Lt plus the Other_Lowercase/Other_Uppercase ranges listed below; Mn/Me/Cf/Lm/Sk plus the MidLetter,
/// MidNumLet and Single_Quote characters) rather than ICU's property tables.
/// </summary>
internal static class FullCaseMapping
{
    // SpecialCasing.txt, unconditional mappings whose upper case differs from the simple mapping.
    private const string UpperSpecialTable =
        "00DF:0053 0053;FB00:0046 0046;FB01:0046 0049;FB02:0046 004C;FB03:0046 0046 0049;FB04:0046 0046 004C;" +
        "FB05:0053 0054;FB06:0053 0054;0587:0535 0552;FB13:0544 0546;FB14:0544 0535;FB15:0544 053B;FB16:054E 0546;" +
        "FB17:0544 053D;0149:02BC 004E;0390:0399 0308 0301;03B0:03A5 0308 0301;01F0:004A 030C;1E96:0048 0331;" +
        "1E97:0054 0308;1E98:0057 030A;1E99:0059 030A;1E9A:0041 02BE;1F50:03A5 0313;1F52:03A5 0313 0300;" +
        "1F54:03A5 0313 0301;1F56:03A5 0313 0342;1FB6:0391 0342;1FC6:0397 0342;1FD2:0399 0308 0300;" +
        "1FD3:0399 0308 0301;1FD6:0399 0342;1FD7:0399 0308 0342;1FE2:03A5 0308 0300;1FE3:03A5 0308 0301;" +
        "1FE4:03A1 0313;1FE6:03A5 0342;1FE7:03A5 0308 0342;1FF6:03A9 0342;1FB3:0391 0399;1FBC:0391 0399;" +
        "1FC3:0397 0399;1FCC:0397 0399;1FF3:03A9 0399;1FFC:03A9 0399;1FB2:1FBA 0399;1FB4:0386 0399;1FC2:1FCA 0399;" +
        "1FC4:0389 0399;1FF2:1FFA 0399;1FF4:038F 0399;1FB7:0391 0342 0399;1FC7:0397 0342 0399;1FF7:03A9 0342 0399";

    private static readonly Dictionary<int, string> s_upper = BuildUpper();

    private static Dictionary<int, string> BuildUpper()
    {
        var map = new Dictionary<int, string>();
        foreach (var entry in UpperSpecialTable.Split(';'))
        {
            var parts = entry.Split(':');
            map[Convert.ToInt32(parts[0], 16)] = string.Concat(parts[1].Split(' ').Select(h => char.ConvertFromUtf32(Convert.ToInt32(h, 16))));
        }
        // U+1F80..U+1FAF: alpha/eta/omega with ypogegrammeni or prosgegrammeni upper-case to the capital without it + Ι.
        for (int k = 0; k < 16; k++)
        {
            map[0x1F80 + k] = char.ConvertFromUtf32(0x1F08 + k % 8) + "\u0399";
            map[0x1F90 + k] = char.ConvertFromUtf32(0x1F28 + k % 8) + "\u0399";
            map[0x1FA0 + k] = char.ConvertFromUtf32(0x1F68 + k % 8) + "\u0399";
        }
        map[0x0131] = "I"; // simple mapping per UnicodeData; .NET's invariant casing keeps ı for Windows compatibility.
        return map;
    }

    /// <summary>Full upper-case mapping of <paramref name="s"/>.</summary>
    public static string ToUpper(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var r in s.EnumerateRunes())
        {
            if (s_upper.TryGetValue(r.Value, out var special)) sb.Append(special);
            else sb.Append(Rune.ToUpperInvariant(r).ToString());
        }
        return sb.ToString();
    }

    /// <summary>Full lower-case mapping of <paramref name="s"/> (İ → i̇, Final_Sigma).</summary>
    public static string ToLower(string s)
    {
        var runes = s.EnumerateRunes().ToArray();
        var sb = new StringBuilder(s.Length);
        for (int i = 0; i < runes.Length; i++)
        {
            int c = runes[i].Value;
            if (c == 0x0130) sb.Append("i\u0307");
            else if (c == 0x03A3) sb.Append(IsFinalSigma(runes, i) ? 'ς' : 'σ');
            else sb.Append(Rune.ToLowerInvariant(runes[i]).ToString());
        }
        return sb.ToString();
    }

    // Unicode 3.13 Final_Sigma: before C, a cased letter then zero or more case-ignorables; after C, not (zero or
    // more case-ignorables then a cased letter).
    private static bool IsFinalSigma(Rune[] runes, int at)
    {
        int i = at - 1;
        while (i >= 0 && !IsCased(runes[i]) && IsCaseIgnorable(runes[i])) i--;
        if (i < 0 || !IsCased(runes[i])) return false;
        int j = at + 1;
        while (j < runes.Length && !IsCased(runes[j]) && IsCaseIgnorable(runes[j])) j++;
        return j >= runes.Length || !IsCased(runes[j]);
    }

    private static bool IsCased(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        if (cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter) return true;
        int c = r.Value;
        // Other_Lowercase / Other_Uppercase (PropList.txt) outside Lu/Ll/Lt.
        return c is 0x00AA or 0x00BA or (>= 0x02B0 and <= 0x02B8) or 0x02C0 or 0x02C1 or (>= 0x02E0 and <= 0x02E4)
            or 0x0345 or 0x037A or (>= 0x1D2C and <= 0x1D6A) or 0x1D78 or (>= 0x1D9B and <= 0x1DBF) or 0x2071 or 0x207F
            or (>= 0x2090 and <= 0x209C) or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9) or 0x2C7C or 0x2C7D
            or 0xA69C or 0xA69D or 0xA770 or 0xA7F8 or 0xA7F9 or (>= 0xAB5C and <= 0xAB5F)
            or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);
    }

    private static bool IsCaseIgnorable(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol) return true;
        // Word_Break MidLetter, MidNumLet, Single_Quote.
        return r.Value is 0x0027 or 0x002E or 0x003A or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }
}
