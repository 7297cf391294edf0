using System.Numerics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// The part every dense <c>Apply*</c> / <c>ResourceApply*</c> kernel shares: resolve the variable and its slot
/// variables (ref inputs or resource handles), check the scalar hyper-parameters and the gradient, take the variables'
/// locks in input order (TF's <c>MutexLock</c> order in training_ops.cc, so two apply ops never deadlock on each other),
/// update and publish. Subclasses supply only the update rule.
/// </summary>
/// <remarks>
/// Each variable is updated in place when nobody else can observe its old value, else on a fresh copy that is then
/// published — as tensorflow/core/kernels/training_op_helpers.h's <c>PrepareToUpdateVariable</c> copies a resource
/// variable's buffer only when its refcount says it is shared (ref variables are always updated in place there; here
/// they follow the same rule, so a value a caller or a concurrent run holds never changes).
/// <see cref="VariableSlot.CanUpdateInPlace"/> is the test; the first update after an Assign or a restore always copies.
/// </remarks>
/// <typeparam name="T">The variable's element type (float or double).</typeparam>
internal abstract class DenseApplyKernel<T> : OpKernel
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _resource;
    private readonly int _slotCount;
    private readonly int _gradIndex;
    // Input indices of the scalar hyper-parameters, in input order (the gradient skipped).
    private readonly int[] _scalarInputs;

    /// <summary>Creates the kernel; <paramref name="gradIndex"/> is the gradient's input index, -1 for the last input.</summary>
    protected DenseApplyKernel(Node node, bool resource, int slotCount, int gradIndex) : base(node)
    {
        _resource = resource;
        _slotCount = slotCount;
        int inputs = node.Inputs.Count;
        _gradIndex = gradIndex < 0 ? inputs - 1 : gradIndex;
        _scalarInputs = Enumerable.Range(1 + slotCount, Math.Max(0, inputs - 1 - slotCount)).Where(i => i != _gradIndex).ToArray();
    }

    /// <summary>Applies the rule to <paramref name="work"/> (the variable, then its slots: same shape, updated in place),
    /// given the scalar inputs in input order (the gradient skipped) and the gradient.</summary>
    protected abstract void Apply(Tensor[] work, T[] scalars, ReadOnlySpan<T> grad);

    /// <summary>
    /// As <see cref="Apply"/> on elements [<paramref name="start"/>, <paramref name="start"/> + <paramref name="length"/>)
    /// only, for rules whose update of an element reads nothing but that element (<see cref="ElementwiseRanges"/>).
    /// </summary>
    protected virtual void ApplyRange(Tensor[] work, T[] scalars, ReadOnlySpan<T> grad, int start, int length)
        => throw new NotSupportedException($"{GetType().Name} does not update element ranges.");

    /// <summary>Whether <see cref="ApplyRange"/> is implemented: the update is element by element and gives an element
    /// the same bits wherever a range starts (then a large variable is updated in parallel parts).</summary>
    protected virtual bool ElementwiseRanges => false;

    // Elements per parallel part: below two parts' worth the fork/join costs more than it saves (mnist_fc2's largest
    // variable, 784×100, is split in two).
    private const int ParallelGrain = 1 << 15;

    /// <inheritdoc/>
    public sealed override void Compute(OpKernelContext context)
    {
        int count = 1 + _slotCount;
        var slots = new VariableSlot[count];
        for (int k = 0; k < count; k++) slots[k] = _resource ? ResourceHandles.Variable(context, k) : context.InputRef(k);
        // A context with another input count than the node (a hand-made one) is checked against what it has.
        int gi = context.InputCount == Node.Inputs.Count ? _gradIndex : _gradIndex == Node.Inputs.Count - 1 ? context.InputCount - 1 : _gradIndex;
        var scalarInputs = context.InputCount == Node.Inputs.Count ? _scalarInputs
            : Enumerable.Range(count, Math.Max(0, context.InputCount - count)).Where(i => i != gi).ToArray();
        var grad = context.Input(gi);
        var dtype = DataTypes.Of<T>();
        var scalars = new T[scalarInputs.Length];
        for (int k = 0; k < scalars.Length; k++)
        {
            int input = scalarInputs[k];
            var t = context.Input(input);
            if (t.NumElements != 1 || t.DType != dtype)
                throw Error($"input {input} ('{Node.Inputs[input]}') must be a {DataTypes.Name(dtype)} scalar, got {DataTypes.Name(t.DType)}{t.Shape}.");
            scalars[k] = t.AsSpan<T>()[0];
        }
        if (grad.DType != dtype) throw Error($"grad is {DataTypes.Name(grad.DType)}, expected {DataTypes.Name(dtype)}.");
        int entered = 0;
        try
        {
            // Locks in input order, each once (two inputs may name the same variable).
            for (; entered < count; entered++)
                if (FirstWithRoot(slots, entered) == entered) Monitor.Enter(slots[entered].SyncRoot);
            var work = new Tensor[count];
            for (int k = 0; k < count; k++) work[k] = slots[k].GetCurrent(Node.Name);
            for (int k = 0; k < count; k++)
                if (work[k].Shape != work[0].Shape || work[k].DType != dtype)
                    throw Error($"'{slots[k].Name}' is {DataTypes.Name(work[k].DType)}{work[k].Shape} but the variable is {DataTypes.Name(dtype)}{work[0].Shape}.");
            if (grad.Shape != work[0].Shape)
                throw Error($"grad has shape {grad.Shape} but variable '{slots[0].Name}' has shape {work[0].Shape}.");
            // In place only when every input names a different variable and the gradient is none of their storage;
            // otherwise the rule must read values it also writes, so each variable works on a fresh copy.
            bool distinct = Distinct(slots) && !SharesStorage(grad, work);
            uint inPlace = 0; // bit k: work[k] is the variable's own tensor, updated in place
            for (int k = 0; k < count; k++)
            {
                if (distinct && slots[k].CanUpdateInPlace(work[k], context.Leases)) inPlace |= 1u << k;
                else work[k] = work[k].Clone();
            }
            if (ElementwiseRanges && work[0].NumElements >= 2 * ParallelGrain)
                Workers.For(work[0].NumElements, ParallelGrain, (Kernel: this, work, scalars, grad), static (st, s, e)
                    => st.Kernel.ApplyRange(st.work, st.scalars, st.grad.AsSpan<T>(), (int)s, (int)(e - s)));
            else Apply(work, scalars, grad.AsSpan<T>());
            for (int k = 0; k < count; k++)
            {
                if ((inPlace & (1u << k)) != 0) VariableSlot.UpdatedInPlace(work[k]);
                else slots[k].PublishOwned(work[k]);
            }
        }
        finally
        {
            for (int k = entered - 1; k >= 0; k--)
                if (FirstWithRoot(slots, k) == k) Monitor.Exit(slots[k].SyncRoot);
        }
        if (!_resource) context.SetOutputRef(0, slots[0]);
    }

    private static int FirstWithRoot(VariableSlot[] slots, int k)
    {
        for (int j = 0; j < k; j++)
            if (ReferenceEquals(slots[j].SyncRoot, slots[k].SyncRoot)) return j;
        return k;
    }

    private static bool Distinct(VariableSlot[] slots)
    {
        for (int k = 1; k < slots.Length; k++)
            if (FirstWithRoot(slots, k) != k) return false;
        return true;
    }

    private static bool SharesStorage(Tensor grad, Tensor[] values)
    {
        var array = grad.BackingArray;
        foreach (var v in values)
            if (ReferenceEquals(v, grad) || (array != null && v.SharesArray(array))) return true;
        return false;
    }
}
