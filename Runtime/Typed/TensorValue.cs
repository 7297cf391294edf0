namespace TypedGraph.Typed;

/// <summary>
/// A <see cref="Tensor"/> whose element type is known at compile time: what typed <c>Run</c> methods
/// take for non-scalar placeholders and return for non-scalar outputs. Converts implicitly from
/// <c>T[]</c> (rank 1) so <c>Run(x: new[] { 1f, 2f })</c> reads naturally; an array of another element
/// type does not convert, so it does not compile.
/// </summary>
/// <typeparam name="T">Element type (<c>float</c>, <c>int</c>, <c>string</c>…).</typeparam>
public class TensorValue<T> : IDisposable
{
    /// <summary>Wraps <paramref name="tensor"/>.</summary>
    /// <exception cref="ArgumentException">The tensor's dtype is not <typeparamref name="T"/>'s.</exception>
    public TensorValue(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var expected = ElementTypes.DTypeOf<T>();
        if (DataTypes.BaseType(tensor.DType) != expected)
            throw new ArgumentException($"A {DataTypes.Name(tensor.DType)} tensor cannot be viewed as {typeof(T).Name} ({DataTypes.Name(expected)}).", nameof(tensor));
        Tensor = tensor;
    }

    /// <summary>The untyped tensor.</summary>
    public Tensor Tensor { get; }

    /// <summary>Concrete shape.</summary>
    public TensorShape Shape => Tensor.Shape;

    /// <summary>Number of elements.</summary>
    public long Count => Tensor.NumElements;

    /// <summary>The single element of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">It holds more or fewer than one element.</exception>
    public T Scalar
    {
        get
        {
            var items = ElementTypes.ToArray<T>(Tensor);
            if (items.Length != 1) throw new InvalidOperationException($"A tensor of shape {Shape} is not a single value.");
            return items[0];
        }
    }

    /// <summary>Copies the elements out (row-major).</summary>
    public T[] ToArray() => ElementTypes.ToArray<T>(Tensor);

    /// <summary>Copies <paramref name="data"/> into a tensor of <paramref name="shape"/> (rank 1 when no shape is given).</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public static TensorValue<T> Create(T[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new TensorValue<T>(ElementTypes.ToTensor(data, shape.Length == 0 ? [data.Length] : shape));
    }

    /// <summary>A rank-0 tensor.</summary>
    public static TensorValue<T> FromScalar(T value) => new(ElementTypes.Scalar(value));

    /// <summary>A rank-0 tensor: lets a scalar feed a placeholder whose shape the graph leaves open.</summary>
    public static implicit operator TensorValue<T>(T value) => FromScalar(value);

    /// <summary>A rank-1 tensor holding a copy of <paramref name="data"/>.</summary>
    public static implicit operator TensorValue<T>(T[] data) => Create(data);

    /// <summary>The untyped tensor.</summary>
    public static implicit operator Tensor(TensorValue<T> value) => value.Tensor;

    /// <summary>Releases pooled memory of the underlying tensor, if any.</summary>
    public void Dispose() => Tensor.Dispose();

    /// <inheritdoc/>
    public override string ToString() => Tensor.ToString();
}

/// <summary>
/// What a typed <c>Run</c> returns for a tensor whose graph shape is unknown (a placeholder declared without a
/// shape, as TF's tutorials write them): a <see cref="TensorValue{T}"/> that also reads as a plain
/// <typeparamref name="T"/> when it holds one element, so <c>float y = model.OpToRestore.Run(w1: 13f, w2: 17f)</c>
/// compiles and works.
/// </summary>
/// <typeparam name="T">Element type.</typeparam>
public sealed class TensorOrScalar<T> : TensorValue<T>
{
    /// <summary>Wraps <paramref name="tensor"/>.</summary>
    /// <exception cref="ArgumentException">The tensor's dtype is not <typeparamref name="T"/>'s.</exception>
    public TensorOrScalar(Tensor tensor) : base(tensor) { }

    /// <summary>The single element.</summary>
    /// <exception cref="InvalidOperationException">The value holds more or fewer than one element (the message gives its shape).</exception>
    public static implicit operator T(TensorOrScalar<T> value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Scalar;
    }
}
