using System.Buffers;
using System.Buffers.Text;
using System.Reflection;
using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Formats;

namespace TypedGraph.Typed;

/// <summary>
/// Base of every class the TypedGraph generator emits: a thin typed facade over one
/// <see cref="Session"/>. It never executes anything itself — every typed member ends in
/// <see cref="Session.Run(IReadOnlyList{string}, IReadOnlyDictionary{string, Tensor}?, IReadOnlyList{string}?)"/>.
/// </summary>
public abstract class GraphModel : IDisposable
{
    private GraphBuilder? _types;

    /// <summary>Wraps <paramref name="session"/> (taken over: disposing the model disposes it).</summary>
    protected GraphModel(Session session) : this(session, null) { }

    /// <summary>Wraps <paramref name="session"/> over the graph of <paramref name="metaGraph"/> (its collections,
    /// op list and SaverDef are what <see cref="Extend"/> sees).</summary>
    protected GraphModel(Session session, MetaGraph? metaGraph)
    {
        ArgumentNullException.ThrowIfNull(session);
        Session = session;
        MetaGraph = metaGraph;
    }

    /// <summary>The session every member runs on (for TF-style use: <c>model.Session.Run(model.Y, model.X.Feed(…))</c>).</summary>
    public Session Session { get; }

    /// <summary>The session's graph.</summary>
    public Graph Graph => Session.Graph;

    /// <summary>The graph file the model was opened from (collections, op list, SaverDef), or null for <c>FromSession</c>.</summary>
    public MetaGraph? MetaGraph { get; }

    /// <summary>Runs every variable's initializer (TF's <c>global_variables_initializer</c>).</summary>
    public void Initialize() => Session.Initialize();

    /// <summary>
    /// A builder appending to this model's graph, as TF's <c>import_meta_graph</c> leaves it: the graph's
    /// collections (global and trainable variables, <c>train_op</c>, <c>global_step</c>…) are there, so
    /// <see cref="VariableOps.GetOrCreateGlobalStep"/> finds the existing step, and the op list of the file
    /// joins the catalogue, so <c>Saver.Save</c> can export ops the catalogue lacks. New ops run on
    /// <see cref="Session"/>; <see cref="Tensor{T}(Output)"/> turns their outputs into typed handles.
    /// </summary>
    /// <returns>A new builder over <see cref="Graph"/> (each call re-reads the collections of the file).</returns>
    public GraphBuilder Extend()
    {
        var ops = MetaGraph?.Proto.MetaInfoDef?.StrippedOpList?.Op ?? [];
        var b = new GraphBuilder(Graph, OpDefCatalog.Default.With(ops));
        if (MetaGraph != null) b.Collections.Import(MetaGraph.Proto, b, "");
        return b;
    }

    /// <summary>
    /// The untyped escape hatch for tensors the generated class does not list: <c>model.Tensor&lt;float&gt;("dense/Relu:0")</c>.
    /// The name and the element type are checked against the graph now, not at compile time.
    /// </summary>
    /// <typeparam name="T">The element type (<c>float</c> for float32…).</typeparam>
    /// <param name="name">Tensor name (<c>node:index</c>; <c>node</c> means output 0).</param>
    /// <returns>A typed handle to feed or fetch.</returns>
    /// <exception cref="KeyNotFoundException">No node of that name (the message suggests close names).</exception>
    /// <exception cref="ArgumentException">The node has no such output, or its dtype is not <typeparamref name="T"/>'s.</exception>
    public GraphTensor<T> Tensor<T>(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var types = _types ??= new GraphBuilder(Graph, OpDefCatalog.Default.With(MetaGraph?.Proto.MetaInfoDef?.StrippedOpList?.Op ?? []));
        return Tensor<T>(types.GetTensor(name));
    }

    /// <summary>A typed handle to an output made with <see cref="Extend"/> (or any tensor of this graph).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="output">The builder's handle.</param>
    /// <returns>The typed handle (shape unknown to the type system).</returns>
    /// <exception cref="ArgumentException">The output's dtype is not <typeparamref name="T"/>'s.</exception>
    public GraphTensor<T> Tensor<T>(Output output)
    {
        var expected = ElementTypes.DTypeOf<T>();
        if (output.BaseType != expected)
            throw new ArgumentException($"Tensor '{output.Name}' is {DataTypes.Name(output.BaseType)}, not {typeof(T).Name} ({DataTypes.Name(expected)}).", nameof(output));
        return new GraphTensor<T>(this, output.Name, DataTypes.Name(output.BaseType), null);
    }

    /// <summary>The operation named <paramref name="name"/>, to run as a target (untyped escape hatch).</summary>
    /// <exception cref="KeyNotFoundException">No node of that name.</exception>
    public GraphOperation Operation(string name) => new(this, Graph.GetNode(name).Name);

    /// <summary>Disposes the session.</summary>
    public void Dispose()
    {
        Session.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>Reads a graph the TypedGraph package embedded as a manifest resource and parses it.</summary>
    /// <param name="assembly">The assembly holding the resource (the generated class's own).</param>
    /// <param name="resourceName">The resource name (<c>TypedGraph.Graph.&lt;sha-256&gt;</c>).</param>
    /// <param name="sourceName">The original file name, for error messages.</param>
    /// <returns>A new <see cref="MetaGraph"/> (a fresh graph each call, so sessions never share appended nodes).</returns>
    /// <exception cref="GraphFormatException">The resource is missing (the build did not embed the graph) or is not a graph.</exception>
    protected static MetaGraph LoadEmbedded(Assembly assembly, string resourceName, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        // MSBuild's GetFileHash writes the hash in upper case; accept either spelling.
        var name = assembly.GetManifestResourceNames().FirstOrDefault(n => string.Equals(n, resourceName, StringComparison.OrdinalIgnoreCase))
            ?? throw new GraphFormatException(
                $"The graph '{sourceName}' is not embedded in {assembly.GetName().Name} (no resource '{resourceName}'). The TypedGraph.Runtime package's "
                + "build/TypedGraph.Runtime.props embeds every graph AdditionalFiles item; a project referencing the generator directly must import Generator/build/TypedGraph.props.");
        using var stream = assembly.GetManifestResourceStream(name)!;
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return MetaGraph.Parse(bytes, sourceName + " (embedded)");
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
