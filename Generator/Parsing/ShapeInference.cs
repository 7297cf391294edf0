using System;
using System.Collections.Generic;
using System.Linq;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// Static shapes for graphs exported without <c>_output_shapes</c> (our own exporter, some TF tools):
    /// the few rules that cover typical inference graphs — pass-through ops, elementwise ops with NumPy
    /// broadcasting (as TF's <c>BroadcastBinaryOpOutputShapeFn</c>), BiasAdd and MatMul. One forward pass
    /// in graph order (TF writes producers first); anything else, or an input not seen yet, stays unknown,
    /// which only means a less specific type (<c>TensorValue&lt;T&gt;</c> instead of <c>T</c>).
    /// </summary>
    internal static class ShapeInference
    {
        private static readonly HashSet<string> s_passThrough = new HashSet<string>(StringComparer.Ordinal)
        {
            "Identity", "Snapshot", "StopGradient", "PreventGradient", "RefIdentity", "Relu", "Relu6", "Elu", "Selu",
            "Sigmoid", "Tanh", "Neg", "Abs", "Exp", "Log", "Sqrt", "Rsqrt", "Square", "Reciprocal", "Inv", "Floor",
            "Ceil", "Round", "Sign", "Softplus", "Softsign", "LeakyRelu", "Softmax", "LogSoftmax", "Cast", "Assign",
            "AssignAdd", "AssignSub", "PlaceholderWithDefault", "Dropout", "ZerosLike", "OnesLike", "BiasAdd", "Log1p",
        };

        private static readonly HashSet<string> s_broadcast = new HashSet<string>(StringComparer.Ordinal)
        {
            "Add", "AddV2", "Sub", "Mul", "RealDiv", "Div", "FloorDiv", "FloorMod", "TruncateDiv", "Maximum", "Minimum",
            "Pow", "SquaredDifference", "Equal", "NotEqual", "Less", "LessEqual", "Greater", "GreaterEqual",
            "LogicalAnd", "LogicalOr",
        };

        /// <summary>Fills unknown output shapes of <paramref name="outputs"/> (node name → outputs) in place.</summary>
        public static void Fill(GraphDef graph, Dictionary<string, List<(DataType DType, TensorShapeProto? Shape)>> outputs)
        {
            foreach (var node in graph.Node)
            {
                // Op first: most nodes of a training graph (gradients, optimizer) have no rule, so skip their inputs.
                bool passThrough = s_passThrough.Contains(node.Op);
                if (!passThrough && !s_broadcast.Contains(node.Op) && node.Op != "MatMul") continue;
                if (!outputs.TryGetValue(node.Name, out var outs) || outs.Count == 0 || outs[0].Shape != null) continue;
                var inputs = node.Input.Where(i => i.Length > 0 && i[0] != '^').Select(i => InputShape(i, outputs)).ToList();
                TensorShapeProto? shape = null;
                if (passThrough && inputs.Count > 0) shape = inputs[0];
                else if (s_broadcast.Contains(node.Op) && inputs.Count == 2) shape = Broadcast(inputs[0], inputs[1]);
                else if (node.Op == "MatMul" && inputs.Count == 2) shape = MatMul(node, inputs[0], inputs[1]);
                if (shape != null) outs[0] = (outs[0].DType, shape);
            }
        }

        private static TensorShapeProto? InputShape(string input, Dictionary<string, List<(DataType, TensorShapeProto?)>> outputs)
        {
            int colon = input.LastIndexOf(':');
            int index = 0;
            var name = input;
            if (colon > 0 && int.TryParse(input.Substring(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out index))
                name = input.Substring(0, colon);
            return outputs.TryGetValue(name, out var outs) && index < outs.Count ? outs[index].Item2 : null;
        }

        private static TensorShapeProto? Broadcast(TensorShapeProto? a, TensorShapeProto? b)
        {
            if (a == null || b == null || a.UnknownRank || b.UnknownRank) return null;
            int rank = Math.Max(a.Dim.Count, b.Dim.Count);
            var result = new TensorShapeProto();
            for (int i = 0; i < rank; i++)
            {
                long x = i < rank - a.Dim.Count ? 1 : a.Dim[i - (rank - a.Dim.Count)].Size;
                long y = i < rank - b.Dim.Count ? 1 : b.Dim[i - (rank - b.Dim.Count)].Size;
                long d = x == 1 ? y : y == 1 ? x : x == y ? x : x < 0 ? y : y < 0 ? x : -2;
                if (d == -2) return null; // incompatible: leave it to the runtime to report
                result.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
            }
            return result;
        }

        private static TensorShapeProto? MatMul(NodeDef node, TensorShapeProto? a, TensorShapeProto? b)
        {
            if (a == null || b == null || a.UnknownRank || b.UnknownRank || a.Dim.Count != 2 || b.Dim.Count != 2) return null;
            bool ta = node.Attr.TryGetValue("transpose_a", out var x) && x.B;
            bool tb = node.Attr.TryGetValue("transpose_b", out var y) && y.B;
            var result = new TensorShapeProto();
            result.Dim.Add(new TensorShapeProto.Types.Dim { Size = a.Dim[ta ? 1 : 0].Size });
            result.Dim.Add(new TensorShapeProto.Types.Dim { Size = b.Dim[tb ? 0 : 1].Size });
            return result;
        }
    }
}
