using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>The arithmetic binary ops (all broadcast the TF way).</summary>
internal enum BinaryOp
{
    Add, Sub, Mul, RealDiv, TruncDiv, FloorDiv, FloorMod, Maximum, Minimum, Pow, SquaredDifference,
    TruncMod, DivNoNan, MulNoNan, Atan2, Xdivy, Xlogy,
}

/// <summary>
/// Row-level math of the binary ops: one call per output row, where each operand is either a contiguous
/// row or one repeated value. Float rows go through <see cref="TensorPrimitives"/> (vectorized); the
/// integer semantics TF defines (truncating Div, flooring FloorDiv/FloorMod, errors on zero) are scalar.
/// </summary>
internal static class BinaryMath
{
    /// <summary>d = op(a, b), where a (b) is a row when <paramref name="aRow"/> (<paramref name="bRow"/>), else a[0] (b[0]).</summary>
    /// <exception cref="DivideByZeroException">Integer division or modulo by zero.</exception>
    /// <exception cref="ArithmeticException">Integer to a negative integer power.</exception>
    public static void Row<T>(BinaryOp op, ReadOnlySpan<T> a, bool aRow, ReadOnlySpan<T> b, bool bRow, Span<T> d)
        where T : unmanaged, INumber<T>
    {
        if (d.IsEmpty) return;
        if (typeof(T) == typeof(float)) { Float(op, Cast<T, float>(a), aRow, Cast<T, float>(b), bRow, MemoryMarshal.Cast<T, float>(d)); return; }
        if (typeof(T) == typeof(double)) { Float(op, Cast<T, double>(a), aRow, Cast<T, double>(b), bRow, MemoryMarshal.Cast<T, double>(d)); return; }
        switch (op)
        {
            case BinaryOp.Add: Generic(a, aRow, b, bRow, d, static (x, y) => x + y); return;
            case BinaryOp.Sub: Generic(a, aRow, b, bRow, d, static (x, y) => x - y); return;
            case BinaryOp.Mul: Generic(a, aRow, b, bRow, d, static (x, y) => x * y); return;
            case BinaryOp.Maximum: Generic(a, aRow, b, bRow, d, static (x, y) => x > y ? x : y); return;
            case BinaryOp.Minimum: Generic(a, aRow, b, bRow, d, static (x, y) => x < y ? x : y); return;
            case BinaryOp.SquaredDifference: Generic(a, aRow, b, bRow, d, static (x, y) => (x - y) * (x - y)); return;
            case BinaryOp.RealDiv:
            case BinaryOp.TruncDiv: Generic(a, aRow, b, bRow, d, static (x, y) => T.IsZero(y) ? throw new DivideByZeroException() : x / y); return;
            case BinaryOp.FloorDiv: Generic(a, aRow, b, bRow, d, FloorDivInt); return;
            case BinaryOp.FloorMod: Generic(a, aRow, b, bRow, d, FloorModInt); return;
            case BinaryOp.Pow: Generic(a, aRow, b, bRow, d, PowInt); return;
            case BinaryOp.TruncMod: Generic(a, aRow, b, bRow, d, static (x, y) => T.IsZero(y) ? throw new DivideByZeroException() : x % y); return;
            case BinaryOp.DivNoNan: Generic(a, aRow, b, bRow, d, static (x, y) => T.IsZero(y) ? T.Zero : x / y); return;
            case BinaryOp.MulNoNan: Generic(a, aRow, b, bRow, d, static (x, y) => T.IsZero(y) ? T.Zero : x * y); return;
            default: throw new ArithmeticException($"{op} is defined for floating-point types only");
        }
    }

    private static ReadOnlySpan<TTo> Cast<TFrom, TTo>(ReadOnlySpan<TFrom> s) where TFrom : struct where TTo : struct
        => MemoryMarshal.Cast<TFrom, TTo>(s);

    private static void Float<T>(BinaryOp op, ReadOnlySpan<T> a, bool aRow, ReadOnlySpan<T> b, bool bRow, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Every op has a row⊕row, row⊕scalar and scalar⊕row form; a scalar⊕scalar "row" is a single value.
        if (!aRow && !bRow)
        {
            d.Fill(Scalar(op, a[0], b[0]));
            return;
        }
        switch (op)
        {
            case BinaryOp.Add:
                if (aRow && bRow) TensorPrimitives.Add(a, b, d); else if (aRow) TensorPrimitives.Add(a, b[0], d); else TensorPrimitives.Add(b, a[0], d);
                return;
            case BinaryOp.Sub:
                if (aRow && bRow) TensorPrimitives.Subtract(a, b, d); else if (aRow) TensorPrimitives.Subtract(a, b[0], d); else TensorPrimitives.Subtract(a[0], b, d);
                return;
            case BinaryOp.Mul:
                if (aRow && bRow) TensorPrimitives.Multiply(a, b, d); else if (aRow) TensorPrimitives.Multiply(a, b[0], d); else TensorPrimitives.Multiply(b, a[0], d);
                return;
            case BinaryOp.RealDiv:
            case BinaryOp.TruncDiv:
                if (aRow && bRow) TensorPrimitives.Divide(a, b, d); else if (aRow) TensorPrimitives.Divide(a, b[0], d); else TensorPrimitives.Divide(a[0], b, d);
                return;
            case BinaryOp.Maximum:
                if (aRow && bRow) TensorPrimitives.Max(a, b, d); else if (aRow) TensorPrimitives.Max(a, b[0], d); else TensorPrimitives.Max(b, a[0], d);
                return;
            case BinaryOp.Minimum:
                if (aRow && bRow) TensorPrimitives.Min(a, b, d); else if (aRow) TensorPrimitives.Min(a, b[0], d); else TensorPrimitives.Min(b, a[0], d);
                return;
            case BinaryOp.Pow:
                if (aRow && bRow) TensorPrimitives.Pow(a, b, d); else if (aRow) TensorPrimitives.Pow(a, b[0], d); else TensorPrimitives.Pow(a[0], b, d);
                return;
            case BinaryOp.SquaredDifference:
                if (aRow && bRow) TensorPrimitives.Subtract(a, b, d); else if (aRow) TensorPrimitives.Subtract(a, b[0], d); else TensorPrimitives.Subtract(a[0], b, d);
                TensorPrimitives.Multiply(d, d, d);
                return;
            case BinaryOp.FloorDiv:
                if (aRow && bRow) TensorPrimitives.Divide(a, b, d); else if (aRow) TensorPrimitives.Divide(a, b[0], d); else TensorPrimitives.Divide(a[0], b, d);
                TensorPrimitives.Floor(d, d);
                return;
            case BinaryOp.FloorMod:
                Generic(a, aRow, b, bRow, d, FloorModFloat);
                return;
            default:
                ScalarLoop(op, a, aRow, b, bRow, d);
                return;
        }
    }

    // Kept out of Float: a lambda capturing `op` there would allocate its closure on every call, fast paths included.
    private static void ScalarLoop<T>(BinaryOp op, ReadOnlySpan<T> a, bool aRow, ReadOnlySpan<T> b, bool bRow, Span<T> d)
        where T : unmanaged, IFloatingPointIeee754<T>
        => Generic(a, aRow, b, bRow, d, (x, y) => Scalar(op, x, y));

    private static T Scalar<T>(BinaryOp op, T x, T y) where T : unmanaged, IFloatingPointIeee754<T> => op switch
    {
        BinaryOp.Add => x + y,
        BinaryOp.Sub => x - y,
        BinaryOp.Mul => x * y,
        BinaryOp.RealDiv or BinaryOp.TruncDiv => x / y,
        BinaryOp.FloorDiv => T.Floor(x / y),
        BinaryOp.FloorMod => FloorModFloat(x, y),
        BinaryOp.Maximum => T.Max(x, y),
        BinaryOp.Minimum => T.Min(x, y),
        BinaryOp.Pow => T.Pow(x, y),
        BinaryOp.TruncMod => x % y, // C fmod: the result takes the dividend's sign
        BinaryOp.DivNoNan => T.IsZero(y) ? T.Zero : x / y,
        BinaryOp.MulNoNan => T.IsZero(y) ? T.Zero : x * y,
        BinaryOp.Atan2 => T.Atan2(x, y),
        BinaryOp.Xdivy => T.IsZero(x) ? T.Zero : x / y,
        BinaryOp.Xlogy => T.IsZero(x) ? T.Zero : x * T.Log(y),
        _ => (x - y) * (x - y),
    };

    private static void Generic<T>(ReadOnlySpan<T> a, bool aRow, ReadOnlySpan<T> b, bool bRow, Span<T> d, Func<T, T, T> f)
    {
        if (aRow && bRow) for (int i = 0; i < d.Length; i++) d[i] = f(a[i], b[i]);
        else if (aRow) { var y = b[0]; for (int i = 0; i < d.Length; i++) d[i] = f(a[i], y); }
        else if (bRow) { var x = a[0]; for (int i = 0; i < d.Length; i++) d[i] = f(x, b[i]); }
        else d.Fill(f(a[0], b[0]));
    }

    // As TF's floor_fmod: the result takes the divisor's sign.
    private static T FloorModFloat<T>(T x, T y) where T : IFloatingPointIeee754<T>
    {
        T r = x % y;
        return !T.IsZero(r) && (T.IsNegative(y) != T.IsNegative(r)) ? r + y : r;
    }

    // As TF's google_floor_div: round the quotient toward -inf.
    private static T FloorDivInt<T>(T x, T y) where T : INumber<T>
    {
        if (T.IsZero(y)) throw new DivideByZeroException();
        T q = x / y;
        return (T.IsNegative(x) != T.IsNegative(y)) && !T.IsZero(x % y) ? q - T.One : q;
    }

    // As TF's google_floor_fmod for integers.
    private static T FloorModInt<T>(T x, T y) where T : INumber<T>
    {
        if (T.IsZero(y)) throw new DivideByZeroException();
        T r = x % y;
        return !T.IsZero(r) && (T.IsNegative(y) != T.IsNegative(r)) ? r + y : r;
    }

    // TF rejects negative integer exponents ("Integers to negative integer powers are not allowed").
    private static T PowInt<T>(T x, T y) where T : INumber<T>
    {
        if (T.IsNegative(y)) throw new ArithmeticException("Integers to negative integer powers are not allowed");
        T result = T.One;
        while (!T.IsZero(y))
        {
            if (!T.IsZero(y % (T.One + T.One))) result *= x;
            x *= x;
            y /= T.One + T.One;
        }
        return result;
    }
}
