using Google.Protobuf;
using TypedGraph.Formats;
using TypedGraph.SavedModels;
using TypedGraph.Onnx.Conversion;
using TypedGraph.Onnx.Protos;

namespace TypedGraph.Onnx;

/// <summary>
/// Converts the inference part of a TF graph — everything between the chosen input tensors and output tensors —
/// into an ONNX model. Variables and every other value that does not depend on the inputs are evaluated once by
/// our <see cref="Session"/> (so restored or initialized values are used) and stored as initializers; the rest
/// is translated op by op. ONNX value names are the TF tensor names (<c>"dense/Relu:0"</c>). NHWC convolutions,
/// pools, batch norms and LRNs become ONNX's NCHW ops, with the layout transposes kept at the edges of each NCHW
/// region (adjacent ones never appear). An op without a faithful ONNX equivalent fails the export with an
/// <see cref="OnnxExportException"/> naming the node — a model is never silently different.
/// </summary>
public static class OnnxExporter
{
    /// <summary>The lowest opset the exporter writes (axes as inputs of ReduceSum/Squeeze/Unsqueeze, Split without sizes).</summary>
    public const int MinOpset = 13;

    /// <summary>The highest opset the exporter writes.</summary>
    public const int MaxOpset = 21;

    /// <summary>
    /// Exports from a live session whose variables hold the values to ship (restored or trained).
    /// </summary>
    /// <param name="session">The session; its graph is read, not changed. It is run once to evaluate constants.</param>
    /// <param name="inputs">Model inputs as TF tensor names (<c>"x:0"</c>), usually placeholders.</param>
    /// <param name="outputs">Model outputs as TF tensor names.</param>
    /// <param name="options">Opset and input shapes; defaults when null.</param>
    /// <exception cref="OnnxExportException">An op or attribute ONNX cannot express, or bad input/output names.</exception>
    public static ModelProto Export(Session session, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs, OnnxExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        options ??= new OnnxExportOptions();
        if (options.Opset is < MinOpset or > MaxOpset)
            throw new OnnxExportException($"Opset {options.Opset} is not supported; choose {MinOpset}..{MaxOpset}.");
        using var lowered = LowerFunctions(session, inputs, outputs);
        var conversion = new GraphConversion(lowered ?? session, inputs, outputs, options);
        var graph = conversion.Run();
        var model = new ModelProto
        {
            IrVersion = IrVersionFor(options.Opset),
            ProducerName = "TypedGraph",
            ProducerVersion = typeof(OnnxExporter).Assembly.GetName().Version?.ToString() ?? "",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = options.Opset });
        if (conversion.UsesOnnxMl) model.OpsetImport.Add(new OperatorSetIdProto { Domain = GraphConversion.OnnxMlDomain, Version = GraphConversion.OnnxMlOpset });
        return model;
    }

    /// <summary>
    /// Exports a graph file with the variable values of a checkpoint: <paramref name="checkpoint"/> (a prefix or a
    /// folder with a <c>checkpoint</c> file) is restored through the graph's saver; with no checkpoint a SavedModel
    /// restores its own <c>variables/</c>, and <paramref name="initialize"/> runs the variables' initializers instead.
    /// A SavedModel's init op (<c>__saved_model_init_op</c>, <c>saved_model_main_op</c> or <c>legacy_init_op</c>) then
    /// runs as TF's loader runs it, so its lookup tables hold their vocabularies when they are exported.
    /// </summary>
    /// <exception cref="OnnxExportException">An op ONNX cannot express, or a variable with no value.</exception>
    public static ModelProto Export(MetaGraph meta, string? checkpoint, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs,
        OnnxExportOptions? options = null, bool initialize = false)
    {
        ArgumentNullException.ThrowIfNull(meta);
        using var session = new Session(meta.Graph);
        var prefix = checkpoint ?? (initialize ? null : meta.VariablesPrefix);
        if (prefix != null) session.Restore(prefix, meta.SaverDef);
        if (initialize) session.Initialize();
        if (meta.Kind == GraphFileKind.SavedModel && meta.VariablesPrefix != null)
        {
            try { SavedModelBundle.RunInitOp(session, meta, Path.GetDirectoryName(Path.GetDirectoryName(meta.VariablesPrefix))!); }
            catch (TypedGraphException e) { throw new OnnxExportException($"Running the SavedModel's init op (which fills its lookup tables) failed: {e.Message}", e); }
        }
        return Export(session, inputs, outputs, options);
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> (through a temporary file, so a failed write leaves no half file).</summary>
    public static void Save(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var tmp = Path.Combine(dir, "." + Path.GetFileName(full) + ".tmp-" + Environment.ProcessId);
        try
        {
            using (var f = File.Create(tmp)) model.WriteTo(f);
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    /// <summary>
    /// For a TF2 graph whose outputs are computed in function bodies (StatefulPartitionedCall, While, If): a session
    /// on the TF1-form lowering (FunctionLowering) holding the same resource-variable values; null for a plain graph.
    /// </summary>
    private static Session? LowerFunctions(Session session, IReadOnlyList<string> inputs, IReadOnlyList<string> outputs)
    {
        var roots = new List<TensorRef>();
        foreach (var name in inputs.Concat(outputs))
        {
            try { roots.Add(TensorRef.Parse(name)); }
            catch (FormatException) { return null; } // GraphConversion reports the bad name
        }
        if (!FunctionLowering.IsNeeded(session.Graph, roots)) return null;
        var def = FunctionLowering.Lower(session.Graph, roots);
        Session lowered;
        try { lowered = new Session(new Graph(def)); }
        catch (TypedGraphException e) { throw new OnnxExportException("The graph with its function calls inlined (TF1 form) could not be loaded: " + e.Message, e); }
        foreach (var n in def.Node.Where(n => n.Op == "VarHandleOp"))
        {
            var shared = n.Attr.TryGetValue("shared_name", out var s) ? s.S.ToStringUtf8() : "";
            var name = shared.Length > 0 ? shared : n.Name;
            if (session.State.FindVariable(name) is { Value: { } value }) lowered.State.Variable(name).Value = value;
        }
        // Lookup tables filled in the original session (a SavedModel's __saved_model_init_op runs the table
        // initializers) are the same objects in the lowered one: the table ops keep their names, container and
        // shared_name, so they map to the same resource key.
        foreach (var n in def.Node.Where(n => TypedGraph.Kernels.Lookup.LookupTableKernels.IsTableOp(n.Op)))
        {
            string Attr(string a) => n.Attr.TryGetValue(a, out var v) ? v.S.ToStringUtf8() : "";
            var key = TypedGraph.Kernels.Lookup.LookupTableKernels.ResourceKey(Attr("container"), Attr("shared_name"), n.Name);
            if (session.State.FindResource(key) is TypedGraph.Kernels.Lookup.LookupTable table)
                lowered.State.Resource(key, () => table);
        }
        return lowered;
    }

    // ONNX's IR version for each opset release (onnx/helper.py VERSION_TABLE): 1.12 → IR 8 / opset 17,
    // 1.13–1.14 → IR 8–9 / opset 18–19, 1.15 → IR 9 / opset 20, 1.16 → IR 10 / opset 21.
    private static long IrVersionFor(int opset) => opset switch
    {
        <= 17 => 8,
        <= 20 => 9,
        _ => 10,
    };
}
