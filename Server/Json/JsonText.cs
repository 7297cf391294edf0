using System.Globalization;
using System.Text;

namespace TypedGraph.Server.Json;

/// <summary>
/// Number and string formatting for responses, matching TF Serving's json_tensor.cc <c>WriteDecimal</c>: a
/// finite float/double is written with six significant digits (<c>absl::StrCat</c>, printf <c>%g</c>), and if that
/// does not parse back to the same value, with <c>max_digits10</c> digits (9 for float, 17 for double); a
/// whole number not in exponent form gets a trailing <c>.0</c>; non-finite values are the bare tokens
/// <c>NaN</c>, <c>Infinity</c>, <c>-Infinity</c>.
/// </summary>
public static class JsonText
{
    /// <summary>A float as TF Serving writes it.</summary>
    public static string Decimal(float value)
    {
        if (float.IsNaN(value)) return "NaN";
        if (float.IsInfinity(value)) return value < 0 ? "-Infinity" : "Infinity";
        var s = FormatG(value, 6);
        if (float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) != value) s = FormatG(value, 9);
        return WholeSuffix(s);
    }

    /// <summary>A double as TF Serving writes it.</summary>
    public static string Decimal(double value)
    {
        if (double.IsNaN(value)) return "NaN";
        if (double.IsInfinity(value)) return value < 0 ? "-Infinity" : "Infinity";
        var s = FormatG(value, 6);
        if (double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) != value) s = FormatG(value, 17);
        return WholeSuffix(s);
    }

    private static string WholeSuffix(string s) => s.Contains('.') || s.Contains('e') ? s : s + ".0";

    /// <summary>printf's <c>%.{precision}g</c> for a finite value (C locale).</summary>
    public static string FormatG(double value, int precision)
    {
        if (value == 0) return double.IsNegative(value) ? "-0" : "0";
        var e = value.ToString("E" + (precision - 1).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int ePos = e.IndexOf('E');
        int exp = int.Parse(e.AsSpan(ePos + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exp < -4 || exp >= precision)
        {
            var mantissa = StripZeros(e[..ePos]);
            return mantissa + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString("00", CultureInfo.InvariantCulture);
        }
        var fixedText = value.ToString("F" + (precision - 1 - exp).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return StripZeros(fixedText);
    }

    private static string StripZeros(string s)
    {
        if (!s.Contains('.')) return s;
        s = s.TrimEnd('0');
        return s.EndsWith('.') ? s[..^1] : s;
    }

    /// <summary>A JSON string literal (quotes, backslashes and control characters escaped; other text as is).</summary>
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        AppendQuoted(sb, s);
        return sb.ToString();
    }

    /// <summary>Appends <paramref name="s"/> as a JSON string literal.</summary>
    public static void AppendQuoted(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
