using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// TF's bitwise ops (<c>core/kernels/cwise_op_bitwise_*.cc</c>, <c>cwise_op_left_shift.cc</c>,
/// <c>cwise_op_right_shift.cc</c>, <c>cwise_op_invert.cc</c>, <c>population_count_op.cc</c>) on the eight integer types
/// TF registers: <c>BitwiseAnd/Or/Xor</c>, <c>LeftShift</c>, <c>RightShift</c> (broadcasting like every binary cwise op),
/// <c>Invert</c> (<c>~x</c>) and <c>PopulationCount</c> (uint8 count of set bits). The shifts follow
/// <c>left_shift_op</c> / <c>right_shift_op</c> in cwise_ops.h: the shift amount is clamped to [0, bits − 1], the left
/// shift is done on the unsigned type, the right shift is arithmetic for signed types.
/// </summary>
internal sealed class BitwiseKernels : KernelSet
{
    private enum Op { And, Or, Xor, LeftShift, RightShift }

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("BitwiseAnd", n => Binary(n, Op.And));
        registry.Add("BitwiseOr", n => Binary(n, Op.Or));
        registry.Add("BitwiseXor", n => Binary(n, Op.Xor));
        registry.Add("LeftShift", n => Binary(n, Op.LeftShift));
        registry.Add("RightShift", n => Binary(n, Op.RightShift));
        registry.Add("Invert", n => new Exec.DelegateKernel(n, ctx => Dispatch(ctx, new InvertBody())));
        registry.Add("PopulationCount", n => new Exec.DelegateKernel(n, ctx => Dispatch(ctx, new PopCountBody())));
    }

    private static OpKernel Binary(Node n, Op op) => new Exec.DelegateKernel(n, ctx => Dispatch(ctx, new BinaryBody(op)));

    private interface IBody
    {
        void Run<T>(OpKernelContext ctx) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>;
    }

    private static void Dispatch<TBody>(OpKernelContext ctx, TBody body) where TBody : IBody
    {
        switch (ctx.Input(0).DType)
        {
            case DataType.DtInt8: body.Run<sbyte>(ctx); break;
            case DataType.DtInt16: body.Run<short>(ctx); break;
            case DataType.DtInt32: body.Run<int>(ctx); break;
            case DataType.DtInt64: body.Run<long>(ctx); break;
            case DataType.DtUint8: body.Run<byte>(ctx); break;
            case DataType.DtUint16: body.Run<ushort>(ctx); break;
            case DataType.DtUint32: body.Run<uint>(ctx); break;
            case DataType.DtUint64: body.Run<ulong>(ctx); break;
            default: throw ctx.Error($"dtype {DataTypes.Name(ctx.Input(0).DType)} is not supported (TF registers the bitwise ops for int8/16/32/64 and uint8/16/32/64).");
        }
    }

    private readonly struct InvertBody : IBody
    {
        public void Run<T>(OpKernelContext ctx) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
        {
            var x = ctx.Input(0);
            var src = x.AsSpan<T>();
            var dst = ctx.AllocateOutput(0, x.DType, x.Shape).AsSpan<T>();
            for (int i = 0; i < src.Length; i++) dst[i] = ~src[i];
        }
    }

    private readonly struct PopCountBody : IBody
    {
        public void Run<T>(OpKernelContext ctx) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
        {
            var x = ctx.Input(0);
            var src = x.AsSpan<T>();
            var dst = ctx.AllocateOutput(0, DataType.DtUint8, x.Shape).AsSpan<byte>();
            for (int i = 0; i < src.Length; i++) dst[i] = byte.CreateTruncating(T.PopCount(src[i]));
        }
    }

    private readonly struct BinaryBody(Op op) : IBody
    {
        public void Run<T>(OpKernelContext ctx) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            if (b.DType != a.DType) throw ctx.Error($"both inputs must have the same dtype, got {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}.");
            if (!Broadcast.TryShape(a.Shape, b.Shape, out var shape))
                throw ctx.Error($"Incompatible shapes: {a.Shape} vs. {b.Shape}");
            var output = ctx.AllocateOutput(0, a.DType, shape);
            int bits = System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 8;
            var body = this;
            // Rows of broadcast(a, b) as the comparison and logical ops walk them.
            ElementwiseLoop.Binary<T, T>(a, b, output, (x, xRow, y, yRow, z) =>
            {
                for (int i = 0; i < z.Length; i++) z[i] = body.Apply(xRow ? x[i] : x[0], yRow ? y[i] : y[0], bits);
            });
        }

        private T Apply<T>(T x, T y, int bits) where T : unmanaged, IBinaryInteger<T>, IMinMaxValue<T>
        {
            switch (op)
            {
                case Op.And: return x & y;
                case Op.Or: return x | y;
                case Op.Xor: return x ^ y;
                default:
                {
                    // Clamp to [0, bits − 1] as cwise_ops.h; C#'s shift operators mask the count, so clamp first.
                    int shift = y < T.Zero ? 0 : y > T.CreateTruncating(bits - 1) ? bits - 1 : int.CreateTruncating(y);
                    // T's << on the bit pattern equals TF's shift of the unsigned reinterpretation; >> is arithmetic for
                    // signed T and logical for unsigned T, as in C++.
                    return op == Op.LeftShift ? x << shift : x >> shift;
                }
            }
        }
    }
}
