using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// Row scatters into variables: the ref ops <c>Scatter{Update,Add,Sub,Mul,Div,Max,Min}(ref, indices, updates)</c>
/// (output: the variable ref) and the resource ops <c>ResourceScatter{…}(resource, indices, updates)</c>, plus the
/// N-d forms <c>ScatterNd{Update,Add,Sub}</c> / <c>ResourceScatterNd{Update,Add,Sub}</c>. After TF's
/// <c>scatter_op.cc</c> / <c>resource_variable_ops.cc</c>: updates has shape <c>indices.shape + var.shape[1:]</c> (the
/// resource forms also accept a scalar, broadcast to every row), duplicates apply one after another in index order
/// (so Add accumulates and Update's last write wins, as on TF's CPU), and an index outside
/// <c>[0, var.shape[0])</c> fails with TF's "indices[i] = x is not in [0, n)". Updates are copy-on-write under
/// the variable's lock, like the Apply kernels.
/// </summary>
internal sealed class ScatterVariableKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var op in Enum.GetValues<ScatterOp>())
        {
            registry.Add("Scatter" + op, n => new RowScatterKernel(n, op, resource: false));
            registry.Add("ResourceScatter" + op, n => new RowScatterKernel(n, op, resource: true));
        }
        foreach (var op in new[] { ScatterOp.Update, ScatterOp.Add, ScatterOp.Sub })
        {
            registry.Add("ScatterNd" + op, n => new NdScatterKernel(n, op, resource: false));
            registry.Add("ResourceScatterNd" + op, n => new NdScatterKernel(n, op, resource: true));
        }
    }

    private static VariableSlot Slot(OpKernelContext ctx, bool resource) => resource ? ResourceHandles.Variable(ctx, 0) : ctx.InputRef(0);

    private sealed class RowScatterKernel(Node node, ScatterOp op, bool resource) : NumericKernel(node)
    {
        protected override int TypeInput => 2;

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var slot = Slot(ctx, resource);
            var indicesT = ctx.Input(1);
            var updates = ctx.Input(2);
            var indices = SparseTriple.Longs(ctx, indicesT, "indices");
            lock (slot.SyncRoot)
            {
                var value = slot.GetCurrent(Node.Name);
                if (value.DType != updates.DType) throw ctx.Error($"updates are {DataTypes.Name(updates.DType)} but variable '{slot.Name}' is {DataTypes.Name(value.DType)}.");
                if (value.Shape.Rank < 1) throw ctx.Error($"params must be at least 1-D, got shape {value.Shape} for variable '{slot.Name}'.");
                long inner = GatherScatterNdKernels.RowSize(value.Shape);
                bool scalar = resource && updates.Shape.Rank == 0;
                if (!scalar)
                {
                    var want = indicesT.Shape.ToArray().Concat(value.Shape.ToArray()[1..]).ToArray();
                    if (!updates.Shape.ToArray().SequenceEqual(want))
                        throw ctx.Error($"Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got updates.shape {updates.Shape}, indices.shape {indicesT.Shape}, params.shape {value.Shape}");
                }
                int rows = value.Shape[0];
                for (int i = 0; i < indices.Length; i++)
                    if (indices[i] < 0 || indices[i] >= rows) throw ctx.Error($"indices[{i}] = {indices[i]} is not in [0, {rows})");
                var work = value.ToArray<T>();
                var u = updates.AsSpan<T>();
                for (int i = 0; i < indices.Length; i++)
                {
                    long at = indices[i] * inner;
                    for (long e = 0; e < inner; e++)
                        work[at + e] = GatherScatterNdKernels.Combine(op, work[at + e], scalar ? u[0] : u[(int)(i * inner + e)]);
                }
                slot.Value = Tensor.Create<T>((ReadOnlySpan<T>)work, value.Shape.ToArray());
            }
            if (!resource) ctx.SetOutputRef(0, slot);
        }
    }

    private sealed class NdScatterKernel(Node node, ScatterOp op, bool resource) : NumericKernel(node)
    {
        protected override int TypeInput => 2;

        protected override void Compute<T>(OpKernelContext ctx)
        {
            var slot = Slot(ctx, resource);
            var indices = ctx.Input(1);
            var updates = ctx.Input(2);
            lock (slot.SyncRoot)
            {
                var value = slot.GetCurrent(Node.Name);
                if (value.DType != updates.DType) throw ctx.Error($"updates are {DataTypes.Name(updates.DType)} but variable '{slot.Name}' is {DataTypes.Name(value.DType)}.");
                var shape = value.Shape.ToArray().Select(d => (long)d).ToArray();
                var (k, offsets, slice) = GatherScatterNdKernels.IndexTuples(ctx, indices, shape, "input");
                GatherScatterNdKernels.CheckUpdateShape(ctx, indices, updates, shape, k);
                var work = value.ToArray<T>();
                var u = updates.AsSpan<T>();
                for (long t = 0; t < offsets.Length; t++)
                    for (long e = 0; e < slice; e++)
                        work[offsets[t] + e] = GatherScatterNdKernels.Combine(op, work[offsets[t] + e], u[(int)(t * slice + e)]);
                slot.Value = Tensor.Create<T>((ReadOnlySpan<T>)work, value.Shape.ToArray());
            }
            if (!resource) ctx.SetOutputRef(0, slot);
        }
    }
}
