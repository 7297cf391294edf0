using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TypedGraph.Kernels.Common;

namespace TypedGraph.Kernels.NN;

/// <summary>
/// What a direct conv kernel's register tile does to its accumulators before the one store (<see cref="DirectConv2D"/>,
/// <see cref="ThinConv2D"/>): nothing, + bias, + bias then Relu, + bias then Relu6. Other fused activations run over the
/// finished row (the kernel keeps the <see cref="Epilogue"/> for that, with mode <see cref="Bias"/>).
/// </summary>
internal static class TileEpilogue
{
    public const int None = 0, Bias = 1, Relu = 2, Relu6 = 3;

    /// <summary>The tile mode for a fused epilogue (null: <see cref="None"/>).</summary>
    public static int ModeOf(Epilogue? epilogue) => epilogue == null ? None : epilogue.Activation switch
    {
        FusedActivation.Relu => Relu,
        FusedActivation.Relu6 => Relu6,
        _ => Bias,
    };

    /// <summary>The epilogue that still runs over the finished row: an activation the tile does not apply itself.</summary>
    public static Epilogue? RowActivation(Epilogue? epilogue, int mode)
        => mode == Bias && epilogue!.Activation != FusedActivation.None ? epilogue : null;

    /// <summary>
    /// <paramref name="acc"/> plus the 16 bias values at <paramref name="bias"/>, then max(0, ·) and min(6, ·) with the
    /// accumulator as the second operand, so a NaN passes through as with the unfused Relu/Relu6.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe Vector512<float> Apply(Vector512<float> acc, float* bias, int mode)
    {
        if (mode == None) return acc;
        acc += Vector512.Load(bias);
        if (mode >= Relu)
        {
            acc = Avx512F.Max(Vector512<float>.Zero, acc);
            if (mode == Relu6) acc = Avx512F.Min(Vector512.Create(6f), acc);
        }
        return acc;
    }
}
