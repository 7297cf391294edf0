namespace TypedGraph;

/// <summary>
/// The largest single buffer a file may make the runtime allocate (a <c>Const</c> value, a checkpoint tensor,
/// an <c>.npy</c> array). Sizes read from untrusted files are checked against the file's own length first and
/// then against this limit, so a crafted 100-byte file cannot ask for gigabytes: it gets a typed format error
/// naming the node, tensor or file instead of an <see cref="OutOfMemoryException"/>.
/// </summary>
public static class AllocationLimits
{
    /// <summary>The default: <see cref="Array.MaxLength"/> bytes, the largest tensor buffer .NET can hold.</summary>
    public const long DefaultMaxTensorBytes = 0x7FFFFFC7;

    private static long s_maxTensorBytes = FromEnvironment();

    /// <summary>Bytes one tensor decoded from a file may need (default <see cref="DefaultMaxTensorBytes"/>, or the
    /// <c>TYPEDGRAPH_MAX_TENSOR_BYTES</c> environment variable). Lower it for services that load untrusted models.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not positive.</exception>
    public static long MaxTensorBytes
    {
        get => Volatile.Read(ref s_maxTensorBytes);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            Volatile.Write(ref s_maxTensorBytes, value);
        }
    }

    /// <summary>True when <paramref name="bytes"/> (negative = overflowed) is more than one tensor may take.</summary>
    internal static bool Exceeds(long bytes) => bytes < 0 || bytes > MaxTensorBytes;

    /// <summary>"needs N bytes, more than the M-byte limit (AllocationLimits.MaxTensorBytes)".</summary>
    internal static string Describe(long bytes)
        => (bytes < 0 ? "needs more than 2^63 bytes" : $"needs {bytes} bytes") + $", more than the {MaxTensorBytes}-byte limit (AllocationLimits.MaxTensorBytes)";

    /// <summary><paramref name="count"/> × <paramref name="size"/>, or -1 when it overflows.</summary>
    internal static long Product(long count, long size) => count < 0 || size < 0 ? -1 : size != 0 && count > long.MaxValue / size ? -1 : count * size;

    private static long FromEnvironment()
        => long.TryParse(Environment.GetEnvironmentVariable("TYPEDGRAPH_MAX_TENSOR_BYTES"), out var v) && v > 0 ? v : DefaultMaxTensorBytes;
}
