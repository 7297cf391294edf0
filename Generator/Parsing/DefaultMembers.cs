using System;
using System.Collections.Generic;
using System.Text.RegularExpressions;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// Which nodes get a member when the item sets no <c>IncludeNodes</c>: what a user types, not the
    /// machinery a training script's <c>.meta</c> also carries. A node is shown when it is not machinery and is
    /// <list type="bullet">
    /// <item>a placeholder or a variable;</item>
    /// <item>named in a collection (<c>train_op</c>, <c>losses</c>, <c>summaries</c>, <c>inputs</c>/<c>outputs</c>-style
    /// node lists, variable collections) or in a SavedModel signature;</item>
    /// <item>an end point: no node that is itself shown-able consumes it (data or control edge; summary ops
    /// and machinery do not count), e.g. predictions, losses, accuracies, <c>init</c>, the train op;</item>
    /// <item>or named by the user: its last name segment is not TF's automatic name for its op
    /// (<c>O</c>, <c>op_to_restore</c>, <c>loss</c> — but not <c>MatMul_2</c>, <c>add_1</c>, <c>Relu</c>).</item>
    /// </list>
    /// Machinery: the <c>gradients</c> scope (and <c>gradients_N</c>), <c>save</c>/<c>save_N</c> scopes at any
    /// depth, <c>*/Assign</c>, <c>*/Initializer/*</c>, <c>*/read</c>, and optimizer internals found by content:
    /// every node under the scope of an <c>Apply*</c>/<c>ResourceApply*</c> update op (<c>Adam/update_w/ApplyAdam</c>
    /// → <c>Adam/…</c>) and every variable such an op reads besides the one it updates (slots <c>w/Adam</c>,
    /// <c>w/Adam_1</c>, accumulators <c>beta1_power</c>).
    /// </summary>
    internal static class DefaultMembers
    {
        // TF's own default names: tf.Operation named after its op type (ops.py: `name = name or op_type`
        // via name_scope), Python operator wrappers (math_ops.binary_op_wrapper: "add", "sub", "mul",
        // "truediv"…) and common array helpers; compared ignoring case and underscores.
        private static readonly HashSet<string> s_wrapperNames = new HashSet<string>(StringComparer.Ordinal)
        {
            "add", "sub", "mul", "truediv", "floordiv", "div", "mod", "pow", "neg", "and", "or", "xor", "invert", "abs",
            "matmul", "zeros", "ones", "zeroslike", "oneslike", "fill", "range", "stack", "unstack", "concat", "split",
            "sum", "mean", "max", "min", "prod", "all", "any", "randomuniform", "randomnormal", "truncatednormal",
            "stridedslice", "transpose", "cond", "while", "switch", "merge", "identity", "value", "initialvalue",
            "const", "reshape", "shape", "size", "rank", "cast", "squeeze", "expanddims", "gather", "slice", "tile",
            "pack", "unpack", "concatv2", "assign", "assignadd", "assignsub", "group", "groupdeps", "noop",
            "logicaland", "logicalor", "logicalnot", "equal", "notequal", "less", "greater", "lessequal", "greaterequal",
            "square", "sqrt", "exp", "log", "sigmoid", "tanh", "relu", "softmax", "argmax", "argmin", "biasadd",
            "dropout", "l2loss", "addn", "realdiv", "maximum", "minimum", "select", "where", "onehot", "clipbyvalue",
            "scalarsummary", "histogramsummary", "mergesummary", "read", "isvariableinitialized", "readvariableop",
        };

        private static readonly Regex s_numberSuffix = new Regex("_[0-9]+$", RegexOptions.CultureInvariant);

        /// <summary>The default-visible flags, one per node of <paramref name="graph"/>.</summary>
        public static bool[] Compute(GraphDef graph, MetaGraphDef? meta)
        {
            int n = graph.Node.Count;
            var index = new Dictionary<string, int>(n, StringComparer.Ordinal);
            for (int i = 0; i < n; i++) index[graph.Node[i].Name] = i;

            var machinery = new bool[n];
            var optimizerScopes = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < n; i++)
            {
                var node = graph.Node[i];
                machinery[i] = IsMachineryName(node.Name);
                if (!IsUpdateOp(node.Op)) continue;
                // Adam/update_w/ApplyAdam → "Adam/": the optimizer's own scope (optimizer.py apply_gradients opens
                // name_scope(name) and, per variable, name_scope("update_" + var.op.name), so a scoped variable gives
                // Adam/update_layer0/w/ApplyAdam). The train op itself is the node named like the scope ("Adam"), which stays.
                var parts = node.Name.Split('/');
                for (int p = 1; p < parts.Length - 1; p++)
                    if (parts[p].StartsWith("update_", StringComparison.Ordinal))
                    {
                        optimizerScopes.Add(string.Join("/", parts, 0, p) + "/");
                        break;
                    }
                // Inputs other than the updated variable that are variables: slots and accumulators.
                for (int k = 1; k < node.Input.Count; k++)
                {
                    var v = VariableBehind(graph, index, node.Input[k]);
                    if (v >= 0) machinery[v] = true;
                }
            }
            if (optimizerScopes.Count > 0)
                for (int i = 0; i < n; i++)
                    if (!machinery[i])
                        foreach (var scope in optimizerScopes)
                            if (graph.Node[i].Name.StartsWith(scope, StringComparison.Ordinal)) { machinery[i] = true; break; }

            var shown = new bool[n];
            // Consumers that make a node "not an end point": every node but the gradients (a loss or a prediction is
            // consumed by its gradient) and summaries (tf.summary.scalar("loss", loss) does not make the loss internal).
            // Initializer assigns do count: an initial-value computation is not an end point.
            var consumed = new bool[n];
            for (int i = 0; i < n; i++)
            {
                var node = graph.Node[i];
                if (IsSummaryOp(node.Op) || InGradients(node.Name)) continue;
                foreach (var input in node.Input)
                    if (index.TryGetValue(NodeOf(input), out int j) && j != i) consumed[j] = true;
            }
            for (int i = 0; i < n; i++)
            {
                if (machinery[i]) continue;
                var node = graph.Node[i];
                // A constant's name is rarely the user's: TF names a converted Python value after the argument it
                // feeds (ops.convert_to_tensor(value, name=arg): "add/y", "concat/axis", "truncated_normal/stddev").
                bool userNamed = node.Op != "Const" && IsUserNamed(node);
                // An end point computes something: a node without inputs nobody uses (a stray constant, an empty
                // NoOp such as tf.losses' static_scalar_check_success) is not one.
                bool endPoint = !consumed[i] && node.Input.Count > 0;
                shown[i] = FeedAnalysis.IsPlaceholder(node.Op) || IsVariableOp(node.Op) || endPoint || (userNamed && !IsInitialValue(node.Name));
            }
            foreach (var name in NamedByMeta(meta))
                if (index.TryGetValue(NodeOf(name), out int j) && !machinery[j]) shown[j] = true;
            return shown;
        }

        /// <summary>Machinery by name alone: gradients, savers, initializers, assigns and variable snapshots.</summary>
        public static bool IsMachineryName(string name)
        {
            // Segment by segment without splitting (this runs for every node of 10k+-node graphs).
            int lastSlash = name.LastIndexOf('/');
            if (lastSlash < 0) return false;
            // At any depth: tf.gradients / Saver() under a name scope give "training/gradients/…", "init_and_save/save/…".
            for (int start = 0, index = 0; start < lastSlash; index++)
            {
                int end = name.IndexOf('/', start);
                if (IsNumbered(name, start, end - start, "save") || IsNumbered(name, start, end - start, "gradients")) return true;
                if (index > 0 && end - start == 11 && string.CompareOrdinal(name, start, "Initializer", 0, 11) == 0) return true;
                start = end + 1;
            }
            int lastLength = name.Length - lastSlash - 1;
            return (lastLength == 6 && string.CompareOrdinal(name, lastSlash + 1, "Assign", 0, 6) == 0)
                   || (lastLength == 4 && string.CompareOrdinal(name, lastSlash + 1, "read", 0, 4) == 0);
        }

        private static bool InGradients(string name)
        {
            int lastSlash = name.LastIndexOf('/');
            for (int start = 0; start < lastSlash;)
            {
                int end = name.IndexOf('/', start);
                if (IsNumbered(name, start, end - start, "gradients")) return true;
                start = end + 1;
            }
            return false;
        }

        // tf.Variable(initial_value) names its value computation "<var>/initial_value" — machinery-like but outside
        // the Initializer scope; an initial-value computation is consumed only by the Assign.
        private static bool IsInitialValue(string name) => name.EndsWith("/initial_value", StringComparison.Ordinal);

        /// <summary>The segment <c>name[start..start+length)</c> is <paramref name="word"/> or TF's uniquified <c>word_N</c>.</summary>
        private static bool IsNumbered(string name, int start, int length, string word)
        {
            if (length < word.Length || string.CompareOrdinal(name, start, word, 0, word.Length) != 0) return false;
            if (length == word.Length) return true;
            if (length == word.Length + 1 || name[start + word.Length] != '_') return false;
            for (int i = start + word.Length + 1; i < start + length; i++)
                if (name[i] < '0' || name[i] > '9') return false;
            return true;
        }

        /// <summary>The last segment, without TF's <c>_N</c>, is TF's automatic name for the op.</summary>
        public static bool IsUserNamed(NodeDef node)
        {
            var last = node.Name.Substring(node.Name.LastIndexOf('/') + 1);
            var stem = Normalize(s_numberSuffix.Replace(last, ""));
            if (stem.Length == 0) return false;
            var op = Normalize(node.Op);
            if (stem == op || s_wrapperNames.Contains(stem)) return false;
            // VariableV2 → "Variable", ConcatV2 → "concat", SoftmaxCrossEntropyWithLogits etc.
            foreach (var suffix in new[] { "v2", "v3" })
                if (op.EndsWith(suffix, StringComparison.Ordinal) && stem == op.Substring(0, op.Length - suffix.Length)) return false;
            return true;
        }

        private static string Normalize(string s)
        {
            var sb = new System.Text.StringBuilder(s.Length);
            foreach (char c in s)
                if (c != '_') sb.Append(char.ToLowerInvariant(c));
            return sb.ToString();
        }

        private static bool IsUpdateOp(string op)
            => op.StartsWith("Apply", StringComparison.Ordinal) || op.StartsWith("ResourceApply", StringComparison.Ordinal)
               || op.StartsWith("SparseApply", StringComparison.Ordinal) || op.StartsWith("ResourceSparseApply", StringComparison.Ordinal);

        private static bool IsSummaryOp(string op) => op.EndsWith("Summary", StringComparison.Ordinal) || op.EndsWith("SummaryV2", StringComparison.Ordinal);

        internal static bool IsVariableOp(string op)
            => op == "VariableV2" || op == "Variable" || op == "VarHandleOp" || op == "TemporaryVariable";

        // A variable input may come through its snapshot (w/read, an Identity) or directly (ref input).
        private static int VariableBehind(GraphDef graph, Dictionary<string, int> index, string input)
        {
            if (!index.TryGetValue(NodeOf(input), out int j)) return -1;
            for (int hops = 0; hops < 2; hops++)
            {
                var node = graph.Node[j];
                if (IsVariableOp(node.Op)) return j;
                if (node.Op != "Identity" || node.Input.Count == 0 || !index.TryGetValue(NodeOf(node.Input[0]), out j)) return -1;
            }
            return IsVariableOp(graph.Node[j].Op) ? j : -1;
        }

        /// <summary>Node names from the file's collections and signatures.</summary>
        private static IEnumerable<string> NamedByMeta(MetaGraphDef? meta)
        {
            if (meta == null) yield break;
            foreach (var kv in meta.CollectionDef)
            {
                var def = kv.Value;
                if (def.KindCase == CollectionDef.KindOneofCase.NodeList)
                    foreach (var v in def.NodeList.Value) yield return v;
                else if (def.KindCase == CollectionDef.KindOneofCase.BytesList)
                    foreach (var b in def.BytesList.Value)
                    {
                        // Variable collections hold VariableDefs; other byte lists (queue runners, cond contexts) are skipped.
                        string? name = null;
                        try
                        {
                            var v = VariableDef.Parser.ParseFrom(b);
                            if (v.VariableName.Length > 0 && v.SnapshotName.Length > 0) name = v.VariableName;
                        }
                        catch (InvalidProtocolBufferException)
                        {
                        }
                        if (name != null) yield return name;
                    }
            }
            foreach (var sig in meta.SignatureDef.Values)
            {
                foreach (var t in sig.Inputs.Values) if (t.Name.Length > 0) yield return t.Name;
                foreach (var t in sig.Outputs.Values) if (t.Name.Length > 0) yield return t.Name;
            }
        }

        private static string NodeOf(string input)
        {
            // Most inputs are plain node names ("layer0/MatMul"): no caret, no ":N" — return them as they are.
            if (input.Length > 0 && input[0] != '^' && input.IndexOf(':') < 0) return input;
            var s = input.StartsWith("^", StringComparison.Ordinal) ? input.Substring(1) : input;
            int colon = s.LastIndexOf(':');
            return colon > 0 && colon + 1 < s.Length && char.IsDigit(s[colon + 1]) ? s.Substring(0, colon) : s;
        }
    }
}
