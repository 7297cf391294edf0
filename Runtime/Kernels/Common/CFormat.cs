using System.Globalization;
using System.Numerics;
using System.Text;

namespace TypedGraph.Kernels.Common;

/// <summary>
/// C <c>printf</c>'s number conversions (<c>%e</c>, <c>%f</c>, <c>%g</c>, <c>%d</c>, <c>%u</c> with the flags
/// <c>- + space 0 #</c>, a width and a precision), computed from the exact binary value and rounded half to even as
/// glibc's printf and absl's StrFormat do (.NET's "F"/"E" formats round half away from zero, so 0.125 → "%.2f" is
/// "0.12" here and "0.13" in .NET), and TF's shortest-round-trip element text: <see cref="FloatToBuffer"/> /
/// <see cref="DoubleToBuffer"/> as tensorflow/tsl/platform/numbers.cc writes them.
/// </summary>
internal static class CFormat
{
    /// <summary>printf flags.</summary>
    [Flags]
    public enum Flags
    {
        None = 0,
        /// <summary><c>-</c>: left-justify in the width.</summary>
        Left = 1,
        /// <summary><c>+</c>: always a sign on signed conversions.</summary>
        Plus = 2,
        /// <summary>space: a space where a plus sign would go.</summary>
        Space = 4,
        /// <summary><c>0</c>: pad with zeros after the sign (finite numbers, not with <c>-</c>).</summary>
        Zero = 8,
        /// <summary><c>#</c>: always a decimal point; <c>%g</c> keeps its trailing zeros.</summary>
        Alt = 16,
    }

    /// <summary>The flag a one-character printf flag string means (TF's AsString <c>fill</c>), or null if it is none.</summary>
    public static Flags? FlagOf(char c) => c switch
    {
        '-' => Flags.Left,
        '+' => Flags.Plus,
        ' ' => Flags.Space,
        '0' => Flags.Zero,
        '#' => Flags.Alt,
        _ => null,
    };

    /// <summary>
    /// TF's float text (tsl numbers.cc <c>FloatToBuffer</c>, used by <c>strings::StrCat</c>): <c>"nan"</c>/<c>"-nan"</c> by the
    /// sign bit; else <c>%.6g</c> (FLT_DIG) if that parses back to the same float, otherwise <c>%.9g</c> (FLT_DIG + 3).
    /// </summary>
    public static string FloatToBuffer(float value)
    {
        if (float.IsNaN(value)) return float.IsNegative(value) ? "-nan" : "nan";
        var s = Format(value, 'g', 6);
        return ParsesBack(s, value) ? s : Format(value, 'g', 9);
    }

    /// <summary>
    /// TF's double text (tsl numbers.cc <c>DoubleToBuffer</c>): <c>"nan"</c>/<c>"-nan"</c>; else <c>%.15g</c> (digits10) if it
    /// round-trips, otherwise <c>%.17g</c> (max_digits10).
    /// </summary>
    public static string DoubleToBuffer(double value)
    {
        if (double.IsNaN(value)) return double.IsNegative(value) ? "-nan" : "nan";
        var s = Format(value, 'g', 15);
        return ParsesBack(s, value) ? s : Format(value, 'g', 17);
    }

    private static bool ParsesBack(string s, float value)
        => double.IsInfinity(value) || float.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) == value;

    private static bool ParsesBack(string s, double value)
        => double.IsInfinity(value) || double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture) == value;

    /// <summary>
    /// printf <c>%{flags}{width}.{precision}{conv}</c> of a floating value, <paramref name="conv"/> one of <c>e f g</c>
    /// (precision &lt; 0 means none given: 6).
    /// </summary>
    public static string Format(double value, char conv, int precision, int width = 0, Flags flags = Flags.None)
    {
        bool negative = double.IsNegative(value);
        string body;
        if (double.IsNaN(value)) body = "nan";
        else if (double.IsInfinity(value)) body = "inf";
        else
        {
            int p = precision < 0 ? 6 : precision;
            body = conv switch
            {
                'e' => FormatE(Math.Abs(value), p, (flags & Flags.Alt) != 0),
                'f' => FormatF(Math.Abs(value), p, (flags & Flags.Alt) != 0),
                'g' => FormatG(Math.Abs(value), p, (flags & Flags.Alt) != 0),
                _ => throw new ArgumentOutOfRangeException(nameof(conv), conv, "expected e, f or g"),
            };
        }
        bool zeroPad = (flags & Flags.Zero) != 0 && double.IsFinite(value);
        return Pad(Sign(negative, flags), body, width, flags, zeroPad);
    }

    /// <summary>printf <c>%{flags}{width}d</c> (or <c>u</c> when <paramref name="unsigned"/>: no <c>+</c>/space sign).</summary>
    public static string FormatInteger(BigInteger value, int width = 0, Flags flags = Flags.None, bool unsigned = false)
    {
        bool negative = value.Sign < 0;
        string sign = unsigned ? "" : Sign(negative, flags);
        return Pad(sign, BigInteger.Abs(value).ToString(CultureInfo.InvariantCulture), width, flags, (flags & Flags.Zero) != 0);
    }

    private static string Sign(bool negative, Flags flags)
        => negative ? "-" : (flags & Flags.Plus) != 0 ? "+" : (flags & Flags.Space) != 0 ? " " : "";

    private static string Pad(string sign, string body, int width, Flags flags, bool zeroPad)
    {
        int len = sign.Length + body.Length;
        if (len >= width) return sign + body;
        if ((flags & Flags.Left) != 0) return (sign + body).PadRight(width);
        return zeroPad ? sign + new string('0', width - len) + body : (sign + body).PadLeft(width);
    }

    // ---- exact decimal digits -------------------------------------------------------------------------------------

    /// <summary>The exact decimal expansion of a finite, positive <paramref name="v"/>: its significant digits (no
    /// trailing zeros) and the power of ten of the first one (v = d.ddd × 10^exp).</summary>
    private static (string Digits, int Exp) ExactDigits(double v)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        int biased = (int)((bits >> 52) & 0x7FF);
        long mantissa = bits & 0xFFFFFFFFFFFFFL;
        int e2;
        if (biased == 0) e2 = -1074; // subnormal
        else
        {
            mantissa |= 1L << 52;
            e2 = biased - 1075;
        }
        string digits;
        int exp;
        if (e2 >= 0)
        {
            digits = (new BigInteger(mantissa) << e2).ToString(CultureInfo.InvariantCulture);
            exp = digits.Length - 1;
        }
        else
        {
            // m / 2^k = m · 5^k / 10^k
            digits = (new BigInteger(mantissa) * BigInteger.Pow(5, -e2)).ToString(CultureInfo.InvariantCulture);
            exp = digits.Length - 1 + e2;
        }
        return (digits.TrimEnd('0'), exp);
    }

    /// <summary>round(v / 10^(exp − keep + 1)) half to even, as a decimal string: the first <paramref name="keep"/>
    /// significant digits, rounded (one more digit when rounding carries; "0"/"1" when keep ≤ 0).</summary>
    private static string RoundDigits(string digits, int keep)
    {
        int n = digits.Length;
        if (keep < 0) return "0";
        if (keep == 0) return digits[0] > '5' || (digits[0] == '5' && n > 1) ? "1" : "0"; // an exact half rounds to even 0
        if (keep >= n) return digits + new string('0', keep - n);
        char next = digits[keep];
        bool rest = n > keep + 1; // no trailing zeros, so any later digit is nonzero
        bool up = next > '5' || (next == '5' && (rest || ((digits[keep - 1] - '0') & 1) == 1));
        var kept = digits[..keep].ToCharArray();
        if (!up) return new string(kept);
        int i = keep - 1;
        while (i >= 0 && kept[i] == '9') kept[i--] = '0';
        if (i < 0) return "1" + new string(kept);
        kept[i]++;
        return new string(kept);
    }

    private static string FormatE(double v, int p, bool alt)
    {
        string mant;
        int exp;
        if (v == 0)
        {
            mant = new string('0', p + 1);
            exp = 0;
        }
        else
        {
            (var digits, exp) = ExactDigits(v);
            mant = RoundDigits(digits, p + 1);
            if (mant.Length > p + 1)
            {
                mant = mant[..(p + 1)];
                exp++;
            }
        }
        var sb = new StringBuilder();
        sb.Append(mant[0]);
        if (p > 0 || alt) sb.Append('.');
        sb.Append(mant, 1, p);
        sb.Append('e').Append(exp < 0 ? '-' : '+');
        int a = Math.Abs(exp);
        if (a < 10) sb.Append('0');
        sb.Append(a.ToString(CultureInfo.InvariantCulture));
        return sb.ToString();
    }

    private static string FormatF(double v, int p, bool alt)
    {
        string q; // round(v · 10^p)
        if (v == 0) q = "0";
        else
        {
            var (digits, exp) = ExactDigits(v);
            q = RoundDigits(digits, exp + 1 + p);
        }
        if (q.Length < p + 1) q = new string('0', p + 1 - q.Length) + q;
        string intPart = q[..(q.Length - p)], frac = q[(q.Length - p)..];
        return p > 0 || alt ? intPart + "." + frac : intPart;
    }

    private static string FormatG(double v, int p, bool alt)
    {
        int sig = p == 0 ? 1 : p;
        int x = 0; // the exponent %e would print with precision sig − 1
        if (v != 0)
        {
            var (digits, exp) = ExactDigits(v);
            x = RoundDigits(digits, sig).Length > sig ? exp + 1 : exp;
        }
        string s = sig > x && x >= -4 ? FormatF(v, sig - 1 - x, alt) : FormatE(v, sig - 1, alt);
        if (alt) return s;
        int e = s.IndexOf('e');
        string mant = e < 0 ? s : s[..e], tail = e < 0 ? "" : s[e..];
        if (mant.Contains('.')) mant = mant.TrimEnd('0').TrimEnd('.');
        return mant + tail;
    }
}
