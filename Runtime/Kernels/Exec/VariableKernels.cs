using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// TF1 ref variables: <c>VariableV2</c>/<c>Variable</c> output a reference to a <see cref="VariableSlot"/>;
/// <c>Assign</c>, <c>AssignAdd</c>, <c>AssignSub</c> replace its value; readers (e.g. <c>w/read</c>) see the
/// value at the time they run. Updates are copy-on-write, so a value a concurrent run already read never
/// changes under it.
/// </summary>
internal sealed class VariableKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add(["VariableV2", "Variable"], node =>
        {
            var name = SlotName(node);
            return new DelegateKernel(node, ctx => ctx.SetOutputRef(0, ctx.State.Variable(name)));
        });
        registry.Add("Assign", node =>
        {
            bool validate = node.GetBool("validate_shape", true);
            bool locking = node.GetBool("use_locking", true);
            return new DelegateKernel(node, ctx =>
            {
                var slot = ctx.InputRef(0);
                var value = ctx.Input(1);
                var copy = value.Clone();
                if (locking) Monitor.Enter(slot.SyncRoot);
                try
                {
                    if (validate && slot.Value is { } old && old.Shape != value.Shape)
                        throw ctx.Error($"cannot assign a value of shape {value.Shape} to variable '{slot.Name}' of shape {old.Shape} (validate_shape=true).");
                    if (slot.Value is { } cur && cur.DType != value.DType)
                        throw ctx.Error($"cannot assign a {DataTypes.Name(value.DType)} value to {DataTypes.Name(cur.DType)} variable '{slot.Name}'.");
                    slot.Value = copy;
                }
                finally
                {
                    if (locking) Monitor.Exit(slot.SyncRoot);
                }
                ctx.SetOutputRef(0, slot);
            });
        });
        registry.Add("AssignAdd", node => Update(node, +1));
        registry.Add("AssignSub", node => Update(node, -1));
        registry.Add("IsVariableInitialized", node => new DelegateKernel(node, ctx =>
            ctx.AllocateOutput(0, DataType.DtBool, TensorShape.Scalar).AsSpan<bool>()[0] = ctx.InputRef(0).IsInitialized));
    }

    /// <summary>The state key of a variable node: its shared_name when set (TF shares by it), else its name.</summary>
    internal static string SlotName(Node node)
    {
        var shared = node.GetString("shared_name", "");
        return shared.Length > 0 ? shared : node.Name;
    }

    private static DelegateKernel Update(Node node, int sign)
    {
        return new DelegateKernel(node, ctx =>
        {
            var slot = ctx.InputRef(0);
            var delta = ctx.Input(1);
            // The read-modify-write always takes the lock: use_locking=false only allows races TF tolerates.
            lock (slot.SyncRoot)
                slot.Value = ElementwiseUpdate.AddScaled(ctx, slot.GetCurrent(node.Name), delta, sign);
            ctx.SetOutputRef(0, slot);
        });
    }
}
