using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Lookup;

/// <summary>
/// Lookup-table ops (tensorflow/core/kernels/lookup_table_op.cc, lookup_table_init_op.cc): the table ops create a
/// <see cref="LookupTable"/> in the session's resources (shared by <c>shared_name</c>, else per node) and output its
/// handle; Find/Insert/Remove/Import/Export/Size and the initializers act on it. The V1 ops (Ref(string) handles) share
/// the kernels: their handle output carries the same table.
/// </summary>
internal sealed class LookupTableKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var v in new[] { "", "V2" })
        {
            registry.Add("HashTable" + v, node => TableOp(node, mutable: false));
            registry.Add("MutableHashTable" + v, node => TableOp(node, mutable: true));
            registry.Add("MutableHashTableOfTensors" + v, node => TableOp(node, mutable: true));
            registry.Add("MutableDenseHashTable" + v, node => TableOp(node, mutable: true, dense: true));
            registry.Add("LookupTableFind" + v, node => new DelegateKernel(node, ctx =>
                ctx.SetOutput(0, Table(ctx).Find(ctx.Input(1), ctx.Input(2), ctx.Error))));
            registry.Add("LookupTableInsert" + v, node => new DelegateKernel(node, ctx => Table(ctx).Insert(ctx.Input(1), ctx.Input(2), ctx.Error, initialize: false)));
            registry.Add("LookupTableRemove" + v, node => new DelegateKernel(node, ctx => Table(ctx).Remove(ctx.Input(1), ctx.Error)));
            registry.Add("LookupTableImport" + v, node => new DelegateKernel(node, ctx => Table(ctx).Import(ctx.Input(1), ctx.Input(2), ctx.Error)));
            registry.Add("LookupTableExport" + v, node => new DelegateKernel(node, ctx =>
            {
                var (k, val) = Table(ctx).Export();
                ctx.SetOutput(0, k);
                ctx.SetOutput(1, val);
            }));
            registry.Add("LookupTableSize" + v, node => new DelegateKernel(node, ctx =>
                ctx.SetOutput(0, Tensor.FromScalar(Table(ctx).Count))));
            registry.Add("InitializeTable" + v, node => new DelegateKernel(node, ctx => Table(ctx).Insert(ctx.Input(1), ctx.Input(2), ctx.Error, initialize: true)));
            registry.Add("InitializeTableFromTextFile" + v, TextFileInit);
        }
    }

    private static OpKernel TableOp(Node node, bool mutable, bool dense = false)
    {
        var keyType = node.GetType("key_dtype");
        var valueType = node.GetType("value_dtype");
        if (keyType is not (DataType.DtString or DataType.DtInt64 or DataType.DtInt32))
            throw KernelAttrs.Err(node, $"key_dtype {DataTypes.Name(keyType)} is not supported (string, int64 or int32).");
        var shapeProto = node.GetShape("value_shape");
        var valueShape = shapeProto == null ? TensorShape.Scalar : TensorShape.FromLongs(shapeProto.Dim.Select(d => d.Size).ToArray());
        string shared = node.GetString("shared_name", "");
        string container = node.GetString("container", "");
        // TF: an empty shared_name means a table private to this kernel (use_node_name_sharing shares by node name);
        // a session holds one kernel per node, so the node name is the key either way.
        string key = ResourceKey(container, shared, node.Name);
        string name = shared.Length > 0 ? shared : node.Name;
        return new DelegateKernel(node, ctx =>
        {
            TableKey? empty = null, deleted = null;
            if (dense)
            {
                empty = TableKey.Of(CheckKey(ctx, 0, "empty_key", keyType), 0);
                deleted = TableKey.Of(CheckKey(ctx, 1, "deleted_key", keyType), 0);
                if (empty.Equals(deleted)) throw ctx.Error("Empty and deleted keys must have different values.");
            }
            var table = ctx.State.Resource(key, () => new LookupTable(name, keyType, valueType, valueShape, mutable, empty, deleted));
            if (table.KeyType != keyType || table.ValueType != valueType)
                throw ctx.Error($"Table '{name}' already exists with key/value types {DataTypes.Name(table.KeyType)}/{DataTypes.Name(table.ValueType)}.");
            ctx.SetOutput(0, Tensor.FromHandle(DataType.DtResource, table));
        });
    }

    /// <summary>
    /// The session-resource key of the table a table op (HashTableV2, MutableHashTableV2, …) creates: by container and
    /// shared_name, or by node name when shared_name is empty. The ONNX exporter uses it to hand a table filled in one
    /// session to the session that runs the same graph with its functions inlined.
    /// </summary>
    internal static string ResourceKey(string container, string sharedName, string nodeName)
        => "lookup_table:" + container + "/" + (sharedName.Length > 0 ? sharedName : "@" + nodeName);

    /// <summary>True for the ops that create a lookup table (V1 and V2).</summary>
    internal static bool IsTableOp(string op) => op is "HashTable" or "HashTableV2" or "MutableHashTable" or "MutableHashTableV2"
        or "MutableHashTableOfTensors" or "MutableHashTableOfTensorsV2" or "MutableDenseHashTable" or "MutableDenseHashTableV2";

    private static Tensor CheckKey(OpKernelContext ctx, int input, string what, DataType keyType)
    {
        var t = ctx.Input(input);
        if (t.DType != keyType || t.NumElements != 1) throw ctx.Error($"{what} must be a {DataTypes.Name(keyType)} scalar, got {DataTypes.Name(t.DType)} {t.Shape}.");
        return t;
    }

    /// <summary>The table behind input 0.</summary>
    internal static LookupTable Table(OpKernelContext ctx)
    {
        var t = ctx.Input(0);
        if (t.DType == DataType.DtResource && t.Handle is LookupTable table) return table;
        throw ctx.Error($"input 0 ('{ctx.Node.Inputs[0]}') is not a lookup table handle (got a {DataTypes.Name(t.DType)} tensor).");
    }

    // InitializeTableFromTextFile: one entry per line; key_index/value_index select a delimiter-split column, or
    // -2 = the whole line (TextFileIndex::WHOLE_LINE), -1 = the 0-based line number (LINE_NUMBER). vocab_size > 0
    // requires at least that many lines and reads only those; offset (TF ≥ 2.8) skips leading lines. A line whose
    // key or value column is missing or unparsable is an error naming the file and line (lookup_util.cc).
    private static OpKernel TextFileInit(Node node)
    {
        int keyIndex = (int)node.GetInt("key_index"), valueIndex = (int)node.GetInt("value_index");
        long vocabSize = node.GetInt("vocab_size", -1), offset = node.GetInt("offset", 0);
        string delimiter = node.GetString("delimiter", "\t");
        if (keyIndex < -2 || valueIndex < -2) throw KernelAttrs.Err(node, "key_index and value_index must be >= -2.");
        return new DelegateKernel(node, ctx =>
        {
            var table = Table(ctx);
            var f = ctx.Input(1);
            if (f.DType != DataType.DtString || f.NumElements != 1) throw ctx.Error("filename must be a scalar string.");
            string path = Encoding.UTF8.GetString(f.Strings[0]);
            if (!File.Exists(path)) throw ctx.Error($"vocabulary file '{path}' not found.");
            var lines = File.ReadAllLines(path, Encoding.UTF8).Skip((int)offset).ToList();
            if (vocabSize > 0)
            {
                if (lines.Count < vocabSize) throw ctx.Error($"Invalid vocab_size in {path}: expected {vocabSize} but got {lines.Count}.");
                lines = lines.Take((int)vocabSize).ToList();
            }
            var keys = new List<string>();
            var values = new List<string>();
            for (int i = 0; i < lines.Count; i++)
            {
                string[] cols = delimiter.Length == 0 ? [lines[i]] : lines[i].Split(delimiter);
                string Column(int index, string what) => index switch
                {
                    -2 => lines[i],
                    -1 => (i + offset).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    _ when index < cols.Length => cols[index],
                    _ => throw ctx.Error($"Invalid number of columns in {path} line {i + offset} ({lines[i]}) : expected {Math.Max(keyIndex, valueIndex) + 1} got {cols.Length} (for the {what})."),
                };
                keys.Add(Column(keyIndex, "key"));
                values.Add(Column(valueIndex, "value"));
            }
            table.Insert(Convert(ctx, keys, table.KeyType, path), Convert(ctx, values, table.ValueType, path), ctx.Error, initialize: !table.IsMutable);
        });
    }

    private static Tensor Convert(OpKernelContext ctx, List<string> text, DataType type, string path)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        switch (type)
        {
            case DataType.DtString: return new Tensor(new TensorShape(text.Count), text.Select(Encoding.UTF8.GetBytes).ToArray());
            case DataType.DtInt64: return Tensor.Create(text.Select((s, i) => long.TryParse(s, inv, out var v) ? v : throw Bad(s, i)).ToArray(), text.Count);
            case DataType.DtInt32: return Tensor.Create(text.Select((s, i) => int.TryParse(s, inv, out var v) ? v : throw Bad(s, i)).ToArray(), text.Count);
            case DataType.DtFloat: return Tensor.Create(text.Select((s, i) => float.TryParse(s, inv, out var v) ? v : throw Bad(s, i)).ToArray(), text.Count);
            case DataType.DtDouble: return Tensor.Create(text.Select((s, i) => double.TryParse(s, inv, out var v) ? v : throw Bad(s, i)).ToArray(), text.Count);
            default: throw ctx.Error($"text-file tables cannot hold {DataTypes.Name(type)} values.");
        }
        Exception Bad(string s, int line) => ctx.Error($"Field {s} in {path} line {line} is not a valid {DataTypes.Name(type)}.");
    }
}
