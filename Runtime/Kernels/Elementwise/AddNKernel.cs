using System.Numerics;
using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// AddN: the elementwise sum of N tensors of one shape and dtype (no broadcasting, as TF's AddN; gradient
/// graphs use it to accumulate the contributions of a tensor with several consumers).
/// </summary>
internal sealed class AddNKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("AddN", n => new AddNKernel(n));
}

/// <summary>One AddN node.</summary>
internal sealed class AddNKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        int n = context.InputCount;
        if (n == 0) throw Error("AddN needs at least one input.");
        var first = context.Input(0);
        for (int i = 1; i < n; i++)
        {
            var t = context.Input(i);
            if (t.DType != first.DType) throw Error($"input {i} has dtype {DataTypes.Name(t.DType)}, input 0 has {DataTypes.Name(first.DType)}.");
            if (t.Shape != first.Shape) throw Error($"Inputs to operation AddN must have the same size and shape.  Input 0: {first.Shape} != input {i}: {t.Shape}");
        }
        if (n == 1)
        {
            // One term: the input itself, as TF's AddNOp (aggregate_ops.cc: `if (num == 1) set_output(0, input0)`).
            context.SetOutput(0, first);
            return;
        }
        var y = context.AllocateOutput(0, first.DType, first.Shape);
        switch (first.DType)
        {
            case DataType.DtFloat: Sum<float>(context, n, y); break;
            case DataType.DtDouble: Sum<double>(context, n, y); break;
            case DataType.DtInt32: Sum<int>(context, n, y); break;
            case DataType.DtInt64: Sum<long>(context, n, y); break;
            case DataType.DtComplex64 or DataType.DtComplex128: ComplexElementwise.AddN(Enumerable.Range(0, n).Select(context.Input).ToArray(), y); break;
            default: throw KernelAttrs.BadType(Node, first.DType);
        }
    }

    private static void Sum<T>(OpKernelContext context, int n, Tensor y) where T : unmanaged, INumber<T>
    {
        var inputs = new Tensor[n];
        for (int i = 0; i < n; i++) inputs[i] = context.Input(i);
        Workers.For(y.NumElements, 1 << 16, (s, e) =>
        {
            var d = y.AsSpan<T>()[(int)s..(int)e];
            inputs[0].AsSpan<T>()[(int)s..(int)e].CopyTo(d);
            for (int i = 1; i < inputs.Length; i++) TensorPrimitives.Add(d, inputs[i].AsSpan<T>()[(int)s..(int)e], d);
        });
    }
}
