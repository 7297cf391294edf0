using TypedGraph.Protos;
using TypedGraph.Server.Http;

namespace TypedGraph.Server.Models;

/// <summary>
/// One loaded model version: its meta graph, a session with restored variables, and its SignatureDefs.
/// Requests hold it through <see cref="ServableLease"/>s; when the manager swaps in a newer version it drops its
/// own reference and the session is disposed only after the last in-flight request has released its lease.
/// </summary>
public sealed class ServableVersion
{
    private readonly SavedModelBundle? _bundle;
    private int _refs = 1;

    private ServableVersion(string modelName, long version, string path, MetaGraph meta, Session session, SavedModelBundle? bundle)
    {
        ModelName = modelName;
        Version = version;
        Path = path;
        MetaGraph = meta;
        Session = session;
        _bundle = bundle;
        Signatures = meta.Proto.SignatureDef
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
    }

    /// <summary>The served model's name.</summary>
    public string ModelName { get; }

    /// <summary>The version number.</summary>
    public long Version { get; }

    /// <summary>The folder or file loaded.</summary>
    public string Path { get; }

    /// <summary>The meta graph loaded (the <c>serve</c> one of a SavedModel).</summary>
    public MetaGraph MetaGraph { get; }

    /// <summary>The session over it.</summary>
    public Session Session { get; }

    /// <summary>All SignatureDefs of the meta graph by key (as TF Serving's metadata lists them), sorted by key.</summary>
    public IReadOnlyDictionary<string, SignatureDef> Signatures { get; }

    /// <summary>Loads a SavedModel folder (TF's loader: restore, then the init op) or a graph file plus checkpoint.</summary>
    /// <exception cref="TypedGraphException">The files are missing or malformed (the message names the file).</exception>
    public static ServableVersion Load(string modelName, ModelVersionPath where, ModelSource source)
    {
        if (source.Kind != ModelSourceKind.MetaGraph)
        {
            var bundle = SavedModelBundle.Load(where.Path);
            return new ServableVersion(modelName, where.Version, where.Path, bundle.MetaGraph, bundle.Session, bundle);
        }
        var meta = MetaGraph.Load(where.Path);
        var session = new Session(meta.Graph);
        try
        {
            var checkpoint = source.Checkpoint ?? meta.VariablesPrefix;
            if (checkpoint != null) session.Restore(checkpoint, meta.SaverDef);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return new ServableVersion(modelName, where.Version, where.Path, meta, session, null);
    }

    /// <summary>Takes a reference unless the version is already retired and released.</summary>
    internal bool TryAcquire()
    {
        while (true)
        {
            int r = Volatile.Read(ref _refs);
            if (r == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return true;
        }
    }

    /// <summary>Drops a reference; the last one disposes the session.</summary>
    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        if (_bundle != null) _bundle.Dispose();
        else Session.Dispose();
    }

    /// <summary>True once every reference is gone and the session is disposed.</summary>
    public bool IsReleased => Volatile.Read(ref _refs) == 0;

    /// <summary>The signature <paramref name="name"/> ("" = <c>serving_default</c>), as TF Serving's GetInfoMap finds it.</summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT: no such signature.</exception>
    public SignatureDef GetSignature(string name, out string key)
    {
        key = name.Length == 0 ? SavedModelBundle.DefaultSignatureKey : name;
        return Signatures.TryGetValue(key, out var sig) ? sig
            : throw ServingException.InvalidArgument($"Serving signature name: \"{key}\" not found in signature def");
    }

    /// <summary>
    /// Runs signature <paramref name="signatureKey"/>: feeds each input at its TensorInfo name (after checking it against
    /// the declared shape), fetches <paramref name="outputKeys"/> (all outputs when null) and returns them by key.
    /// </summary>
    /// <exception cref="ServingException">INVALID_ARGUMENT: inputs that do not match the signature, or the graph rejected
    /// them while running (the message names the node).</exception>
    public IReadOnlyDictionary<string, Tensor> Run(string signatureKey, IReadOnlyDictionary<string, Tensor> inputs, IReadOnlyList<string>? outputKeys = null)
    {
        var sig = GetSignature(signatureKey, out var key);
        // predict_util.cc VerifyRequestInputsSize: the request must name exactly the signature's inputs.
        var sent = inputs.Keys.ToHashSet(StringComparer.Ordinal);
        var wanted = sig.Inputs.Keys.ToHashSet(StringComparer.Ordinal);
        if (!sent.SetEquals(wanted))
        {
            string Set(IEnumerable<string> s) => "{" + string.Join(",", s.Order(StringComparer.Ordinal)) + "}";
            throw ServingException.InvalidArgument($"input size does not match signature: {sent.Count}!={wanted.Count} len({Set(sent)}) != len({Set(wanted)}). "
                + $"Sent extra: {Set(sent.Except(wanted))}. Missing but required: {Set(wanted.Except(sent))}.");
        }
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, value) in inputs)
        {
            var info = sig.Inputs[name];
            if (info.EncodingCase != TensorInfo.EncodingOneofCase.Name)
                throw new ServingException(ErrorCode.Unimplemented, $"Signature '{key}' input '{name}' is a {info.EncodingCase} tensor; only dense inputs can be fed.");
            CheckShape(key, name, info, value);
            feeds[info.Name] = value;
        }
        var keys = outputKeys ?? sig.Outputs.Keys.Order(StringComparer.Ordinal).ToList();
        var fetches = new string[keys.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            if (!sig.Outputs.TryGetValue(keys[i], out var info))
                throw ServingException.InvalidArgument($"output tensor alias not found in signature: {keys[i]} Outputs expected to be in the set {{{string.Join(",", sig.Outputs.Keys.Order(StringComparer.Ordinal))}}}.");
            if (info.EncodingCase != TensorInfo.EncodingOneofCase.Name)
                throw new ServingException(ErrorCode.Unimplemented, $"Signature '{key}' output '{keys[i]}' is a {info.EncodingCase} tensor; only dense outputs can be fetched.");
            fetches[i] = info.Name;
        }
        Tensor[] values;
        try
        {
            values = Session.Run(fetches, feeds);
        }
        catch (TypedGraphException e)
        {
            throw ServingException.InvalidArgument(e.Message);
        }
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++) result[keys[i]] = values[i];
        return result;
    }

    // TF's C++ session does not check a feed against the placeholder's shape (the first kernel that reads it fails);
    // checking against the signature's declared shape here gives an error that names the input instead.
    private static void CheckShape(string signatureKey, string input, TensorInfo info, Tensor value)
    {
        if (info.TensorShape is not { UnknownRank: false } shape) return;
        var dims = value.Shape.Dims;
        bool ok = dims.Length == shape.Dim.Count;
        for (int d = 0; ok && d < dims.Length; d++) ok = shape.Dim[d].Size < 0 || shape.Dim[d].Size == dims[d];
        if (!ok)
        {
            var declared = "[" + string.Join(",", shape.Dim.Select(d => d.Size < 0 ? "?" : d.Size.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
            throw ServingException.InvalidArgument($"Signature '{signatureKey}' input '{input}' ({info.Name}) has shape {declared}, but the request gives a tensor of shape [{string.Join(",", dims.ToArray())}].");
        }
    }
}

/// <summary>A request's hold on a <see cref="ServableVersion"/>; disposing releases it.</summary>
public readonly struct ServableLease(ServableVersion servable) : IDisposable
{
    /// <summary>The version held.</summary>
    public ServableVersion Servable { get; } = servable;

    /// <inheritdoc/>
    public void Dispose() => Servable?.Release();
}
