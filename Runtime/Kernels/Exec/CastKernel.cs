using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Cast between every pair of numeric/bool dtypes (floats → ints truncate toward zero; x → bool is x ≠ 0).</summary>
internal sealed class CastKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Cast", node =>
        {
            var dst = node.GetType("DstT");
            return new DelegateKernel(node, ctx =>
            {
                var x = ctx.Input(0);
                if (x.DType == dst)
                {
                    ctx.SetOutput(0, x);
                    return;
                }
                if (!DataTypes.IsNumeric(x.DType) || !DataTypes.IsNumeric(dst))
                    throw ctx.Error($"cannot cast {DataTypes.Name(x.DType)} to {DataTypes.Name(dst)}.");
                var o = ctx.AllocateOutput(0, dst, x.Shape);
                // Complex as cast_op.h's scalar_cast_op specializations: complex → real keeps the real part (through
                // double, then the real cast), real → complex has imaginary part 0, complex ↔ complex converts both parts.
                bool fromComplex = ComplexData.IsComplex(x.DType), toComplex = ComplexData.IsComplex(dst);
                if (fromComplex && toComplex) ComplexCast.ComplexToComplex(x, o);
                else if (fromComplex) Convert(ComplexCast.RealParts(x), o);
                else if (toComplex)
                {
                    var doubles = new Tensor(DataType.DtDouble, x.Shape, new byte[x.NumElements * 8]);
                    Convert(x, doubles);
                    ComplexCast.FromReal(doubles, o);
                }
                else Convert(x, o);
            });
        });
    }

    /// <summary>Converts element by element; float32↔int32/int64 and bool↔float32 have direct loops.</summary>
    internal static void Convert(Tensor x, Tensor o)
    {
        int n = checked((int)x.NumElements);
        switch (x.DType, o.DType)
        {
            case (DataType.DtInt32, DataType.DtFloat):
            {
                var s = x.AsSpan<int>(); var d = o.AsSpan<float>();
                for (int i = 0; i < n; i++) d[i] = s[i];
                return;
            }
            case (DataType.DtFloat, DataType.DtInt32):
            {
                var s = x.AsSpan<float>(); var d = o.AsSpan<int>();
                for (int i = 0; i < n; i++) d[i] = (int)s[i];
                return;
            }
            case (DataType.DtBool, DataType.DtFloat):
            {
                var s = x.AsSpan<bool>(); var d = o.AsSpan<float>();
                for (int i = 0; i < n; i++) d[i] = s[i] ? 1f : 0f;
                return;
            }
            case (DataType.DtInt64, DataType.DtFloat):
            {
                var s = x.AsSpan<long>(); var d = o.AsSpan<float>();
                for (int i = 0; i < n; i++) d[i] = s[i];
                return;
            }
        }
        if (ScalarValues.IsIntegral(x.DType) && ScalarValues.IsIntegral(o.DType) && x.DType != DataType.DtUint64)
            for (int i = 0; i < n; i++) ScalarValues.SetLong(o, i, ScalarValues.GetLong(x, i));
        else
            for (int i = 0; i < n; i++) ScalarValues.SetDouble(o, i, ScalarValues.GetDouble(x, i));
    }
}
