using TypedGraph.Protos;

namespace TypedGraph.Onnx.Conversion;

/// <summary>
/// Ops that read a resource variable directly rather than through ReadVariableOp (a ReadVariableOp of a variable is
/// static, so the probe run already turns it into an initializer): the variable's current value in the session
/// becomes an initializer.
/// </summary>
internal sealed partial class GraphConversion
{
    private void RegisterResource()
    {
        // ResourceGather(resource, indices; batch_dims): Gather on the variable's value, as resource_variable_ops.cc
        // ResourceGatherOp gathers rows of the variable's tensor.
        _converters["ResourceGather"] = node =>
        {
            if (node.GetInt("batch_dims", 0) != 0) throw OnnxExportException.For(node, "batch_dims ≠ 0 is not exported.");
            var value = VariableValue(node, InputRef(node, 0));
            SetNative(node, 0, Emit("Gather", [TensorConst(node, "params", value), In(node, 1)], OutName(node), Int("axis", 0)));
        };
    }

    /// <summary>The session's value of the resource variable a handle input names (through Identity ops).</summary>
    private Tensor VariableValue(Node node, TensorRef handle)
    {
        var source = Unforwarded(handle);
        if (_inputSet.Contains(source) || _graph.FindNode(source.NodeName) is not { Op: "VarHandleOp" } var)
            throw OnnxExportException.For(node, $"its resource input '{handle}' does not come from a VarHandleOp of the graph.");
        var shared = var.GetString("shared_name", "");
        var name = shared.Length > 0 ? shared : var.Name;
        return _session.State.FindVariable(name)?.Value
            ?? throw OnnxExportException.For(node, $"the variable '{name}' it reads has no value; restore a checkpoint or initialize the variables first.");
    }
}
