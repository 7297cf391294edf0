using System;
using System.Collections.Generic;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>A graph read from a file, whichever container it came in.</summary>
    internal sealed class LoadedGraph
    {
        public LoadedGraph(string format, GraphDef graph, OpList? ops, bool hasSaver, string tensorFlowVersion, MetaGraphDef? meta = null)
        {
            Meta = meta;
            Format = format;
            Graph = graph;
            Ops = ops;
            HasSaver = hasSaver;
            TensorFlowVersion = tensorFlowVersion;
        }

        public string Format { get; }
        public GraphDef Graph { get; }
        public OpList? Ops { get; }
        public bool HasSaver { get; }
        public string TensorFlowVersion { get; }

        /// <summary>The MetaGraphDef (collections, signatures), or null for a bare GraphDef.</summary>
        public MetaGraphDef? Meta { get; }
    }

    /// <summary>
    /// Tells a MetaGraphDef (<c>.meta</c>), a frozen GraphDef (<c>.pb</c>) and a SavedModel
    /// (<c>saved_model.pb</c>) apart by their top-level protobuf fields, not by the extension:
    /// <list type="bullet">
    /// <item>SavedModel: field 1 is a varint (saved_model_schema_version), field 2 repeats meta graphs.</item>
    /// <item>GraphDef: field 1 (node) is a repeated message — several of them in any real graph.</item>
    /// <item>MetaGraphDef: field 1 (meta_info_def) at most once and field 2 (graph_def) present.</item>
    /// </list>
    /// The same rules as the runtime's <c>MetaGraph.Load</c>.
    /// </summary>
    internal static class GraphFileReader
    {
        /// <summary>Parses <paramref name="bytes"/>; throws <see cref="FormatException"/> with a reason on anything else.</summary>
        public static LoadedGraph Read(byte[] bytes, string fileName)
        {
            if (bytes.Length == 0) throw new FormatException("the file is empty");
            var kind = Detect(bytes, fileName);
            try
            {
                switch (kind)
                {
                    case "SavedModel":
                        return FromSavedModel(SavedModel.Parser.ParseFrom(bytes));
                    case "GraphDef":
                        return Check(new LoadedGraph("GraphDef", GraphDef.Parser.ParseFrom(bytes), null, false, ""));
                    default:
                        return FromMeta(MetaGraphDef.Parser.ParseFrom(bytes), "MetaGraphDef");
                }
            }
            catch (InvalidProtocolBufferException e)
            {
                throw new FormatException($"it looks like a {kind} but is not valid protobuf ({e.Message})");
            }
        }

        private static LoadedGraph FromSavedModel(SavedModel model)
        {
            if (model.MetaGraphs.Count == 0) throw new FormatException("the SavedModel holds no meta graph");
            // The serving graph is what users call; fall back to the first one.
            MetaGraphDef chosen = model.MetaGraphs[0];
            foreach (var mg in model.MetaGraphs)
                if (mg.MetaInfoDef != null && mg.MetaInfoDef.Tags.Contains("serve")) { chosen = mg; break; }
            return FromMeta(chosen, "SavedModel");
        }

        private static LoadedGraph FromMeta(MetaGraphDef meta, string format)
        {
            if (meta.GraphDef == null) throw new FormatException("the MetaGraphDef has no graph_def");
            var info = meta.MetaInfoDef;
            return Check(new LoadedGraph(format, meta.GraphDef, info?.StrippedOpList, meta.SaverDef != null,
                info?.TensorflowVersion ?? "", meta));
        }

        private static LoadedGraph Check(LoadedGraph g)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < g.Graph.Node.Count; i++)
            {
                var n = g.Graph.Node[i];
                if (string.IsNullOrEmpty(n.Name) || string.IsNullOrEmpty(n.Op))
                    throw new FormatException($"node #{i} has no name or no op type, so this is not a TensorFlow graph");
                if (!seen.Add(n.Name)) throw new FormatException($"node name '{n.Name}' appears twice");
                // Content validation: any protobuf with a repeated field 1 parses as a GraphDef (a FileDescriptorSet's
                // file names read as node names, its package as an op type). TF's own rules tell them apart: op type
                // names match [A-Z][a-zA-Z0-9>_]* (op_def_builder.cc) and node names [A-Za-z0-9.][A-Za-z0-9_.\-/>]*
                // (python/framework/ops.py _VALID_OP_NAME_REGEX).
                if (!IsOpTypeName(n.Op))
                    throw new FormatException($"node #{i} ('{Short(n.Name)}') has op type '{Short(n.Op)}', which is not a TensorFlow op name, so this is not a TensorFlow graph (mark other .meta/.pb files TypedGraph=\"false\")");
                if (!IsNodeName(n.Name))
                    throw new FormatException($"node #{i} is named '{Short(n.Name)}', which is not a TensorFlow node name, so this is not a TensorFlow graph (mark other .meta/.pb files TypedGraph=\"false\")");
            }
            return g;
        }

        private static string Short(string s) => s.Length <= 60 ? s : s.Substring(0, 60) + "…";

        private static bool IsOpTypeName(string op)
        {
            if (op.Length == 0 || op[0] < 'A' || op[0] > 'Z') return false;
            foreach (char c in op)
                if (!(c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '>'))) return false;
            return true;
        }

        private static bool IsNodeName(string name)
        {
            char f = name[0];
            if (!(f < 128 && (char.IsLetterOrDigit(f) || f == '.'))) return false;
            foreach (char c in name)
                if (!(c < 128 && (char.IsLetterOrDigit(c) || c == '_' || c == '.' || c == '-' || c == '/' || c == '>'))) return false;
            return true;
        }

        /// <summary>Classifies by top-level field numbers and wire types; "?" names the best guess.</summary>
        internal static string Detect(byte[] bytes, string fileName)
        {
            int field1Messages = 0, field1Varints = 0, field2Messages = 0, otherFields = 0;
            var input = new CodedInputStream(bytes);
            try
            {
                uint tag;
                while ((tag = input.ReadTag()) != 0)
                {
                    int field = WireFormat.GetTagFieldNumber(tag);
                    var wire = WireFormat.GetTagWireType(tag);
                    if (field == 1 && wire == WireFormat.WireType.LengthDelimited) field1Messages++;
                    else if (field == 1 && wire == WireFormat.WireType.Varint) field1Varints++;
                    else if (field == 2 && wire == WireFormat.WireType.LengthDelimited) field2Messages++;
                    else otherFields++;
                    input.SkipLastField();
                }
            }
            catch (InvalidProtocolBufferException)
            {
                throw new FormatException("it is not a protobuf message (not a .meta, frozen .pb or saved_model.pb)");
            }
            if (field1Varints > 0 && field1Messages == 0) return "SavedModel";
            if (field1Messages > 1) return "GraphDef";
            if (field2Messages > 0 && otherFields == 0 && field1Messages == 0
                && fileName.EndsWith("saved_model.pb", StringComparison.OrdinalIgnoreCase)) return "SavedModel";
            if (field2Messages > 0) return "MetaGraphDef";
            if (field1Messages == 1) return "GraphDef";
            throw new FormatException("it holds no graph (no nodes, no graph_def)");
        }
    }
}
