namespace TypedGraph.Kernels;

/// <summary>How resource-variable kernels (ReadVariableOp, ResourceApplyAdam…) reach the variable behind a DT_RESOURCE input.</summary>
internal static class ResourceHandles
{
    /// <summary>The variable slot a DT_RESOURCE input refers to.</summary>
    /// <exception cref="GraphExecutionException">The input is not a variable handle.</exception>
    public static VariableSlot Variable(OpKernelContext ctx, int input)
    {
        var t = ctx.Input(input);
        if (t.DType == Protos.DataType.DtResource && t.Handle is VariableSlot slot) return slot;
        throw ctx.Error($"input {input} ('{ctx.Node.Inputs[input]}') is not a resource variable handle (got a {DataTypes.Name(t.DType)} tensor).");
    }
}
