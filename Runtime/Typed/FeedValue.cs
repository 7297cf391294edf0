namespace TypedGraph.Typed;

/// <summary>
/// A value bound to the graph tensor it feeds. Made by the typed members (<c>model.W1.Feed(13f)</c>) or
/// by generated <c>Run</c> methods, which check the value's shape against the graph's declaration.
/// </summary>
public readonly struct FeedValue
{
    /// <summary>Binds <paramref name="value"/> to <paramref name="tensorName"/> (no checks).</summary>
    public FeedValue(string tensorName, Tensor value)
    {
        TensorName = tensorName;
        Value = value;
    }

    /// <summary>The fed tensor's name, e.g. <c>w1:0</c>.</summary>
    public string TensorName { get; }

    /// <summary>The value.</summary>
    public Tensor Value { get; }

    /// <summary>A scalar feed.</summary>
    /// <param name="tensorName">Fed tensor.</param>
    /// <param name="value">The value.</param>
    /// <param name="declaredShape">The graph's static shape (-1 = any size; null = unknown rank).</param>
    /// <returns>The feed.</returns>
    /// <exception cref="GraphExecutionException">The graph declares a non-scalar shape.</exception>
    public static FeedValue Of<T>(string tensorName, T value, long[]? declaredShape)
        => Of(tensorName, ElementTypes.Scalar(value), declaredShape);

    /// <summary>A typed tensor feed.</summary>
    /// <param name="tensorName">Fed tensor.</param>
    /// <param name="value">The value.</param>
    /// <param name="declaredShape">The graph's static shape (-1 = any size; null = unknown rank).</param>
    /// <returns>The feed.</returns>
    /// <exception cref="GraphExecutionException">The value's shape does not fit <paramref name="declaredShape"/>.</exception>
    public static FeedValue Of<T>(string tensorName, TensorValue<T> value, long[]? declaredShape)
        => Of(tensorName, value.Tensor, declaredShape);

    /// <summary>An untyped tensor feed.</summary>
    /// <param name="tensorName">Fed tensor.</param>
    /// <param name="value">The value.</param>
    /// <param name="declaredShape">The graph's static shape (-1 = any size; null = unknown rank).</param>
    /// <returns>The feed.</returns>
    /// <exception cref="GraphExecutionException">The value's shape does not fit <paramref name="declaredShape"/>.</exception>
    public static FeedValue Of(string tensorName, Tensor value, long[]? declaredShape)
    {
        ArgumentNullException.ThrowIfNull(value);
        CheckShape(tensorName, value.Shape, declaredShape);
        return new FeedValue(tensorName, value);
    }

    /// <summary>An optional scalar feed (a <c>PlaceholderWithDefault</c>): absent when <paramref name="value"/> is null.</summary>
    /// <returns>The feed, or an absent one the run skips (the graph's default applies).</returns>
    /// <exception cref="GraphExecutionException">The value does not fit <paramref name="declaredShape"/>.</exception>
    public static FeedValue Optional<T>(string tensorName, T? value, long[]? declaredShape) where T : struct
        => value.HasValue ? Of(tensorName, value.Value, declaredShape) : Absent(tensorName);

    /// <summary>An optional string scalar feed: absent when <paramref name="value"/> is null.</summary>
    /// <returns>The feed, or an absent one the run skips.</returns>
    /// <exception cref="GraphExecutionException">The value does not fit <paramref name="declaredShape"/>.</exception>
    public static FeedValue Optional(string tensorName, string? value, long[]? declaredShape)
        => value != null ? Of(tensorName, value, declaredShape) : Absent(tensorName);

    /// <summary>An optional typed tensor feed: absent when <paramref name="value"/> is null.</summary>
    /// <returns>The feed, or an absent one the run skips.</returns>
    /// <exception cref="GraphExecutionException">The value does not fit <paramref name="declaredShape"/>.</exception>
    public static FeedValue Optional<T>(string tensorName, TensorValue<T>? value, long[]? declaredShape)
        => value != null ? Of(tensorName, value, declaredShape) : Absent(tensorName);

    /// <summary>An optional untyped feed: absent when <paramref name="value"/> is null.</summary>
    /// <returns>The feed, or an absent one the run skips.</returns>
    /// <exception cref="GraphExecutionException">The value does not fit <paramref name="declaredShape"/>.</exception>
    public static FeedValue Optional(string tensorName, Tensor? value, long[]? declaredShape)
        => value != null ? Of(tensorName, value, declaredShape) : Absent(tensorName);

    /// <summary>True for an optional feed that was left out (the run skips it).</summary>
    public bool IsAbsent => TensorName != null && Value is null;

    private static FeedValue Absent(string tensorName) => new(tensorName, null!);

    /// <summary>Throws when <paramref name="actual"/> does not fit the graph's <paramref name="declared"/> shape.</summary>
    /// <exception cref="GraphExecutionException">Rank or a known dim differs; the message names the tensor.</exception>
    public static void CheckShape(string tensorName, TensorShape actual, long[]? declared)
    {
        if (declared == null) return;
        bool ok = actual.Rank == declared.Length;
        for (int i = 0; ok && i < declared.Length; i++)
            ok = declared[i] < 0 || declared[i] == actual[i];
        if (!ok)
            throw new GraphExecutionException(
                $"The value fed to '{tensorName}' has shape {actual}, but the graph declares {Display(declared)}.",
                tensorName.Split(':')[0]);
    }

    /// <summary>TF-style shape text with <c>?</c> for unknown dims.</summary>
    public static string Display(long[]? shape)
        => shape == null ? "<unknown>" : "[" + string.Join(", ", shape.Select(d => d < 0 ? "?" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";

    /// <inheritdoc/>
    public override string ToString() => $"{TensorName} = {Value}";
}
