using System.Collections.Generic;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// The number, dtypes and static shapes of a node's outputs. Dtypes come from the op's OpDef (a
    /// <c>.meta</c> carries them in <c>stripped_op_list</c>), resolved through the node's attrs the way
    /// TF's <c>InOutTypesForNode</c> does; shapes from the <c>_output_shapes</c> attr TF adds on export.
    /// A frozen GraphDef has no op list, so a small heuristic (the usual type attrs) fills in.
    /// </summary>
    internal sealed class OutputSignatures
    {
        // Ops known to have no outputs, for graphs without an op list.
        private static readonly HashSet<string> s_noOutputs = new HashSet<string>
        {
            "NoOp", "SaveV2", "Save", "SaveSlices", "Assert", "MergeV2Checkpoints", "ControlTrigger",
        };

        // TF's versions.h, producer 22: "Placeholder now can specify and enforce scalar and partial shapes". Before it,
        // a Placeholder shape with no dims meant "unknown" (array_ops.cc Placeholder shape fn: graph_def_version() <= 21).
        private const int ScalarPlaceholderShapes = 22;

        private readonly Dictionary<string, OpDef> _ops = new Dictionary<string, OpDef>();
        private readonly bool _emptyPlaceholderShapeIsUnknown;

        /// <param name="ops">The op list of a .meta, or null.</param>
        /// <param name="producer">The GraphDef's <c>versions.producer</c> (0 when the field is absent, as TF reads it).</param>
        public OutputSignatures(OpList? ops, int producer)
        {
            _emptyPlaceholderShapeIsUnknown = producer < ScalarPlaceholderShapes;
            if (ops == null) return;
            foreach (var op in ops.Op) _ops[op.Name] = op;
        }

        /// <summary>One entry per output: dtype (DtInvalid when unknown) and shape.</summary>
        public List<(DataType DType, TensorShapeProto? Shape)> For(NodeDef node)
        {
            var dtypes = _ops.TryGetValue(node.Op, out var def) ? FromOpDef(node, def) : Heuristic(node);
            var shapes = OutputShapesAttr(node);
            var result = new List<(DataType, TensorShapeProto?)>(dtypes.Count);
            for (int i = 0; i < dtypes.Count; i++)
            {
                var shape = shapes != null && i < shapes.Count ? shapes[i] : DeclaredShape(node, i);
                // A legacy graph's placeholder typed as a scalar would refuse the feeds the runtime accepts.
                if (_emptyPlaceholderShapeIsUnknown && IsPlaceholder(node.Op) && shape != null && !shape.UnknownRank && shape.Dim.Count == 0)
                    shape = new TensorShapeProto { UnknownRank = true };
                result.Add((dtypes[i], shape));
            }
            return result;
        }

        private static List<DataType> FromOpDef(NodeDef node, OpDef def)
        {
            var types = new List<DataType>();
            foreach (var arg in def.OutputArg)
            {
                if (!string.IsNullOrEmpty(arg.TypeListAttr))
                {
                    if (node.Attr.TryGetValue(arg.TypeListAttr, out var list) && list.List != null)
                        types.AddRange(list.List.Type);
                    continue;
                }
                var t = arg.Type;
                if (t == DataType.DtInvalid && !string.IsNullOrEmpty(arg.TypeAttr))
                    t = node.Attr.TryGetValue(arg.TypeAttr, out var ta) ? ta.Type : DataType.DtInvalid;
                long n = 1;
                if (!string.IsNullOrEmpty(arg.NumberAttr))
                    n = node.Attr.TryGetValue(arg.NumberAttr, out var na) ? na.I : 0;
                for (long i = 0; i < n; i++) types.Add(arg.IsRef ? Ref(t) : t);
            }
            return types;
        }

        private static DataType Ref(DataType t) => t == DataType.DtInvalid || (int)t > 100 ? t : (DataType)((int)t + 100);

        private static List<DataType> Heuristic(NodeDef node)
        {
            var types = new List<DataType>();
            if (s_noOutputs.Contains(node.Op)) return types;
            var dtype = DataType.DtInvalid;
            foreach (var attr in new[] { "dtype", "T", "out_type", "DstT", "output_type", "Tout", "type" })
                if (node.Attr.TryGetValue(attr, out var a) && a.ValueCase == AttrValue.ValueOneofCase.Type) { dtype = a.Type; break; }
            int count = 1;
            if (node.Attr.TryGetValue("_output_shapes", out var shapes) && shapes.List != null) count = shapes.List.Shape.Count;
            for (int i = 0; i < count; i++) types.Add(dtype);
            return types;
        }

        private static IList<TensorShapeProto>? OutputShapesAttr(NodeDef node)
            => node.Attr.TryGetValue("_output_shapes", out var a) && a.List != null && a.List.Shape.Count > 0 ? a.List.Shape : null;

        // Without _output_shapes, the ops that declare their shape in an attr still tell us.
        private static bool IsPlaceholder(string op) => op == "Placeholder" || op == "PlaceholderV2";

        private static TensorShapeProto? DeclaredShape(NodeDef node, int output)
        {
            if (output != 0) return null;
            if (node.Op == "Const" && node.Attr.TryGetValue("value", out var v) && v.Tensor != null) return v.Tensor.TensorShape ?? new TensorShapeProto();
            if (node.Attr.TryGetValue("shape", out var s) && s.ValueCase == AttrValue.ValueOneofCase.Shape
                && (node.Op.StartsWith("Placeholder") || node.Op.StartsWith("Variable") || node.Op == "VarHandleOp"))
                return node.Op == "VarHandleOp" ? new TensorShapeProto() : s.Shape;
            return null;
        }
    }
}
