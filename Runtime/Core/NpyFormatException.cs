namespace TypedGraph;

/// <summary>A NumPy <c>.npy</c> file is malformed or holds an array TypedGraph cannot represent.</summary>
public sealed class NpyFormatException : TypedGraphException
{
    /// <summary>Creates the exception; <paramref name="path"/> names the offending file.</summary>
    public NpyFormatException(string path, string message) : base($"{path}: {message}.") => Path = path;

    /// <summary>The file the error is about.</summary>
    public string Path { get; }
}
