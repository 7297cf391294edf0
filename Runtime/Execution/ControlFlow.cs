namespace TypedGraph.Execution;

/// <summary>Op-type facts the executor needs about TF1 control flow (tf.cond / tf.while_loop).</summary>
internal static class ControlFlow
{
    /// <summary>Merge / RefMerge: forwards its first live input.</summary>
    public static bool IsMerge(string op) => op is "Merge" or "RefMerge";

    /// <summary>Switch / RefSwitch: routes its input to one of two outputs, the other becomes dead.</summary>
    public static bool IsSwitch(string op) => op is "Switch" or "RefSwitch";

    /// <summary>Enter / RefEnter: moves a value into a child frame.</summary>
    public static bool IsEnter(string op) => op is "Enter" or "RefEnter";

    /// <summary>Exit / RefExit: moves a value out to the parent frame.</summary>
    public static bool IsExit(string op) => op is "Exit" or "RefExit";

    /// <summary>NextIteration / RefNextIteration: sends a value to the next iteration.</summary>
    public static bool IsNextIteration(string op) => op is "NextIteration" or "RefNextIteration";

    /// <summary>Ops that only exist inside while loops (and make the graph cyclic).</summary>
    public static bool IsLoopOp(string op) => IsEnter(op) || IsExit(op) || IsNextIteration(op) || op == "LoopCond";
}
