using TypedGraph.Protos;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Review;

/// <summary>
/// Elu and Selu compute <c>exp(x) - 1</c> on the negative side, exactly as TF's functors in core/kernels/relu_op_functor.h
/// (<c>features.exp() - features.constant(1)</c>) and the fused output kernel in fused_eigen_output_kernels.h, not the more
/// accurate expm1: near 0 the result is what exp(x) − 1 rounds to. Expected values are that formula evaluated here.
/// </summary>
public class EluExpMinusOneTests
{
    private const double SeluScale = 1.0507009873554804934193349852946;
    private const double SeluScaleAlpha = 1.7580993408473768599402175208123;
    private static readonly float[] Inputs = [-1e-10f, -1e-7f, -3e-4f, -0.5f, -20f, 0f, 1e-10f, 2f];

    [Fact]
    public void FloatEluOfTinyNegativeIsZeroAsTfComputesIt()
    {
        // exp(-1e-10f) rounds to 1f, so TF's exp(x) - 1 is 0 (expm1 would give -1e-10).
        Assert.Equal(1f, MathF.Exp(-1e-10f));
        Assert.Equal([0f], Run1("Elu", [Tensor.Create(new[] { -1e-10f }, 1)], T(DataType.DtFloat)).ToArray<float>());
    }

    [Fact]
    public void FloatEluAndSeluAreExpMinusOne()
    {
        var x = Tensor.Create(Inputs, Inputs.Length);
        var elu = Inputs.Select(v => v < 0 ? MathF.Exp(v) - 1f : v).ToArray();
        var selu = Inputs.Select(v => v < 0 ? (float)SeluScaleAlpha * (MathF.Exp(v) - 1f) : (float)SeluScale * v).ToArray();
        Assert.Equal(elu, Run1("Elu", [x], T(DataType.DtFloat)).ToArray<float>());
        Assert.Equal(selu, Run1("Selu", [x], T(DataType.DtFloat)).ToArray<float>());
    }

    [Fact]
    public void DoubleEluAndSeluAreExpMinusOne()
    {
        var xs = Inputs.Select(v => (double)v).ToArray();
        var x = Tensor.Create(xs, xs.Length);
        var elu = xs.Select(v => v < 0 ? Math.Exp(v) - 1 : v).ToArray();
        var selu = xs.Select(v => v < 0 ? SeluScaleAlpha * (Math.Exp(v) - 1) : SeluScale * v).ToArray();
        // In double, exp(-1e-10) - 1 keeps only ~7 digits of -1e-10 (cancellation), and that is what TF returns.
        Assert.NotEqual(xs[0], elu[0]);
        Assert.Equal(elu, Run1("Elu", [x], T(DataType.DtDouble)).ToArray<double>());
        Assert.Equal(selu, Run1("Selu", [x], T(DataType.DtDouble)).ToArray<double>());
    }

    [Fact]
    public void FusedMatMulEluEqualsExpMinusOneOfTheBiasedProduct()
    {
        // 1×1 · 1×n with bias: each output is act(x·w + b), here with tiny and ordinary negatives.
        float[] w = [-1e-10f, -0.25f, -3f, 0.5f];
        float[] b = [0f, -0.125f, 1f, 0f];
        var r = Compute1("_FusedMatMul", [Tensor.Create(new[] { 1f }, 1, 1), Tensor.Create(w, 1, 4), Tensor.Create(b, 4)], def =>
        {
            def.Attr["num_args"] = new AttrValue { I = 1 };
            def.Attr["fused_ops"] = new AttrValue { List = new AttrValue.Types.ListValue { S = { Google.Protobuf.ByteString.CopyFromUtf8("BiasAdd"), Google.Protobuf.ByteString.CopyFromUtf8("Elu") } } };
        });
        var expected = w.Select((v, i) => { float z = 1f * v + b[i]; return z < 0 ? MathF.Exp(z) - 1f : z; }).ToArray();
        Assert.Equal(0f, expected[0]);
        Assert.Equal(expected, r.ToArray<float>());
    }
}
