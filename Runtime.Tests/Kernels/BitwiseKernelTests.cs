using System.Numerics;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// BitwiseAnd/Or/Xor, LeftShift/RightShift, Invert, PopulationCount (TF's cwise bitwise ops and population_count_op.cc)
/// against C# integer arithmetic on every integer type TF registers, including TF's shift clamp to [0, bits − 1]
/// (cwise_ops.h left_shift_op / right_shift_op) and broadcasting.
/// </summary>
public sealed class BitwiseKernelTests
{
    [Fact]
    public void And_or_xor_broadcast_and_match_integer_arithmetic()
    {
        var x = Tensor.Create(new[] { 0b1100, -1, 7, 1 << 30, -8, 5 }, 2, 3);
        var y = Tensor.Create(new[] { 0b1010, 3, -4 }, 3);
        int[] xs = x.ToArray<int>(), ys = y.ToArray<int>();
        Assert.Equal(xs.Select((v, i) => v & ys[i % 3]), OpHarness.Run1("BitwiseAnd", [x, y]).ToArray<int>());
        Assert.Equal(xs.Select((v, i) => v | ys[i % 3]), OpHarness.Run1("BitwiseOr", [x, y]).ToArray<int>());
        Assert.Equal(xs.Select((v, i) => v ^ ys[i % 3]), OpHarness.Run1("BitwiseXor", [x, y]).ToArray<int>());
        Assert.Contains("Incompatible shapes",
            Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("BitwiseAnd", [x, Tensor.Create(new[] { 1, 2 }, 2)])).Message);
    }

    [Fact]
    public void Shifts_clamp_the_amount_to_the_bit_width_as_TF()
    {
        // int8: a shift of 9 acts as 7, a negative shift as 0; the left shift is on the unsigned pattern.
        var x = Tensor.Create(new sbyte[] { 3, 3, -128, -100, 1, 64 }, 6);
        var s = Tensor.Create(new sbyte[] { 1, -2, 9, 3, 7, 2 }, 6);
        Assert.Equal(new sbyte[] { 6, 3, 0, -32, -128, 0 }, OpHarness.Run1("LeftShift", [x, s]).ToArray<sbyte>());
        Assert.Equal(new sbyte[] { 1, 3, -1, -13, 0, 16 }, OpHarness.Run1("RightShift", [x, s]).ToArray<sbyte>());
        // uint32: logical right shift, a shift of 40 acts as 31.
        var u = Tensor.Create(new uint[] { 0x80000000u, 0xFFFFFFFFu, 5 }, 3);
        var us = Tensor.Create(new uint[] { 40, 4, 0 }, 3);
        Assert.Equal(new uint[] { 1, 0x0FFFFFFFu, 5 }, OpHarness.Run1("RightShift", [u, us]).ToArray<uint>());
        Assert.Equal(new uint[] { 0, 0xFFFFFFF0u, 5 }, OpHarness.Run1("LeftShift", [u, us]).ToArray<uint>());
        // int64 arithmetic right shift of a negative value by 63 (clamped from 100).
        Assert.Equal(new long[] { -1, 1L << 62 }, OpHarness.Run1("RightShift", [Tensor.Create(new[] { -5L, 1L << 62 }, 2), Tensor.Create(new[] { 100L, 0L }, 2)]).ToArray<long>());
    }

    [Fact]
    public void Invert_and_PopulationCount_cover_every_integer_type()
    {
        Check<sbyte>(DataType.DtInt8, [0, -1, 127, -128]);
        Check<short>(DataType.DtInt16, [0, -1, 12345, short.MinValue]);
        Check<int>(DataType.DtInt32, [0, -1, 123456789, int.MinValue]);
        Check<long>(DataType.DtInt64, [0, -1, 1234567890123, long.MinValue]);
        Check<byte>(DataType.DtUint8, [0, 255, 170, 1]);
        Check<ushort>(DataType.DtUint16, [0, 65535, 43690, 1]);
        Check<uint>(DataType.DtUint32, [0, uint.MaxValue, 0xAAAAAAAAu, 1]);
        Check<ulong>(DataType.DtUint64, [0, ulong.MaxValue, 0xAAAAAAAAAAAAAAAAul, 1]);

        static void Check<T>(DataType dtype, T[] values) where T : unmanaged, IBinaryInteger<T>
        {
            var x = Tensor.Create(values, values.Length);
            Assert.Equal(dtype, x.DType);
            Assert.Equal(values.Select(v => ~v), OpHarness.Run1("Invert", [x]).ToArray<T>());
            var pop = OpHarness.Run1("PopulationCount", [x]);
            Assert.Equal(DataType.DtUint8, pop.DType);
            Assert.Equal(values.Select(v => (byte)BitOperations.PopCount(ulong.CreateTruncating(v) & (ulong.MaxValue >> (64 - 8 * System.Runtime.CompilerServices.Unsafe.SizeOf<T>())))), pop.ToArray<byte>());
        }
    }

    [Fact]
    public void Float_inputs_are_refused_with_the_types_TF_registers()
    {
        var e = Assert.Throws<GraphExecutionException>(() => OpHarness.Run1("Invert", [Tensor.Create(new[] { 1f }, 1)]));
        Assert.Contains("int8/16/32/64 and uint8/16/32/64", e.Message);
    }
}
