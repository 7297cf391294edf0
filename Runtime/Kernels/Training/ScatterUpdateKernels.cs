using System.Numerics;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// <c>ScatterAdd</c>, <c>ScatterSub</c>, <c>ScatterUpdate</c> on ref variables (TF's <c>scatter_op.cc</c>): row
/// <c>indices[i]</c> of the variable gets <c>updates[i]</c> added, subtracted or assigned; repeated indices add up
/// (for Update the last write wins, as TF's CPU kernel runs in order). <c>updates</c> has shape
/// <c>indices.shape + var.shape[1:]</c> or is a scalar applied to every indexed row. This is how a TF1 optimizer
/// applies the sparse (IndexedSlices) gradient of an embedding Gather. Copy-on-write under the variable's lock,
/// like Assign, so a value another run has read never changes under it. Output = the variable ref.
/// </summary>
public sealed class ScatterUpdateKernels : KernelSet
{
    private enum Mode { Add, Sub, Update }

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ScatterAdd", n => new ScatterKernel(n, Mode.Add));
        registry.Add("ScatterSub", n => new ScatterKernel(n, Mode.Sub));
        registry.Add("ScatterUpdate", n => new ScatterKernel(n, Mode.Update));
    }

    private sealed class ScatterKernel(Node node, Mode mode) : OpKernel(node)
    {
        public override void Compute(OpKernelContext context)
        {
            var slot = context.InputRef(0);
            var indicesT = context.Input(1);
            var updates = context.Input(2);
            long[] indices = indicesT.DType switch
            {
                DataType.DtInt32 => Array.ConvertAll(indicesT.ToArray<int>(), v => (long)v),
                DataType.DtInt64 => indicesT.ToArray<long>(),
                _ => throw Error($"indices must be int32 or int64, got {DataTypes.Name(indicesT.DType)}."),
            };
            lock (slot.SyncRoot)
            {
                var current = slot.GetValue(Node.Name);
                if (current.Shape.Rank < 1) throw Error($"params must be at least 1-D, got shape {current.Shape}.");
                if (updates.DType != current.DType)
                    throw Error($"updates is {DataTypes.Name(updates.DType)} but variable '{slot.Name}' is {DataTypes.Name(current.DType)}.");
                long rowElems = current.NumElements / Math.Max(1, current.Shape[0]);
                bool scalar = updates.Shape.Rank == 0;
                var expected = new TensorShape([.. indicesT.Shape.ToArray(), .. current.Shape.ToArray()[1..]]);
                if (!scalar && updates.Shape != expected)
                    throw Error($"Must have updates.shape = indices.shape + params.shape[1:] or updates.shape = [], got updates.shape {updates.Shape}, indices.shape {indicesT.Shape}, params.shape {current.Shape}");
                int rows = current.Shape[0];
                for (int i = 0; i < indices.Length; i++)
                    if (indices[i] < 0 || indices[i] >= rows)
                        throw Error($"indices[{i}] = {indices[i]} is not in [0, {rows})");
                var next = current.Clone();
                switch (next.DType)
                {
                    case DataType.DtFloat: Apply<float>(next, updates, indices, rowElems, scalar); break;
                    case DataType.DtDouble: Apply<double>(next, updates, indices, rowElems, scalar); break;
                    case DataType.DtInt32: Apply<int>(next, updates, indices, rowElems, scalar); break;
                    case DataType.DtInt64: Apply<long>(next, updates, indices, rowElems, scalar); break;
                    default: throw Error($"dtype {DataTypes.Name(next.DType)} is not supported.");
                }
                slot.Value = next;
            }
            context.SetOutputRef(0, slot);
        }

        private void Apply<T>(Tensor target, Tensor updates, long[] indices, long rowElems, bool scalar) where T : unmanaged, INumber<T>
        {
            var dst = target.AsSpan<T>();
            var src = updates.AsSpan<T>();
            for (int i = 0; i < indices.Length; i++)
            {
                var row = dst.Slice(checked((int)(indices[i] * rowElems)), checked((int)rowElems));
                for (int k = 0; k < row.Length; k++)
                {
                    T u = scalar ? src[0] : src[checked((int)(i * rowElems + k))];
                    row[k] = mode switch { Mode.Add => row[k] + u, Mode.Sub => row[k] - u, _ => u };
                }
            }
        }
    }
}
