using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// TF's graph collections (<c>tf.add_to_collection</c> / <c>tf.get_collection</c>). Items are
/// <see cref="Variable"/>s (serialized as VariableDef bytes), op or tensor names (node_list),
/// <see cref="long"/>, <see cref="float"/> or raw <see cref="byte"/> arrays. Keys keep insertion order;
/// items keep insertion order.
/// </summary>
public sealed class GraphCollections
{
    /// <summary>GLOBAL_VARIABLES.</summary>
    public const string Variables = "variables";
    /// <summary>TRAINABLE_VARIABLES.</summary>
    public const string TrainableVariables = "trainable_variables";
    /// <summary>TRAIN_OP.</summary>
    public const string TrainOp = "train_op";
    /// <summary>GLOBAL_STEP.</summary>
    public const string GlobalStep = "global_step";
    /// <summary>LOSSES.</summary>
    public const string Losses = "losses";
    /// <summary>SUMMARIES.</summary>
    public const string Summaries = "summaries";

    private static readonly HashSet<string> s_variableKeys = new(StringComparer.Ordinal)
    {
        Variables, TrainableVariables, "local_variables", "model_variables", "moving_average_variables", "metric_variables", GlobalStep,
    };

    private readonly Dictionary<string, List<object>> _items = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];

    /// <summary>Every key, in insertion order.</summary>
    public IReadOnlyList<string> Keys => _order;

    /// <summary>Appends <paramref name="item"/> to collection <paramref name="key"/>.</summary>
    public void Add(string key, object item)
    {
        if (!_items.TryGetValue(key, out var list))
        {
            _items[key] = list = [];
            _order.Add(key);
        }
        list.Add(item);
    }

    /// <summary>The items of <paramref name="key"/> (empty when absent), like <c>tf.get_collection</c>.</summary>
    public IReadOnlyList<object> Get(string key) => _items.TryGetValue(key, out var l) ? l : [];

    /// <summary>The variables of <paramref name="key"/> (non-variable items skipped).</summary>
    public IReadOnlyList<Variable> GetVariables(string key = Variables) => Get(key).OfType<Variable>().ToList();

    /// <summary>The op/tensor names of a node_list collection, e.g. <c>train_op</c>.</summary>
    public IReadOnlyList<string> GetNames(string key) => Get(key).OfType<string>().ToList();

    /// <summary>Removes a collection.</summary>
    public void Clear(string key)
    {
        if (_items.Remove(key)) _order.Remove(key);
    }

    /// <summary>Reads a MetaGraphDef's collections; node names get <paramref name="prefix"/> (import scope).</summary>
    internal void Import(MetaGraphDef meta, GraphBuilder builder, string prefix)
    {
        foreach (var (key, def) in meta.CollectionDef)
        {
            switch (def.KindCase)
            {
                case CollectionDef.KindOneofCase.NodeList:
                    foreach (var v in def.NodeList.Value) Add(key, prefix + v);
                    break;
                case CollectionDef.KindOneofCase.BytesList:
                    foreach (var b in def.BytesList.Value)
                    {
                        if (s_variableKeys.Contains(key)) Add(key, Variable.FromVariableDef(Prefixed(VariableDef.Parser.ParseFrom(b), prefix), builder));
                        else Add(key, b.ToByteArray());
                    }
                    break;
                case CollectionDef.KindOneofCase.Int64List:
                    foreach (var v in def.Int64List.Value) Add(key, v);
                    break;
                case CollectionDef.KindOneofCase.FloatList:
                    foreach (var v in def.FloatList.Value) Add(key, v);
                    break;
                default:
                    if (!_items.ContainsKey(key)) { _items[key] = []; _order.Add(key); }
                    break;
            }
        }
        // TF ≤ 1.8 did not write `trainable`: a variable listed in trainable_variables is trainable.
        var trainable = Get(TrainableVariables).OfType<Variable>().Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var key in _order.ToList())
        {
            var list = _items[key];
            for (int i = 0; i < list.Count; i++)
                if (list[i] is Variable v && !v.Trainable && trainable.Contains(v.Name))
                    list[i] = new Variable(v.Name, v.Ref, v.Snapshot, v.InitializerName, v.InitialValue, v.DType, v.Shape, true, v.IsResource);
        }
    }

    private static VariableDef Prefixed(VariableDef d, string prefix)
    {
        if (prefix.Length == 0) return d;
        var c = d.Clone();
        c.VariableName = prefix + c.VariableName;
        c.InitializerName = prefix + c.InitializerName;
        if (c.SnapshotName.Length > 0) c.SnapshotName = prefix + c.SnapshotName;
        if (c.InitialValueName.Length > 0) c.InitialValueName = prefix + c.InitialValueName;
        return c;
    }

    /// <summary>The collections as TF serializes them (§4.4 of tf-formats.md); keys sorted as TF ≥ 2 writes
    /// them; empty collections and items that cannot be serialized are skipped.</summary>
    public IEnumerable<KeyValuePair<string, CollectionDef>> ToCollectionDefs()
    {
        foreach (var key in _order.Order(StringComparer.Ordinal))
        {
            var items = _items[key];
            if (items.Count == 0) continue;
            var def = new CollectionDef();
            switch (items[0])
            {
                case Variable:
                    def.BytesList = new CollectionDef.Types.BytesList();
                    foreach (var v in items.OfType<Variable>()) def.BytesList.Value.Add(v.ToVariableDef().ToByteString());
                    break;
                case string:
                    def.NodeList = new CollectionDef.Types.NodeList();
                    def.NodeList.Value.AddRange(items.OfType<string>());
                    break;
                case long:
                    def.Int64List = new CollectionDef.Types.Int64List();
                    def.Int64List.Value.AddRange(items.OfType<long>());
                    break;
                case float:
                    def.FloatList = new CollectionDef.Types.FloatList();
                    def.FloatList.Value.AddRange(items.OfType<float>());
                    break;
                case byte[]:
                    def.BytesList = new CollectionDef.Types.BytesList();
                    foreach (var b in items.OfType<byte[]>()) def.BytesList.Value.Add(ByteString.CopyFrom(b));
                    break;
                default:
                    continue;
            }
            yield return new(key, def);
        }
    }
}
