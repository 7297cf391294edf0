using System.Numerics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// The part every dense <c>Apply*</c> / <c>ResourceApply*</c> kernel shares: resolve the variable and its slot
/// variables (ref inputs or resource handles), check the scalar hyper-parameters and the gradient, take the variables'
/// locks in input order (TF's <c>MutexLock</c> order in training_ops.cc, so two apply ops never deadlock on each other),
/// update copies and publish them. Subclasses supply only the update rule.
/// </summary>
/// <typeparam name="T">The variable's element type (float or double).</typeparam>
internal abstract class DenseApplyKernel<T>(Node node, bool resource, int slotCount, int gradIndex) : OpKernel(node)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Applies the rule to <paramref name="work"/> (the variable, then its slots: private copies of the same
    /// shape), given the scalar inputs in input order (the gradient skipped) and the gradient.</summary>
    protected abstract void Apply(Tensor[] work, T[] scalars, ReadOnlySpan<T> grad);

    /// <inheritdoc/>
    public sealed override void Compute(OpKernelContext context)
    {
        var slots = new VariableSlot[1 + slotCount];
        for (int k = 0; k < slots.Length; k++) slots[k] = resource ? ResourceHandles.Variable(context, k) : context.InputRef(k);
        // gradIndex: input index of the gradient; -1 = last (every op but ApplyMomentum and its relatives).
        int gi = gradIndex < 0 ? context.InputCount - 1 : gradIndex;
        var grad = context.Input(gi);
        var scalarInputs = Enumerable.Range(slots.Length, context.InputCount - slots.Length).Where(i => i != gi).ToArray();
        var dtype = DataTypes.Of<T>();
        var scalars = new T[scalarInputs.Length];
        for (int k = 0; k < scalars.Length; k++)
        {
            var t = context.Input(scalarInputs[k]);
            if (t.NumElements != 1 || t.DType != dtype)
                throw Error($"input {scalarInputs[k]} ('{Node.Inputs[scalarInputs[k]]}') must be a {DataTypes.Name(dtype)} scalar, got {DataTypes.Name(t.DType)}{t.Shape}.");
            scalars[k] = t.AsSpan<T>()[0];
        }
        if (grad.DType != dtype) throw Error($"grad is {DataTypes.Name(grad.DType)}, expected {DataTypes.Name(dtype)}.");
        var taken = new List<object>();
        try
        {
            foreach (var s in slots)
                if (!taken.Contains(s.SyncRoot)) { Monitor.Enter(s.SyncRoot); taken.Add(s.SyncRoot); }
            var values = slots.Select(s => s.GetValue(Node.Name)).ToArray();
            for (int k = 0; k < values.Length; k++)
                if (values[k].Shape != values[0].Shape || values[k].DType != dtype)
                    throw Error($"'{slots[k].Name}' is {DataTypes.Name(values[k].DType)}{values[k].Shape} but the variable is {DataTypes.Name(dtype)}{values[0].Shape}.");
            if (grad.Shape != values[0].Shape)
                throw Error($"grad has shape {grad.Shape} but variable '{slots[0].Name}' has shape {values[0].Shape}.");
            // Copy-on-write: update fresh copies (same shape, rank 0 stays rank 0), then publish them, so a tensor a
            // concurrent run (or a caller's fetch) holds never changes under it.
            var work = new Tensor[values.Length];
            for (int k = 0; k < work.Length; k++) work[k] = values[k].Clone();
            Apply(work, scalars, grad.AsSpan<T>());
            for (int k = 0; k < slots.Length; k++) slots[k].Value = work[k];
        }
        finally
        {
            foreach (var o in taken) Monitor.Exit(o);
        }
        if (!resource) context.SetOutputRef(0, slots[0]);
    }
}
