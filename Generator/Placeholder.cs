namespace TypedGraph.Generator { internal static class Placeholder { } }
