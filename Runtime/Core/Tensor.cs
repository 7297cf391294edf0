using System.Runtime.InteropServices;
using System.Text;
using TypedGraph.Protos;

namespace TypedGraph;

/// <summary>
/// A TensorFlow value: a dtype, a concrete shape and contiguous row-major (C order) storage.
/// Numeric and bool values live in a byte buffer viewed as <see cref="Span{T}"/>; strings are byte
/// arrays (TF strings are bytes, not text); DT_RESOURCE/DT_VARIANT carry an opaque object.
/// </summary>
/// <remarks>
/// The buffer may be a plain array, a pooled array (returned on <see cref="Dispose"/>) or a view into a
/// memory-mapped checkpoint (zero-copy). Disposing a tensor that does not own pooled memory is a no-op.
/// A span from <see cref="Bytes"/> or <see cref="AsSpan{T}"/> of a mapped tensor points into the mapping and
/// is not tracked by the GC: keep the tensor reachable (or disposed only afterwards) while using the span.
/// The members here that copy (<see cref="Clone"/>, <see cref="ToArray{T}"/>, …) keep it alive themselves.
/// </remarks>
public sealed class Tensor : IDisposable
{
    private Memory<byte> _bytes;
    private readonly byte[][]? _strings;
    private readonly object? _handle;
    private IDisposable? _owner;

    /// <summary>Wraps existing memory (not copied). <paramref name="owner"/>, if any, is disposed with the tensor.</summary>
    /// <exception cref="ArgumentException">The buffer length does not match dtype and shape.</exception>
    public Tensor(DataType dtype, TensorShape shape, Memory<byte> bytes, IDisposable? owner = null)
    {
        dtype = DataTypes.BaseType(dtype);
        int size = DataTypes.ElementSize(dtype);
        if (size == 0) throw new ArgumentException($"dtype {DataTypes.Name(dtype)} is not a fixed-size type; use the string/handle constructors.", nameof(dtype));
        long expected = shape.NumElements * size;
        if (bytes.Length != expected)
            throw new ArgumentException($"A {DataTypes.Name(dtype)} tensor of shape {shape} needs {expected} bytes, got {bytes.Length}.", nameof(bytes));
        DType = dtype;
        Shape = shape;
        _bytes = bytes;
        _owner = owner;
    }

    /// <summary>Creates a DT_STRING tensor from byte strings (not copied).</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public Tensor(TensorShape shape, byte[][] strings)
    {
        if (strings.Length != shape.NumElements)
            throw new ArgumentException($"A string tensor of shape {shape} needs {shape.NumElements} elements, got {strings.Length}.", nameof(strings));
        DType = DataType.DtString;
        Shape = shape;
        _strings = strings;
    }

    private Tensor(DataType dtype, TensorShape shape, object handle)
    {
        DType = dtype;
        Shape = shape;
        _handle = handle;
    }

    /// <summary>Element type.</summary>
    public DataType DType { get; }

    /// <summary>Concrete shape.</summary>
    public TensorShape Shape { get; }

    /// <summary>Number of elements.</summary>
    public long NumElements => Shape.NumElements;

    /// <summary>
    /// Set when this tensor is a published value that the runtime never modifies again: a Const node's value or a
    /// variable's current value (every variable write — Assign*, the optimizers' Apply*, scatter updates, a restore —
    /// publishes a fresh tensor instead of writing in place). Kernels may then cache data derived from it, keyed by the
    /// tensor's identity (e.g. <see cref="Kernels.Simd.PackedWeights"/>: a weight matrix packed once for the GEMM).
    /// </summary>
    internal bool IsPublishedValue { get; private set; }

    /// <summary>Marks this tensor as a published, never-modified value (see <see cref="IsPublishedValue"/>).</summary>
    internal Tensor MarkPublished()
    {
        IsPublishedValue = true;
        return this;
    }

    /// <summary>
    /// Non-null while this tensor is a variable's value that the optimizer kernels may update in place: the
    /// <see cref="Kernels.VariableSlot"/> that made it as its own private copy. Cleared (never set again) when the value
    /// escapes — a read that the slot cannot account for (see <see cref="Kernels.VariableSlot.Value"/>). Set and cleared
    /// under the slot's lock. An object, not the slot type, so the core layer does not depend on the kernels'.
    /// </summary>
    internal object? InPlaceOwner;

    /// <summary>How many runs currently hold this value (leases taken under the owning slot's lock, see
    /// <see cref="Kernels.IVariableLeases"/>); an in-place update needs none but the updating run's own.</summary>
    internal int Leases;

    /// <summary>Bumped after every in-place update: caches of data derived from this tensor key on (identity, version)
    /// (see <see cref="Kernels.Simd.WeightCache{T}"/>).</summary>
    internal int Version;

    /// <summary>What the last run-buffer pool that looked this tensor up found: the buffer it lives in, or that pool's token
    /// for "not pooled there" (see <c>Execution.BufferPool.Find</c>, which re-checks it before trusting it), so the executor's
    /// per-edge reference counting skips the dictionary lookup.</summary>
    internal object? PoolTag;

    /// <summary>True when this numeric tensor's storage is <paramref name="array"/> (itself or a view such as Reshape).</summary>
    internal bool SharesArray(byte[] array)
        => _strings == null && _handle == null && MemoryMarshal.TryGetArray<byte>(_bytes, out var seg) && ReferenceEquals(seg.Array, array);

    /// <summary>The plain array behind a numeric tensor, or null (strings, handles, mapped or native memory).</summary>
    internal byte[]? BackingArray
        => _strings == null && _handle == null && MemoryMarshal.TryGetArray<byte>(_bytes, out var seg) ? seg.Array : null;

    /// <summary>Size of the numeric payload in bytes (0 for strings and handles).</summary>
    public int ByteLength => _bytes.Length;

    /// <summary>Raw little-endian bytes of a numeric tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is a string or handle tensor.</exception>
    public Span<byte> Bytes => _strings == null && _handle == null ? _bytes.Span : throw NotNumeric();

    /// <summary>The underlying memory of a numeric tensor.</summary>
    public Memory<byte> Memory => _strings == null && _handle == null ? _bytes : throw NotNumeric();

    /// <summary>The elements viewed as <typeparamref name="T"/> (no copy).</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match the dtype.</exception>
    public Span<T> AsSpan<T>() where T : unmanaged
    {
        if (!DataTypes.CanView<T>(DType))
            throw new InvalidOperationException($"Cannot view a {DataTypes.Name(DType)} tensor as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(Bytes);
    }

    /// <summary>The elements of a DT_STRING tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not a string tensor.</exception>
    public byte[][] Strings => _strings ?? throw new InvalidOperationException($"A {DataTypes.Name(DType)} tensor has no string elements.");

    /// <summary>The opaque object of a DT_RESOURCE or DT_VARIANT tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not a handle tensor.</exception>
    public object Handle => _handle ?? throw new InvalidOperationException($"A {DataTypes.Name(DType)} tensor carries no handle.");

    /// <summary>Copies the elements out.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var copy = AsSpan<T>().ToArray();
        GC.KeepAlive(this); // a mapped view must not be finalized (unmapped) mid-copy
        return copy;
    }

    /// <summary>The single element of a one-element tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor does not hold exactly one element.</exception>
    public T Scalar<T>() where T : unmanaged
    {
        var s = AsSpan<T>();
        if (s.Length != 1) throw new InvalidOperationException($"Tensor of shape {Shape} is not a single value.");
        var value = s[0];
        GC.KeepAlive(this);
        return value;
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor of the given shape.</summary>
    /// <exception cref="ArgumentException">The element count does not match the shape.</exception>
    public static Tensor Create<T>(ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        var s = new TensorShape(shape);
        if (data.Length != s.NumElements)
            throw new ArgumentException($"Shape {s} needs {s.NumElements} elements, got {data.Length}.", nameof(data));
        var bytes = MemoryMarshal.AsBytes(data).ToArray();
        return new Tensor(DataTypes.Of<T>(), s, bytes);
    }

    /// <summary>Copies <paramref name="data"/> into a new tensor; a rank-1 tensor when no shape is given.</summary>
    public static Tensor Create<T>(T[] data, params int[] shape) where T : unmanaged
        => Create<T>((ReadOnlySpan<T>)data, shape.Length == 0 ? [data.Length] : shape);

    /// <summary>A rank-0 tensor holding <paramref name="value"/>.</summary>
    public static Tensor FromScalar<T>(T value) where T : unmanaged => Create<T>([value], []);

    /// <summary>A rank-0 DT_STRING tensor holding the UTF-8 bytes of <paramref name="value"/>.</summary>
    public static Tensor FromString(string value) => new(TensorShape.Scalar, [Encoding.UTF8.GetBytes(value)]);

    /// <summary>A DT_STRING tensor of UTF-8 encoded strings.</summary>
    public static Tensor FromStrings(string[] values, params int[] shape)
        => new(new TensorShape(shape.Length == 0 ? [values.Length] : shape), values.Select(Encoding.UTF8.GetBytes).ToArray());

    /// <summary>A new zero-filled tensor.</summary>
    /// <exception cref="ArgumentException">The dtype is not a fixed-size type (use the string constructor).</exception>
    public static Tensor Zeros(DataType dtype, TensorShape shape)
    {
        if (DataTypes.BaseType(dtype) == DataType.DtString)
            return new Tensor(shape, Enumerable.Range(0, checked((int)shape.NumElements)).Select(_ => Array.Empty<byte>()).ToArray());
        return new Tensor(dtype, shape, new byte[checked(shape.NumElements * DataTypes.ElementSize(dtype))]);
    }

    /// <summary>A DT_RESOURCE or DT_VARIANT tensor wrapping <paramref name="handle"/> (a scalar unless a shape is given).</summary>
    public static Tensor FromHandle(DataType dtype, object handle, TensorShape shape = default)
    {
        dtype = DataTypes.BaseType(dtype);
        if (dtype != DataType.DtResource && dtype != DataType.DtVariant)
            throw new ArgumentException($"Handle tensors are resource or variant, not {DataTypes.Name(dtype)}.", nameof(dtype));
        return new Tensor(dtype, shape, handle);
    }

    /// <summary>A deep copy that owns plain (unpooled) memory.</summary>
    public Tensor Clone()
    {
        if (_strings != null) return new Tensor(Shape, _strings.Select(s => (byte[])s.Clone()).ToArray());
        if (_handle != null) return new Tensor(DType, Shape, _handle);
        var copy = _bytes.ToArray();
        GC.KeepAlive(this); // a mapped view must not be finalized (unmapped) mid-copy (issue 9)
        return new Tensor(DType, Shape, copy);
    }

    /// <summary>A tensor sharing this one's storage with another shape of the same element count (Reshape).</summary>
    /// <exception cref="ArgumentException">The element counts differ.</exception>
    public Tensor Reshape(TensorShape shape)
    {
        if (shape.NumElements != NumElements)
            throw new ArgumentException($"Cannot reshape a tensor of shape {Shape} ({NumElements} elements) to {shape}.", nameof(shape));
        if (_strings != null) return new Tensor(shape, _strings);
        if (_handle != null) return new Tensor(DType, shape, _handle);
        return new Tensor(DType, shape, _bytes);
    }

    /// <summary>Returns pooled memory, if any. The tensor must not be used afterwards.</summary>
    public void Dispose()
    {
        var owner = Interlocked.Exchange(ref _owner, null);
        if (owner != null)
        {
            _bytes = default;
            owner.Dispose();
        }
    }

    /// <summary>e.g. <c>float32[2, 3] {1, 2, 3, 4, 5, 6}</c> (first 16 values).</summary>
    public override string ToString()
    {
        var sb = new StringBuilder().Append(DataTypes.Name(DType)).Append(Shape.ToString()).Append(" {");
        int n = (int)Math.Min(NumElements, 16);
        for (int i = 0; i < n; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(FormatElement(i));
        }
        if (NumElements > n) sb.Append(", …");
        GC.KeepAlive(this);
        return sb.Append('}').ToString();
    }

    private string FormatElement(int i) => DType switch
    {
        DataType.DtFloat => AsSpan<float>()[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        DataType.DtDouble => AsSpan<double>()[i].ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        DataType.DtInt32 => AsSpan<int>()[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        DataType.DtInt64 => AsSpan<long>()[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        DataType.DtBool => AsSpan<bool>()[i] ? "true" : "false",
        DataType.DtString => "\"" + Encoding.UTF8.GetString(Strings[i]) + "\"",
        DataType.DtResource or DataType.DtVariant => _handle?.ToString() ?? "",
        _ => "0x" + Convert.ToHexString(Bytes.Slice(i * DataTypes.ElementSize(DType), DataTypes.ElementSize(DType))),
    };

    private InvalidOperationException NotNumeric() => new($"A {DataTypes.Name(DType)} tensor has no fixed-size byte buffer.");
}
