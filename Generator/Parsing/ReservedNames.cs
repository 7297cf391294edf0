using System.Collections.Generic;

namespace TypedGraph.Generator.Parsing
{
    /// <summary>
    /// Names a generated member must not take because the generated class or its runtime base class
    /// (<c>TypedGraph.Typed.GraphModel</c>, <c>GraphTensor</c>, <c>GraphOperation</c>, <c>GraphScope</c>)
    /// already uses them. Keep in sync with Runtime/Typed (the golden tests compile the output).
    /// </summary>
    internal static class ReservedNames
    {
        private static readonly string[] s_object = { "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "ReferenceEquals" };

        private static readonly string[] s_model =
        {
            "Members", "Session", "Graph", "Create", "Restore", "FromSession", "Initialize", "Dispose",
            "SourceFile", "ContentSha256", "GraphBytes", "Run", "RunTargets", "CreateSession", "RestoreSession", "LoadEmbedded",
            "Scopes", "Signatures", "ResourceName", "LoadGraph", "MetaGraph", "Extend", "Tensor", "Operation",
        };

        private static readonly string[] s_member =
        {
            "Members", "Name", "Model", "Feed", "Fetch", "FetchAny", "Run", "Execute", "StaticShape", "DType", "NodeName", "OpType", "OutputIndex", "Path",
        };

        /// <summary>Names the generated class cannot take: its nested types and the runtime base types it derives from
        /// or names unqualified would clash with it (CS0542 for a nested type of the same name).</summary>
        public static bool IsReservedClassName(string name)
            => name == "Scopes" || name == "Signatures";

        public static HashSet<string> ForModel(string className)
        {
            var set = new HashSet<string>(s_object);
            set.UnionWith(s_model);
            set.Add(className);
            return set;
        }

        public static HashSet<string> ForMember(string className)
        {
            var set = new HashSet<string>(s_object);
            set.UnionWith(s_member);
            set.Add(className);
            return set;
        }
    }
}
