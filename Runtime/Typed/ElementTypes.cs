using System.Numerics;
using System.Text;
using TypedGraph.Protos;

namespace TypedGraph.Typed;

/// <summary>
/// Bridges the generated code's element types (unconstrained <c>T</c>: <c>float</c>… and also
/// <c>string</c>) to <see cref="Tensor"/>, whose typed APIs need <c>unmanaged</c> types. One switch
/// per direction; the JIT folds the <c>typeof</c> tests per instantiation.
/// </summary>
internal static class ElementTypes
{
    /// <summary>The dtype generated code uses for <typeparamref name="T"/>.</summary>
    public static DataType DTypeOf<T>()
        => ClrDType<T>.Value ?? throw new NotSupportedException($"{typeof(T).Name} is not a TensorFlow element type.");

    /// <summary>Copies <paramref name="data"/> into a new tensor of exactly <paramref name="shape"/> (empty = scalar).</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public static Tensor ToTensor<T>(T[] data, int[] shape)
    {
        if (typeof(T) == typeof(string)) return new Tensor(new TensorShape(shape), ((string[])(object)data).Select(Encoding.UTF8.GetBytes).ToArray());
        if (typeof(T) == typeof(float)) return Tensor.Create<float>(new ReadOnlySpan<float>((float[])(object)data), shape);
        if (typeof(T) == typeof(double)) return Tensor.Create<double>(new ReadOnlySpan<double>((double[])(object)data), shape);
        if (typeof(T) == typeof(int)) return Tensor.Create<int>(new ReadOnlySpan<int>((int[])(object)data), shape);
        if (typeof(T) == typeof(long)) return Tensor.Create<long>(new ReadOnlySpan<long>((long[])(object)data), shape);
        if (typeof(T) == typeof(bool)) return Tensor.Create<bool>(new ReadOnlySpan<bool>((bool[])(object)data), shape);
        if (typeof(T) == typeof(byte)) return Tensor.Create<byte>(new ReadOnlySpan<byte>((byte[])(object)data), shape);
        if (typeof(T) == typeof(sbyte)) return Tensor.Create<sbyte>(new ReadOnlySpan<sbyte>((sbyte[])(object)data), shape);
        if (typeof(T) == typeof(short)) return Tensor.Create<short>(new ReadOnlySpan<short>((short[])(object)data), shape);
        if (typeof(T) == typeof(ushort)) return Tensor.Create<ushort>(new ReadOnlySpan<ushort>((ushort[])(object)data), shape);
        if (typeof(T) == typeof(uint)) return Tensor.Create<uint>(new ReadOnlySpan<uint>((uint[])(object)data), shape);
        if (typeof(T) == typeof(ulong)) return Tensor.Create<ulong>(new ReadOnlySpan<ulong>((ulong[])(object)data), shape);
        if (typeof(T) == typeof(Half)) return Tensor.Create<Half>(new ReadOnlySpan<Half>((Half[])(object)data), shape);
        if (typeof(T) == typeof(Complex)) return Tensor.Create<Complex>(new ReadOnlySpan<Complex>((Complex[])(object)data), shape);
        throw new NotSupportedException($"{typeof(T).Name} is not a TensorFlow element type.");
    }

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor Scalar<T>(T value)
    {
        if (typeof(T) == typeof(string)) return Tensor.FromString((string)(object)value!);
        return ToTensor([value], []);
    }

    /// <summary>Copies the elements of <paramref name="tensor"/> out as <typeparamref name="T"/>.</summary>
    public static T[] ToArray<T>(Tensor tensor)
    {
        if (typeof(T) == typeof(string)) return (T[])(object)tensor.Strings.Select(Encoding.UTF8.GetString).ToArray();
        if (typeof(T) == typeof(float)) return (T[])(object)tensor.ToArray<float>();
        if (typeof(T) == typeof(double)) return (T[])(object)tensor.ToArray<double>();
        if (typeof(T) == typeof(int)) return (T[])(object)tensor.ToArray<int>();
        if (typeof(T) == typeof(long)) return (T[])(object)tensor.ToArray<long>();
        if (typeof(T) == typeof(bool)) return (T[])(object)tensor.ToArray<bool>();
        if (typeof(T) == typeof(byte)) return (T[])(object)tensor.ToArray<byte>();
        if (typeof(T) == typeof(sbyte)) return (T[])(object)tensor.ToArray<sbyte>();
        if (typeof(T) == typeof(short)) return (T[])(object)tensor.ToArray<short>();
        if (typeof(T) == typeof(ushort)) return (T[])(object)tensor.ToArray<ushort>();
        if (typeof(T) == typeof(uint)) return (T[])(object)tensor.ToArray<uint>();
        if (typeof(T) == typeof(ulong)) return (T[])(object)tensor.ToArray<ulong>();
        if (typeof(T) == typeof(Half)) return (T[])(object)tensor.ToArray<Half>();
        if (typeof(T) == typeof(Complex)) return (T[])(object)tensor.ToArray<Complex>();
        throw new NotSupportedException($"{typeof(T).Name} is not a TensorFlow element type.");
    }
}
