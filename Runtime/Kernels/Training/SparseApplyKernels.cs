using System.Numerics;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// TF's sparse training ops (<c>training_ops.cc</c>), ref form <c>SparseApply*</c> (output: the variable ref) and
/// resource form <c>ResourceSparseApply*</c>: the update of the dense <c>Apply*</c> op applied only to the rows named
/// by <c>indices</c>, with <c>grad</c> of shape <c>[len(indices)] + var.shape[1:]</c> — what an optimizer runs for an
/// <c>IndexedSlices</c> gradient (an embedding's Gather). Duplicate indices update the row once per occurrence, in
/// order, as TF's CPU loop does (Python's optimizers deduplicate first where the math needs it). An index outside
/// the variable fails with TF's "Index i at offset k in indices is out of range". Ops:
/// <list type="bullet">
/// <item><c>SparseApplyAdagrad(var, accum, lr, grad, indices; update_slots)</c> and <c>SparseApplyAdagradV2</c>
/// (extra <c>epsilon</c> after lr): accum += g²; var -= lr·g/(√accum [+ ε]).</item>
/// <item><c>SparseApplyMomentum(var, accum, lr, grad, indices, momentum; use_nesterov)</c>: accum = accum·momentum + g;
/// var -= lr·accum (Nesterov: var -= g·lr + accum·momentum·lr).</item>
/// <item><c>SparseApplyFtrl(var, accum, linear, grad, indices, lr, l1, l2, lr_power)</c> and <c>SparseApplyFtrlV2</c>
/// (extra <c>l2_shrinkage</c> before lr_power): TF's ApplyFtrl per row — new_accum = accum + g²;
/// linear += g' − (new_accum^−p − accum^−p)/lr·var (g' = g + 2·l2_shrinkage·var in V2);
/// quadratic = new_accum^−p/lr + 2·l2; var = |linear| &gt; l1 ? (sign(linear)·l1 − linear)/quadratic : 0.</item>
/// </list>
/// Float and double, computed in the variable's type. Copy-on-write under the variables' locks, like ApplyKernels.
/// </summary>
internal sealed class SparseApplyKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var resource in new[] { false, true })
        {
            string p = resource ? "ResourceSparseApply" : "SparseApply";
            // (slot count, index of grad, index of indices) — the scalars are the remaining inputs in order.
            registry.Add(p + "Adagrad", n => new SparseApplyKernel(n, resource, 1, 3, 4, Rule.Adagrad));
            registry.Add(p + "AdagradV2", n => new SparseApplyKernel(n, resource, 1, 4, 5, Rule.AdagradV2));
            registry.Add(p + "Momentum", n => new SparseApplyKernel(n, resource, 1, 3, 4, Rule.Momentum));
            registry.Add(p + "Ftrl", n => new SparseApplyKernel(n, resource, 2, 3, 4, Rule.Ftrl));
            registry.Add(p + "FtrlV2", n => new SparseApplyKernel(n, resource, 2, 3, 4, Rule.FtrlV2));
        }
    }

    private enum Rule { Adagrad, AdagradV2, Momentum, Ftrl, FtrlV2 }

    private sealed class SparseApplyKernel(Node node, bool resource, int slotCount, int gradIndex, int indicesIndex, Rule rule) : FloatKernel(node)
    {
        private readonly bool _flag = rule switch
        {
            Rule.Adagrad or Rule.AdagradV2 => node.GetBool("update_slots", true),
            Rule.Momentum => node.GetBool("use_nesterov", false),
            _ => node.GetBool("multiply_linear_by_lr", false),
        };

        protected override int TypeInput => gradIndex;

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var slots = new VariableSlot[1 + slotCount];
            for (int k = 0; k < slots.Length; k++) slots[k] = resource ? ResourceHandles.Variable(ctx, k) : ctx.InputRef(k);
            var grad = ctx.Input(gradIndex);
            var indicesT = ctx.Input(indicesIndex);
            if (indicesT.Shape.Rank != 1) throw ctx.Error($"indices must be one-dimensional, got shape {indicesT.Shape}.");
            var indices = Sparse.SparseTriple.Longs(ctx, indicesT, "indices");
            var dtype = grad.DType;
            var scalarInputs = Enumerable.Range(slots.Length, ctx.InputCount - slots.Length).Where(i => i != gradIndex && i != indicesIndex).ToArray();
            var a = new T[scalarInputs.Length];
            for (int k = 0; k < a.Length; k++)
            {
                var t = ctx.Input(scalarInputs[k]);
                if (t.NumElements != 1 || t.DType != dtype)
                    throw ctx.Error($"input {scalarInputs[k]} ('{Node.Inputs[scalarInputs[k]]}') must be a {DataTypes.Name(dtype)} scalar, got {DataTypes.Name(t.DType)}{t.Shape}.");
                a[k] = t.AsSpan<T>()[0];
            }
            var taken = new List<object>();
            try
            {
                foreach (var s in slots)
                    if (!taken.Contains(s.SyncRoot)) { Monitor.Enter(s.SyncRoot); taken.Add(s.SyncRoot); }
                var values = slots.Select(s => s.GetCurrent(Node.Name)).ToArray();
                var shape = values[0].Shape;
                for (int k = 0; k < values.Length; k++)
                    if (values[k].Shape != shape || values[k].DType != dtype)
                        throw ctx.Error($"'{slots[k].Name}' is {DataTypes.Name(values[k].DType)}{values[k].Shape} but var is {DataTypes.Name(dtype)}{shape}.");
                if (shape.Rank < 1) throw ctx.Error($"var must be at least 1 dimensional, got shape {shape}.");
                var wantGrad = new[] { indices.Length }.Concat(shape.ToArray()[1..]).ToArray();
                if (!grad.Shape.ToArray().SequenceEqual(wantGrad))
                    throw ctx.Error($"grad must have shape [len(indices)] + var.shape[1:] = [{string.Join(",", wantGrad)}], got {grad.Shape}.");
                int rows = shape[0];
                for (int i = 0; i < indices.Length; i++)
                    if (indices[i] < 0 || indices[i] >= rows) throw ctx.Error($"Index {indices[i]} at offset {i} in indices is out of range");
                int inner = (int)Sparse.GatherScatterNdKernels.RowSize(shape);
                var work = values.Select(v => v.ToArray<T>()).ToArray();
                var g = grad.AsSpan<T>();
                for (int i = 0; i < indices.Length; i++)
                {
                    int at = (int)indices[i] * inner;
                    for (int e = 0; e < inner; e++) Step(work, at + e, g[i * inner + e], a);
                }
                for (int k = 0; k < slots.Length; k++) slots[k].Value = Tensor.Create<T>((ReadOnlySpan<T>)work[k], shape.ToArray());
            }
            finally
            {
                foreach (var o in taken) Monitor.Exit(o);
            }
            if (!resource) ctx.SetOutputRef(0, slots[0]);
        }

        private void Step<T>(T[][] w, int j, T g, T[] a) where T : IFloatingPointIeee754<T>
        {
            var v = w[0];
            var acc = w[1];
            switch (rule)
            {
                case Rule.Adagrad: // scalars: lr
                    if (_flag) acc[j] += g * g;
                    v[j] -= a[0] * g / T.Sqrt(acc[j]);
                    break;
                case Rule.AdagradV2: // scalars: lr, epsilon
                    if (_flag) acc[j] += g * g;
                    v[j] -= a[0] * g / (T.Sqrt(acc[j]) + a[1]);
                    break;
                case Rule.Momentum: // scalars: lr, momentum
                    acc[j] = acc[j] * a[1] + g;
                    v[j] -= _flag ? g * a[0] + acc[j] * a[1] * a[0] : a[0] * acc[j];
                    break;
                default: // Ftrl scalars: lr, l1, l2, lr_power; FtrlV2: lr, l1, l2, l2_shrinkage, lr_power
                {
                    T lr = a[0], l1 = a[1], l2 = a[2];
                    bool v2 = rule == Rule.FtrlV2;
                    T power = v2 ? a[4] : a[3];
                    T shrink = v2 ? a[3] : T.Zero;
                    var linear = w[2];
                    T two = T.CreateTruncating(2);
                    T gShrink = g + two * shrink * v[j];
                    T newAcc = acc[j] + g * g;
                    T sigma = T.Pow(newAcc, -power) - T.Pow(acc[j], -power);
                    // multiply_linear_by_lr (TF ≥ 2.3): linear is kept pre-multiplied by lr.
                    if (_flag) linear[j] += gShrink * lr - sigma * v[j];
                    else linear[j] += gShrink - sigma / lr * v[j];
                    T quadratic = _flag ? T.Pow(newAcc, -power) + two * l2 * lr : T.Pow(newAcc, -power) / lr + two * l2;
                    T l1Eff = _flag ? l1 * lr : l1;
                    v[j] = T.Abs(linear[j]) > l1Eff ? (T.CopySign(l1Eff, linear[j]) - linear[j]) / quadratic : T.Zero;
                    acc[j] = newAcc;
                    break;
                }
            }
        }
    }
}
