using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Resource variables: <c>VarHandleOp</c> outputs a DT_RESOURCE scalar whose <see cref="Tensor.Handle"/> is
/// the <see cref="VariableSlot"/> (see <see cref="ResourceHandles"/>); Read/Assign/AssignAdd/AssignSub/
/// VarIsInitialized/DestroyResource act on that slot.
/// </summary>
internal sealed class ResourceVariableKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("VarHandleOp", node =>
        {
            var name = VariableKernels.SlotName(node);
            Tensor? handle = null;
            // One kernel per session, so the handle tensor can be made once and reused.
            return new DelegateKernel(node, ctx => ctx.SetOutput(0, handle ??= Tensor.FromHandle(DataType.DtResource, ctx.State.Variable(name))));
        });
        registry.Add("ReadVariableOp", node =>
        {
            var dtype = node.GetType("dtype", DataType.DtInvalid);
            return new DelegateKernel(node, ctx =>
            {
                var value = ResourceHandles.Variable(ctx, 0).Read(ctx.Leases, node.Name);
                if (dtype != DataType.DtInvalid && value.DType != dtype)
                    throw ctx.Error($"reads a {DataTypes.Name(dtype)} but variable holds {DataTypes.Name(value.DType)}.");
                ctx.SetOutput(0, value);
            });
        });
        registry.Add("AssignVariableOp", node => new DelegateKernel(node, ctx =>
        {
            var slot = ResourceHandles.Variable(ctx, 0);
            var copy = ctx.Input(1).Clone();
            lock (slot.SyncRoot)
            {
                if (slot.Value is { } cur && cur.DType != copy.DType)
                    throw ctx.Error($"cannot assign a {DataTypes.Name(copy.DType)} value to {DataTypes.Name(cur.DType)} variable '{slot.Name}'.");
                slot.Value = copy;
            }
        }));
        registry.Add("AssignAddVariableOp", node => Update(node, +1));
        registry.Add("AssignSubVariableOp", node => Update(node, -1));
        registry.Add("VarIsInitializedOp", node => new DelegateKernel(node, ctx =>
            ctx.AllocateOutput(0, DataType.DtBool, TensorShape.Scalar).AsSpan<bool>()[0] = ResourceHandles.Variable(ctx, 0).IsInitialized));
        registry.Add("DestroyResourceOp", node => new DelegateKernel(node, ctx =>
        {
            var slot = ResourceHandles.Variable(ctx, 0);
            lock (slot.SyncRoot) slot.Value = null;
        }));
    }

    private static DelegateKernel Update(Node node, int sign) => new(node, ctx =>
    {
        var slot = ResourceHandles.Variable(ctx, 0);
        var delta = ctx.Input(1);
        lock (slot.SyncRoot)
            slot.Value = ElementwiseUpdate.AddScaled(ctx, slot.GetCurrent(node.Name), delta, sign);
    });
}
