using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Training;

/// <summary>
/// AddN: the elementwise sum of N same-shaped tensors — how <c>tf.gradients</c> adds up the gradients of a
/// tensor used on several paths (<c>gradients/AddN</c>). Registered only when no other kernel set provides it,
/// so the math kernels may take it over without a duplicate registration.
/// </summary>
public sealed class AddNKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        if (!registry.IsSupported("AddN")) registry.Add("AddN", n => new AddNKernel(n));
    }

    private sealed class AddNKernel(Node node) : OpKernel(node)
    {
        public override void Compute(OpKernelContext context)
        {
            var first = context.Input(0);
            for (int i = 1; i < context.InputCount; i++)
            {
                var t = context.Input(i);
                if (t.DType != first.DType || t.Shape != first.Shape)
                    throw Error($"input {i} is {DataTypes.Name(t.DType)}{t.Shape}, but input 0 is {DataTypes.Name(first.DType)}{first.Shape}; AddN needs equal shapes and dtypes.");
            }
            var y = context.AllocateOutput(0, first.DType, first.Shape);
            switch (first.DType)
            {
                case DataType.DtFloat: Sum<float>(context, y); break;
                case DataType.DtDouble: Sum<double>(context, y); break;
                case DataType.DtInt32: Sum<int>(context, y); break;
                case DataType.DtInt64: Sum<long>(context, y); break;
                default: throw KernelAttrs.BadType(Node, first.DType);
            }
        }

        private static void Sum<T>(OpKernelContext context, Tensor y) where T : unmanaged, System.Numerics.INumber<T>
        {
            var dst = y.AsSpan<T>();
            context.Input(0).AsSpan<T>().CopyTo(dst);
            for (int i = 1; i < context.InputCount; i++)
            {
                var src = context.Input(i).AsSpan<T>();
                if (typeof(T) == typeof(float))
                    System.Numerics.Tensors.TensorPrimitives.Add(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(dst), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(src), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(dst));
                else
                    for (int k = 0; k < dst.Length; k++) dst[k] += src[k];
            }
        }
    }
}
