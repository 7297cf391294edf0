using Google.Protobuf;
using TypedGraph.Kernels.Lookup;
using TypedGraph.Onnx.Protos;
using TypedGraph.Protos;
using OnnxType = TypedGraph.Onnx.Protos.TensorProto.Types.DataType;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// Hash-table lookups (LookupTableFind/V2 on a HashTable, e.g. Keras StringLookup / IntegerLookup, TF1
/// <c>index_table_from_*</c>) → ONNX-ML <c>LabelEncoder</c> holding the table's contents as they are in the session
/// when it exports, the same way variables become initializers with their current values. The table must have been
/// filled (its initializer run: <c>SavedModelBundle</c> runs a SavedModel's init op, a TF1 graph needs its
/// <c>tables_initializer</c>); an empty table is refused rather than exported as "every key misses".
/// </summary>
/// <remarks>
/// LabelEncoder (ai.onnx.ml opset 2, onnx/defs/traditionalml/defs.cc) maps each key of the input to its value, or to
/// default_* when the key is absent — the semantics of TF's <c>HashTable::Find</c> with a scalar default
/// (lookup_table_op.cc). Opset 2 has string, int64 and float keys and values (ORT's label_encoder.cc registers all nine
/// pairs), so int32 keys are widened to int64 and int32 values narrowed back from int64, both exact.
/// </remarks>
internal sealed partial class GraphConversion
{
    /// <summary>The ONNX-ML operator domain LabelEncoder lives in.</summary>
    internal const string OnnxMlDomain = "ai.onnx.ml";

    /// <summary>The ai.onnx.ml opset written (LabelEncoder's keys_*/values_* attributes appeared in version 2).</summary>
    internal const int OnnxMlOpset = 2;

    /// <summary>True once a node of the ai.onnx.ml domain was written, so the model must import that opset.</summary>
    public bool UsesOnnxMl { get; private set; }

    // The table each LookupTableFind node reads, resolved before the probe run.
    private readonly Dictionary<string, LookupTable> _tables = new(StringComparer.Ordinal);

    private static bool IsTableFind(string op) => op is "LookupTableFind" or "LookupTableFindV2";

    private void RegisterLookup()
    {
        _converters["LookupTableFindV2"] = ConvertTableFind;
        _converters["LookupTableFind"] = ConvertTableFind;
    }

    /// <summary>
    /// Resolves the table of every lookup the plan holds and refuses, naming the node, a table that is not filled or
    /// whose key/value dtypes LabelEncoder cannot carry. Runs before the probe run, whose own failure on an
    /// uninitialized table ("Table not initialized") would not say what to do.
    /// </summary>
    private void CheckTables(ScopePlan plan)
    {
        foreach (var item in plan.Items)
        {
            switch (item)
            {
                case NodeItem n when IsTableFind(n.Node.Op) && !_deadNodes.Contains(n.Node.Name):
                    _tables[n.Node.Name] = ResolveTable(n.Node);
                    break;
                case CondItem c:
                    CheckTables(c.Then);
                    CheckTables(c.Else);
                    break;
                case LoopItem l:
                    CheckTables(l.Cond);
                    CheckTables(l.Body);
                    break;
            }
        }
    }

    private LookupTable ResolveTable(Node node)
    {
        var handle = InputRef(node, 0);
        var source = Unforwarded(handle);
        if (_inputSet.Contains(source) || _graph.FindNode(source.NodeName) is not { } tableNode || !LookupTableKernels.IsTableOp(tableNode.Op))
            throw OnnxExportException.For(node, $"its table handle '{handle}' does not come from a table op of the graph (HashTableV2, MutableHashTableV2, …).");
        Tensor t;
        try { t = _session.Run([source.ToString()], new Dictionary<string, Tensor>())[0]; }
        catch (TypedGraphException e) { throw OnnxExportException.For(node, $"its table '{source.NodeName}' could not be read: {e.Message}"); }
        if (t.Handle is not LookupTable table)
            throw OnnxExportException.For(node, $"'{source}' did not give a lookup table.");
        if (!table.IsMutable && !table.IsInitialized)
            throw OnnxExportException.For(node, $"its table '{table.Name}' (node '{source.NodeName}', op {tableNode.Op}) is not initialized, so there are no contents to export. "
                + "Run the table initializers first (SavedModelBundle.Load runs a SavedModel's init op; in a TF1 graph run its tables_initializer / init_all_tables op), then export.");
        if (table.ValueShape.Rank != 0)
            throw OnnxExportException.For(node, $"its table '{table.Name}' maps keys to values of shape {table.ValueShape}; LabelEncoder maps a key to one scalar.");
        if (table.KeyType is not (DataType.DtString or DataType.DtInt64 or DataType.DtInt32)
            || table.ValueType is not (DataType.DtString or DataType.DtInt64 or DataType.DtInt32 or DataType.DtFloat))
            throw OnnxExportException.For(node, $"its table '{table.Name}' maps {DataTypes.Name(table.KeyType)} to {DataTypes.Name(table.ValueType)}, which has no "
                + "ai.onnx.ml LabelEncoder form (keys string/int64/int32, values string/int64/int32/float).");
        return table;
    }

    private void ConvertTableFind(Node node)
    {
        var table = _tables.TryGetValue(node.Name, out var found) ? found
            : throw new InvalidOperationException($"Exporter bug: the table of '{node.Name}' was not resolved.");
        var keys = InputRef(node, 1);
        var dflt = ConstOf(InputRef(node, 2))
            ?? throw OnnxExportException.For(node, "its default_value depends on the model inputs; only a constant default can be exported.");
        if (dflt.NumElements != 1)
            throw OnnxExportException.For(node, $"its default_value has shape {dflt.Shape}; only a scalar default is exported.");
        if (dflt.DType != table.ValueType)
            throw OnnxExportException.For(node, $"its default_value is {DataTypes.Name(dflt.DType)}, the table '{table.Name}' holds {DataTypes.Name(table.ValueType)}.");
        if (DType(keys) != table.KeyType)
            throw OnnxExportException.For(node, $"its keys are {DataTypes.Name(DType(keys))}, the table '{table.Name}' has {DataTypes.Name(table.KeyType)} keys.");

        var (tableKeys, tableValues) = table.Export();
        if (tableKeys.NumElements == 0)
        {
            // Every key misses: the default broadcast to the keys' shape. (ORT's LabelEncoder requires a non-empty
            // key list.)
            var shape = Emit("Shape", [In(keys)], Temp(node, "keys_shape"));
            SetNative(node, 0, Emit("Expand", [TensorConst(node, "default", dflt.Reshape(TensorShape.Scalar)), shape], OutName(node)));
            return;
        }

        var keysIn = table.KeyType == DataType.DtInt32
            ? Emit("Cast", [In(keys)], Temp(node, "keys_int64"), Int("to", (long)OnnxType.Int64))
            : In(keys);
        var attrs = new List<AttributeProto>();
        if (table.KeyType == DataType.DtString) attrs.Add(Strings("keys_strings", tableKeys.Strings));
        else attrs.Add(Ints("keys_int64s", Longs(tableKeys)));
        switch (table.ValueType)
        {
            case DataType.DtString:
                attrs.Add(Strings("values_strings", tableValues.Strings));
                attrs.Add(new AttributeProto { Name = "default_string", Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFrom(dflt.Strings[0]) });
                break;
            case DataType.DtFloat:
                var floats = new AttributeProto { Name = "values_floats", Type = AttributeProto.Types.AttributeType.Floats };
                floats.Floats.AddRange(tableValues.ToArray<float>());
                attrs.Add(floats);
                attrs.Add(Float("default_float", dflt.ToArray<float>()[0]));
                break;
            default: // int64, int32
                attrs.Add(Ints("values_int64s", Longs(tableValues)));
                attrs.Add(Int("default_int64", Longs(dflt)[0]));
                break;
        }
        bool narrow = table.ValueType == DataType.DtInt32;
        var encoded = Emit("LabelEncoder", [keysIn], narrow ? Temp(node, "values_int64") : OutName(node), [.. attrs]);
        _scope.Graph.Node[^1].Domain = OnnxMlDomain;
        UsesOnnxMl = true;
        SetNative(node, 0, narrow ? Emit("Cast", [encoded], OutName(node), Int("to", (long)OnnxType.Int32)) : encoded);
    }

    private static long[] Longs(Tensor t) => t.DType == DataType.DtInt32 ? t.ToArray<int>().Select(v => (long)v).ToArray() : t.ToArray<long>();

    private static AttributeProto Strings(string name, IEnumerable<byte[]> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Strings };
        foreach (var s in values) a.Strings.Add(ByteString.CopyFrom(s));
        return a;
    }
}
