using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// One whole float tensor of the fused cell kernels' general route (shapes the row route does not take): each op of the
/// fused group computed in turn, as the separate op would — TF's broadcasting (<see cref="Broadcast"/>) for the binary
/// ops, the same <see cref="TensorPrimitives"/> call on the whole tensor for Sigmoid/Tanh, Split's equal pieces.
/// Allocates freely: the route runs only for unusual shapes.
/// </summary>
internal readonly record struct CellValue(float[] Values, TensorShape Shape)
{
    /// <summary>A copy of a float tensor.</summary>
    public static CellValue Of(Tensor t) => new(t.AsSpan<float>().ToArray(), t.Shape);

    /// <summary><c>f(a, b)</c> elementwise over the broadcast shape.</summary>
    /// <exception cref="ArgumentException">The shapes do not broadcast (the message names both).</exception>
    public static CellValue Zip(CellValue a, CellValue b, Func<float, float, float> f)
    {
        var shape = Broadcast.Shape(a.Shape, b.Shape);
        var y = new float[shape.NumElements];
        Broadcast.Zip<float>(a.Values, a.Shape, b.Values, b.Shape, y, shape, f);
        return new CellValue(y, shape);
    }

    /// <summary>Tanh or Sigmoid of every value, in place.</summary>
    public CellValue Activated(bool tanh)
    {
        if (tanh) TensorPrimitives.Tanh(Values, Values);
        else TensorPrimitives.Sigmoid(Values, Values);
        return this;
    }

    /// <summary>The <paramref name="parts"/> equal pieces of <paramref name="t"/> along <paramref name="axis"/>, as Split
    /// makes them (the caller checked that the dim divides).</summary>
    public static CellValue[] Pieces(Tensor t, int axis, int parts)
    {
        var dims = t.Shape.ToArray();
        long outer = 1, inner = 1;
        for (int d = 0; d < axis; d++) outer *= dims[d];
        for (int d = axis + 1; d < dims.Length; d++) inner *= dims[d];
        dims[axis] /= parts;
        var shape = new TensorShape(dims);
        long partLength = dims[axis] * inner;
        var src = t.AsSpan<float>();
        var pieces = new CellValue[parts];
        for (int k = 0; k < parts; k++)
        {
            var values = new float[shape.NumElements];
            for (long o = 0; o < outer; o++)
                src.Slice((int)((o * parts + k) * partLength), (int)partLength).CopyTo(values.AsSpan((int)(o * partLength), (int)partLength));
            pieces[k] = new CellValue(values, shape);
        }
        return pieces;
    }

    /// <summary>Allocates output <paramref name="index"/> with this shape and copies the values into it.</summary>
    public void WriteTo(OpKernelContext context, int index) => Values.CopyTo(context.AllocateOutput(index, DataType.DtFloat, Shape).AsSpan<float>());
}
