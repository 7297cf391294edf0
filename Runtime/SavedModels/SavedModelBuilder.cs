using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Formats;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.SavedModels;

/// <summary>Optional parts of one meta graph added by <see cref="SavedModelBuilder"/>.</summary>
public sealed record SavedModelMetaGraphOptions
{
    /// <summary>
    /// Asset files by the graph tensor that holds their path (a string Const, as <c>tf.add_to_collection(
    /// ASSET_FILEPATHS, …)</c> in TF1): each file is copied to <c>assets/&lt;file name&gt;</c>, and loaders feed the
    /// tensor with that path when they run the main op.
    /// </summary>
    public IReadOnlyDictionary<string, string>? Assets { get; init; }

    /// <summary>An op run after the variables are restored (<c>main_op</c>, e.g. a tables initializer).</summary>
    public string? MainOp { get; init; }

    /// <summary>The saver to write into the meta graph; default: the graph's variables under a new <c>save/</c> saver.</summary>
    public SaverDef? SaverDef { get; init; }

    /// <summary>Drop node devices (<c>clear_devices</c>).</summary>
    public bool ClearDevices { get; init; }
}

/// <summary>
/// <c>tf.saved_model.builder.SavedModelBuilder</c> (TF1, builder_impl.py): writes <c>saved_model.pb</c>
/// (<c>saved_model_schema_version</c> 1) with meta graphs tagged e.g. <c>serve</c>, their SignatureDefs, the saver
/// inside the meta graph, <c>variables/variables.index</c> + <c>.data-00000-of-00001</c> written by running the
/// graph's own save op, and <c>assets/</c> with the asset list in <c>asset_file_def</c> and in the
/// <c>saved_model_assets</c> collection (the form TF 1.0–1.12 loaders read). Everything is written to a temporary
/// sibling folder first and moved into place by <see cref="Save"/>, so a failure never leaves a half SavedModel.
/// </summary>
public sealed class SavedModelBuilder : IDisposable
{
    /// <summary>The tag TF Serving loads: <c>serve</c>.</summary>
    public const string ServeTag = "serve";

    /// <summary>The asset collection key of TF1 (<c>constants.ASSETS_KEY</c>).</summary>
    public const string AssetsCollection = "saved_model_assets";

    /// <summary>The main-op collection key of TF1 (<c>constants.MAIN_OP_KEY</c>).</summary>
    public const string MainOpCollection = "saved_model_main_op";

    private readonly string _exportDir;
    private readonly string _staging;
    private readonly SavedModel _model = new() { SavedModelSchemaVersion = 1 };
    private bool _hasVariables;
    private bool _saved;

    /// <summary>Starts a SavedModel to be written to <paramref name="exportDir"/>, which must not exist or be empty.</summary>
    /// <exception cref="IOException">The folder exists and is not empty (as TF: "Export directory already exists, and isn't empty").</exception>
    public SavedModelBuilder(string exportDir)
    {
        ArgumentException.ThrowIfNullOrEmpty(exportDir);
        _exportDir = Path.GetFullPath(exportDir);
        if (Directory.Exists(_exportDir) && Directory.EnumerateFileSystemEntries(_exportDir).Any())
            throw new IOException($"Export directory '{_exportDir}' already exists, and isn't empty.");
        var parent = Path.GetDirectoryName(_exportDir.TrimEnd(Path.DirectorySeparatorChar))!;
        Directory.CreateDirectory(parent);
        _staging = Path.Combine(parent, "." + Path.GetFileName(_exportDir.TrimEnd(Path.DirectorySeparatorChar)) + ".tmp-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(_staging);
    }

    /// <summary>
    /// Adds the first meta graph and saves the session's variables (<c>add_meta_graph_and_variables</c>).
    /// </summary>
    /// <param name="session">The session holding the variable values; its graph is <paramref name="builder"/>'s.</param>
    /// <param name="builder">The graph (a saver is added to it when <see cref="SavedModelMetaGraphOptions.SaverDef"/> is null and it has variables).</param>
    /// <param name="tags">The meta graph's tags, e.g. <c>["serve"]</c>.</param>
    /// <param name="signatures">SignatureDefs by key (see <see cref="SignatureDefs"/>); <c>serving_default</c> is TF Serving's default.</param>
    /// <param name="options">Assets, main op, saver.</param>
    /// <exception cref="InvalidOperationException">Called twice, or after <see cref="Save"/>.</exception>
    /// <exception cref="ArgumentException">A signature or asset names a tensor the graph does not have, a missing asset file, no tags.</exception>
    public SavedModelBuilder AddMetaGraphAndVariables(Session session, GraphBuilder builder, IReadOnlyList<string> tags,
        IReadOnlyDictionary<string, SignatureDef> signatures, SavedModelMetaGraphOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(builder);
        if (_saved) throw new InvalidOperationException("The SavedModel was already saved.");
        if (_hasVariables || _model.MetaGraphs.Count > 0) throw new InvalidOperationException("Graph state including variables and assets has already been saved; add further meta graphs without variables.");
        if (!ReferenceEquals(session.Graph, builder.Graph)) throw new ArgumentException("The session does not run the builder's graph.", nameof(session));
        options ??= new SavedModelMetaGraphOptions();
        Validate(builder.Graph, tags, signatures, options);
        var saverDef = options.SaverDef;
        if (saverDef == null && builder.GlobalVariables.Count > 0) saverDef = new Saver(builder).SaverDef;
        if (saverDef != null)
        {
            // builder_impl: saver.save(sess, variables_path, write_meta_graph=False, write_state=False) — the graph's own
            // save op, fed the prefix <export_dir>/variables/variables; no 'checkpoint' state file.
            var variablesDir = Path.Combine(_staging, "variables");
            Directory.CreateDirectory(variablesDir);
            session.Save(Path.Combine(variablesDir, "variables"), saverDef);
            _hasVariables = true;
        }
        _model.MetaGraphs.Add(BuildMetaGraph(builder, tags, signatures, options, saverDef));
        return this;
    }

    /// <summary>Writes <c>saved_model.pb</c> and moves the finished folder to the export directory; returns its path.</summary>
    /// <exception cref="InvalidOperationException">No meta graph was added, or already saved.</exception>
    public string Save()
    {
        if (_saved) throw new InvalidOperationException("The SavedModel was already saved.");
        if (_model.MetaGraphs.Count == 0) throw new InvalidOperationException("Add a meta graph before saving.");
        File.WriteAllBytes(Path.Combine(_staging, "saved_model.pb"), _model.ToByteArray());
        if (Directory.Exists(_exportDir)) Directory.Delete(_exportDir); // empty, checked in the constructor
        Directory.Move(_staging, _exportDir);
        _saved = true;
        return _exportDir;
    }

    /// <summary>Removes the staging folder when <see cref="Save"/> was never reached.</summary>
    public void Dispose()
    {
        if (!_saved && Directory.Exists(_staging)) Directory.Delete(_staging, recursive: true);
    }

    private static void Validate(Graph graph, IReadOnlyList<string> tags, IReadOnlyDictionary<string, SignatureDef> signatures, SavedModelMetaGraphOptions options)
    {
        if (tags.Count == 0) throw new ArgumentException("A meta graph needs at least one tag (e.g. 'serve').", nameof(tags));
        void Tensor(string name, string what)
        {
            TensorRef r;
            try { r = TensorRef.Parse(name); }
            catch (FormatException) { throw new ArgumentException($"{what}: '{name}' is not a tensor name."); }
            if (!graph.Contains(r.NodeName)) throw new ArgumentException($"{what}: the graph has no node '{r.NodeName}' (tensor '{name}').");
        }
        foreach (var (key, sig) in signatures)
            foreach (var (io, map) in new[] { ("input", sig.Inputs), ("output", sig.Outputs) })
                foreach (var (k, info) in map)
                    Tensor(info.Name, $"Signature '{key}' {io} '{k}'");
        foreach (var (tensor, file) in options.Assets ?? new Dictionary<string, string>())
        {
            Tensor(tensor, "Asset");
            if (!File.Exists(file)) throw new ArgumentException($"Asset file '{file}' (for tensor '{tensor}') does not exist.");
        }
        if (options.MainOp != null && !graph.Contains(options.MainOp)) throw new ArgumentException($"The main op '{options.MainOp}' is not in the graph.");
    }

    private static string AssetFileName(string source, Dictionary<string, string> copied)
    {
        var name = Path.GetFileName(source);
        if (!copied.TryGetValue(name, out var other) || other == source) return name;
        if (File.ReadAllBytes(other).AsSpan().SequenceEqual(File.ReadAllBytes(source))) return name;
        var unique = name;
        for (int i = 1; copied.ContainsKey(unique); i++) unique = name + "_" + i;
        return unique;
    }

    private MetaGraphDef BuildMetaGraph(GraphBuilder builder, IReadOnlyList<string> tags, IReadOnlyDictionary<string, SignatureDef> signatures,
        SavedModelMetaGraphOptions options, SaverDef? saverDef)
    {
        var meta = MetaGraphExporter.Export(builder, saverDef, new MetaGraphExportOptions { ClearDevices = options.ClearDevices });
        meta.MetaInfoDef.Tags.AddRange(tags);
        foreach (var (key, sig) in signatures) meta.SignatureDef.Add(key, sig.Clone());
        if (options.Assets is { Count: > 0 } assets)
        {
            var assetsDir = Path.Combine(_staging, "assets");
            Directory.CreateDirectory(assetsDir);
            var list = new CollectionDef.Types.AnyList();
            var copied = new Dictionary<string, string>(StringComparer.Ordinal); // name in assets/ → source path
            foreach (var (tensor, file) in assets.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                // builder_impl._maybe_save_assets / get_asset_filename_to_add: the asset keeps its base name inside
                // assets/; several tensors naming the same file (or an identical one) share it, a different file
                // with a taken name becomes "<name>_1", "<name>_2"… (_get_unique_asset_filename).
                var name = AssetFileName(Path.GetFullPath(file), copied);
                if (!copied.ContainsKey(name))
                {
                    File.Copy(file, Path.Combine(assetsDir, name), overwrite: false);
                    copied[name] = Path.GetFullPath(file);
                }
                var asset = new AssetFileDef { Filename = name, TensorInfo = new TensorInfo { Name = TensorRef.Parse(tensor).ToString() } };
                meta.AssetFileDef.Add(asset);
                list.Value.Add(Any.Pack(asset));
            }
            meta.CollectionDef[AssetsCollection] = new CollectionDef { AnyList = list };
        }
        if (options.MainOp != null)
        {
            var main = new CollectionDef { NodeList = new CollectionDef.Types.NodeList() };
            main.NodeList.Value.Add(options.MainOp);
            meta.CollectionDef[MainOpCollection] = main;
        }
        return meta;
    }
}
