using TypedGraph.Execution;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.SavedModels;

/// <summary>
/// A loaded SavedModel, the way TF 1.x's <c>tf.saved_model.loader.load</c> loads it: the meta graph with the
/// requested tag set, a <see cref="Session"/> over it, variables restored from <c>variables/variables</c>
/// through the graph's own Saver (sharded or not), then the init op (<c>__saved_model_init_op</c> signature,
/// else the <c>saved_model_main_op</c> collection, else <c>legacy_init_op</c>) run with the asset paths fed.
/// Signatures are callable by key with inputs and outputs named by their signature keys.
/// </summary>
public sealed class SavedModelBundle : IDisposable
{
    /// <summary>The TF2 signature key whose output names the init op (TF ≥ 2.0 builders).</summary>
    public const string InitOpSignatureKey = "__saved_model_init_op";

    /// <summary>The collection key TF 1.x builders use for the main op (<c>tf.saved_model.main_op</c>).</summary>
    public const string MainOpCollection = "saved_model_main_op";

    /// <summary>The collection key of the older <c>legacy_init_op</c> argument.</summary>
    public const string LegacyInitOpCollection = "legacy_init_op";

    /// <summary>The default serving signature key.</summary>
    public const string DefaultSignatureKey = "serving_default";

    private SavedModelBundle(string exportDir, MetaGraph meta, Session session, IReadOnlyDictionary<string, SignatureInfo> signatures)
    {
        ExportDir = exportDir;
        MetaGraph = meta;
        Session = session;
        Signatures = signatures;
    }

    /// <summary>The SavedModel folder.</summary>
    public string ExportDir { get; }

    /// <summary>The chosen meta graph.</summary>
    public MetaGraph MetaGraph { get; }

    /// <summary>The session holding the restored variables (owned by this bundle).</summary>
    public Session Session { get; }

    /// <summary>The SignatureDefs by key (the TF2 init-op pseudo-signature excluded), sorted by key.</summary>
    public IReadOnlyDictionary<string, SignatureInfo> Signatures { get; }

    /// <summary>Loads the meta graph tagged exactly <paramref name="tags"/> (none given: the only one, or the one
    /// tagged <c>serve</c>), restores its variables and runs its init op.</summary>
    /// <exception cref="GraphFormatException">Not a SavedModel, no meta graph with the tags (the message lists the
    /// available tag sets), or a malformed init-op collection.</exception>
    /// <exception cref="CheckpointFormatException">The variables checkpoint is missing or damaged.</exception>
    /// <exception cref="GraphExecutionException">Restoring or the init op failed (the message names the node).</exception>
    public static SavedModelBundle Load(string exportDir, params string[] tags) => Load(exportDir, null, tags);

    /// <summary>As <see cref="Load(string, string[])"/>, with session options.</summary>
    public static SavedModelBundle Load(string exportDir, SessionOptions? options, params string[] tags)
    {
        ArgumentException.ThrowIfNullOrEmpty(exportDir);
        if (!Directory.Exists(exportDir))
            throw new GraphFormatException($"{exportDir}: no such SavedModel directory.");
        var meta = MetaGraph.Load(exportDir, tags is { Length: > 0 } ? tags : null);
        if (meta.Kind != GraphFileKind.SavedModel)
            throw new GraphFormatException($"{exportDir}: saved_model.pb is not a SavedModel.");
        var signatures = meta.Proto.SignatureDef
            .Where(kv => kv.Key != InitOpSignatureKey)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, kv => SignatureInfo.From(kv.Key, kv.Value), StringComparer.Ordinal);
        var session = new Session(meta.Graph, options);
        try
        {
            RestoreVariables(session, meta, exportDir);
            RunInitOp(session, meta, exportDir);
        }
        catch
        {
            session.Dispose();
            throw;
        }
        return new SavedModelBundle(exportDir, meta, session, signatures);
    }

    /// <summary>The signature <paramref name="signatureKey"/>.</summary>
    /// <exception cref="GraphExecutionException">No such signature (the message lists those there are).</exception>
    public SignatureInfo GetSignature(string signatureKey)
        => Signatures.TryGetValue(signatureKey, out var s) ? s
            : throw new GraphExecutionException($"SavedModel '{ExportDir}' has no signature '{signatureKey}'; signatures: {List(Signatures.Keys)}.");

    /// <summary>
    /// Runs signature <paramref name="signatureKey"/>: feeds each input under its signature key, fetches the
    /// outputs (all of them, or <paramref name="outputKeys"/>) and returns them by key.
    /// </summary>
    /// <exception cref="GraphExecutionException">Unknown signature, input or output key, a missing input, a dtype or
    /// shape that contradicts the signature, or a failure while running (the message names the node).</exception>
    public IReadOnlyDictionary<string, Tensor> Run(string signatureKey, IReadOnlyDictionary<string, Tensor> inputsByKey, IReadOnlyList<string>? outputKeys = null)
    {
        ArgumentNullException.ThrowIfNull(inputsByKey);
        var sig = GetSignature(signatureKey);
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (key, value) in inputsByKey)
        {
            if (!sig.Inputs.TryGetValue(key, out var input))
                throw new GraphExecutionException($"Signature '{signatureKey}' has no input '{key}'; inputs: {List(sig.Inputs.Keys)}.");
            Check(sig, input, value);
            feeds[input.TensorName] = value;
        }
        var missing = sig.Inputs.Keys.Where(k => !inputsByKey.ContainsKey(k)).ToList();
        if (missing.Count > 0)
            throw new GraphExecutionException($"Signature '{signatureKey}' needs input(s) {List(missing)}; got {List(inputsByKey.Keys)}.");
        var keys = outputKeys ?? sig.Outputs.Keys.ToList();
        var fetches = new string[keys.Count];
        for (int i = 0; i < keys.Count; i++)
        {
            if (!sig.Outputs.TryGetValue(keys[i], out var output))
                throw new GraphExecutionException($"Signature '{signatureKey}' has no output '{keys[i]}'; outputs: {List(sig.Outputs.Keys)}.");
            if (output.Unsupported != null) throw new GraphExecutionException(output.Unsupported + ".");
            fetches[i] = output.TensorName;
        }
        var values = Session.Run(fetches, feeds);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count; i++) result[keys[i]] = values[i];
        return result;
    }

    /// <summary>Runs the default signature (<c>serving_default</c>).</summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputsByKey) => Run(DefaultSignatureKey, inputsByKey);

    /// <inheritdoc/>
    public void Dispose() => Session.Dispose();

    private static void Check(SignatureInfo sig, SignatureTensor input, Tensor value)
    {
        if (input.Unsupported != null) throw new GraphExecutionException(input.Unsupported + ".");
        if (input.DType != DataType.DtInvalid && DataTypes.BaseType(input.DType) != value.DType)
            throw new GraphExecutionException($"Signature '{sig.Key}' input '{input.Key}' ({input.TensorName}) is {DataTypes.Name(input.DType)}, but a {DataTypes.Name(value.DType)} tensor was given.");
        if (input.Shape == null) return;
        var dims = value.Shape.ToArray();
        bool ok = dims.Length == input.Shape.Length;
        for (int d = 0; ok && d < dims.Length; d++) ok = input.Shape[d] < 0 || input.Shape[d] == dims[d];
        if (!ok)
            throw new GraphExecutionException($"Signature '{sig.Key}' input '{input.Key}' ({input.TensorName}) has shape {input.ShapeText}, but a tensor of shape {value.Shape} was given.");
    }

    // loader_impl.restore_variables: the graph's Saver restores from variables/variables; a graph without
    // variables (and without a SaverDef) restores nothing.
    private static void RestoreVariables(Session session, MetaGraph meta, string exportDir)
    {
        var prefix = meta.VariablesPrefix ?? Path.Combine(exportDir, "variables", "variables");
        bool hasVariables = meta.Graph.Nodes.Any(n => VariableInitializers.IsVariableOp(n.Op));
        bool hasCheckpoint = File.Exists(prefix + ".index");
        if (!hasCheckpoint)
        {
            if (!hasVariables) return;
            throw new CheckpointFormatException(prefix, $"the SavedModel's graph has variables but '{prefix}.index' does not exist.");
        }
        if (meta.SaverDef is { RestoreOpName.Length: > 0 } saverDef) session.Restore(prefix, saverDef);
        else if (hasVariables) CollectionRestore.Restore(session, meta, prefix);
    }

    /// <summary>Runs the SavedModel's init op (if it has one) with its asset paths fed, as <see cref="Load(string, SessionOptions?, string[])"/>
    /// does after restoring; the ONNX exporter uses it so a SavedModel's lookup tables are filled before export.</summary>
    internal static void RunInitOp(Session session, MetaGraph meta, string exportDir)
    {
        var op = InitOpName(meta);
        if (op == null) return;
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var asset in meta.Proto.AssetFileDef)
        {
            if (asset.TensorInfo?.EncodingCase != TensorInfo.EncodingOneofCase.Name) continue;
            if (!meta.Graph.Contains(TensorRef.Parse(asset.TensorInfo.Name).NodeName)) continue;
            feeds[asset.TensorInfo.Name] = Tensor.FromString(Path.Combine(exportDir, "assets", asset.Filename));
        }
        session.Run([], feeds, [op]);
    }

    private static string? InitOpName(MetaGraph meta)
    {
        if (meta.Proto.SignatureDef.TryGetValue(InitOpSignatureKey, out var init)
            && init.Outputs.TryGetValue(InitOpSignatureKey, out var t) && t.Name.Length > 0)
            return TensorRef.Parse(t.Name).NodeName;
        foreach (var key in new[] { MainOpCollection, LegacyInitOpCollection })
        {
            if (!meta.Proto.CollectionDef.TryGetValue(key, out var col)) continue;
            var names = col.NodeList?.Value;
            // loader_impl._get_main_op_tensor: the collection must hold exactly one op.
            if (names is not { Count: 1 })
                throw new GraphFormatException($"{meta.SourcePath}: expected exactly one op in the '{key}' collection, found {names?.Count ?? 0}.");
            var name = TensorRef.Parse(names[0]).NodeName;
            if (!meta.Graph.Contains(name))
                throw new GraphFormatException($"{meta.SourcePath}: the '{key}' collection names op '{name}', which is not in the graph.");
            return name;
        }
        return null;
    }

    private static string List(IEnumerable<string> keys)
    {
        var l = keys.Select(k => $"'{k}'").ToList();
        return l.Count == 0 ? "(none)" : string.Join(", ", l);
    }
}
