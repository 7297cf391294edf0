using System.Buffers;
using System.Buffers.Text;

namespace TypedGraph.Typed;

/// <summary>
/// Base of every class the TypedGraph generator emits: a thin typed facade over one
/// <see cref="TypedGraph.Session"/>. It never executes anything itself — every typed member ends in
/// <see cref="TypedGraph.Session.Run(IReadOnlyList{string}, IReadOnlyDictionary{string, Tensor}?, IReadOnlyList{string}?)"/>.
/// </summary>
public abstract class GraphModel : IDisposable
{
    /// <summary>Wraps <paramref name="session"/> (taken over: disposing the model disposes it).</summary>
    protected GraphModel(Session session)
    {
        ArgumentNullException.ThrowIfNull(session);
        Session = session;
    }

    /// <summary>The session every member runs on (for TF-style use: <c>model.Session.Run(model.Y, model.X.Feed(…))</c>).</summary>
    public Session Session { get; }

    /// <summary>The session's graph.</summary>
    public Graph Graph => Session.Graph;

    /// <summary>Runs every variable's initializer (TF's <c>global_variables_initializer</c>).</summary>
    public void Initialize() => Session.Initialize();

    /// <summary>Disposes the session.</summary>
    public void Dispose()
    {
        Session.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Decodes an embedded graph (base64 text as UTF-8 bytes) and parses it.</summary>
    /// <param name="base64Utf8">The graph file's bytes, base64-encoded.</param>
    /// <param name="sourceName">The original file name, for error messages.</param>
    /// <returns>A new <see cref="MetaGraph"/> (a fresh graph each call, so sessions never share appended nodes).</returns>
    /// <exception cref="GraphFormatException">The embedded bytes are not a graph.</exception>
    protected static MetaGraph LoadEmbedded(ReadOnlySpan<byte> base64Utf8, string sourceName)
    {
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(base64Utf8.Length)];
        if (Base64.DecodeFromUtf8(base64Utf8, bytes, out _, out int written) != OperationStatus.Done)
            throw new GraphFormatException($"The graph embedded from '{sourceName}' is not valid base64; rebuild the project.");
        return MetaGraph.Parse(bytes.AsSpan(0, written).ToArray(), sourceName + " (embedded)");
    }

    /// <summary>A new session over <paramref name="graph"/>; variables are left uninitialized.</summary>
    protected static Session CreateSession(MetaGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new Session(graph.Graph);
    }

    /// <summary>A new session over <paramref name="graph"/> with its variables restored.</summary>
    /// <param name="graph">The graph (its SaverDef, if any, drives the restore).</param>
    /// <param name="prefixOrDirectory">A checkpoint prefix, a folder holding a <c>checkpoint</c> file (latest
    /// checkpoint), or a SavedModel folder (<c>variables/variables</c>).</param>
    /// <exception cref="CheckpointFormatException">No checkpoint there, or it is malformed.</exception>
    protected static Session RestoreSession(MetaGraph graph, string prefixOrDirectory)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentException.ThrowIfNullOrEmpty(prefixOrDirectory);
        // Session.Restore resolves prefixes, checkpoint folders (latest checkpoint) and SavedModel folders,
        // and runs the graph's own restore op when the graph has a SaverDef (TF's saver.restore).
        var session = new Session(graph.Graph);
        try
        {
            session.Restore(prefixOrDirectory, graph.SaverDef);
            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }
}
