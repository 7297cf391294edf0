using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// TF's special-function cwise ops (<c>cwise_op_lgamma.cc</c>, <c>cwise_op_digamma.cc</c>, <c>cwise_op_igammas.cc</c>,
/// <c>cwise_op_zeta.cc</c>, <c>cwise_op_polygamma.cc</c>, <c>cwise_op_random_grad.cc</c>, <c>betainc_op.cc</c>): unary
/// Lgamma and Digamma, binary Igamma(a, x), Igammac(a, x), IgammaGradA(a, x), RandomGammaGrad(α, sample), Zeta(x, q)
/// and Polygamma(n, x) with the usual broadcasting, and ternary Betainc(a, b, x)
/// whose non-scalar inputs must share one shape (TF's <c>BetaincOp</c> rule and messages). Values from
/// <see cref="GammaFamilyFunctions"/> in double; float and double (Lgamma/Digamma also half, computed the same way).
/// </summary>
internal sealed class SpecialMathKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Lgamma", n => Unary(n, GammaFamilyFunctions.Lgamma));
        registry.Add("Digamma", n => Unary(n, GammaFamilyFunctions.Digamma));
        registry.Add("Igamma", n => Binary(n, GammaFamilyFunctions.Igamma));
        registry.Add("Igammac", n => Binary(n, GammaFamilyFunctions.Igammac));
        registry.Add("IgammaGradA", n => Binary(n, IgammaDerivatives.IgammaDerA));
        registry.Add("RandomGammaGrad", n => Binary(n, IgammaDerivatives.GammaSampleDerAlpha));
        registry.Add("Zeta", n => Binary(n, GammaFamilyFunctions.Zeta));
        registry.Add("Polygamma", n => Binary(n, GammaFamilyFunctions.Polygamma));
        registry.Add("Betainc", n => new DelegateKernel(n, ctx =>
        {
            Tensor a = ctx.Input(0), b = ctx.Input(1), x = ctx.Input(2);
            if (a.Shape.Rank > 0 && b.Shape.Rank > 0 && a.Shape != b.Shape) throw ctx.Error($"Shapes of a and b are inconsistent: {a.Shape} vs. {b.Shape}");
            if (a.Shape.Rank > 0 && x.Shape.Rank > 0 && a.Shape != x.Shape) throw ctx.Error($"Shapes of a and x are inconsistent: {a.Shape} vs. {x.Shape}");
            if (b.Shape.Rank > 0 && x.Shape.Rank > 0 && b.Shape != x.Shape) throw ctx.Error($"Shapes of b and x are inconsistent: {b.Shape} vs. {x.Shape}");
            if (b.DType != a.DType || x.DType != a.DType) throw ctx.Error("a, b and x must have one dtype");
            var shape = x.Shape.Rank > 0 ? x.Shape : b.Shape.Rank > 0 ? b.Shape : a.Shape;
            var av = Read(ctx, a);
            var bv = Read(ctx, b);
            var xv = Read(ctx, x);
            var y = new double[shape.NumElements];
            for (int i = 0; i < y.Length; i++)
                y[i] = GammaFamilyFunctions.Betainc(av[av.Length == 1 ? 0 : i], bv[bv.Length == 1 ? 0 : i], xv[xv.Length == 1 ? 0 : i]);
            Write(y, ctx.AllocateOutput(0, a.DType, shape));
        }));
    }

    private static OpKernel Unary(Node node, Func<double, double> f) => new DelegateKernel(node, ctx =>
    {
        var x = ctx.Input(0);
        var v = Read(ctx, x);
        for (int i = 0; i < v.Length; i++) v[i] = f(v[i]);
        Write(v, ctx.AllocateOutput(0, x.DType, x.Shape));
    });

    private static OpKernel Binary(Node node, Func<double, double, double> f) => new DelegateKernel(node, ctx =>
    {
        Tensor a = ctx.Input(0), b = ctx.Input(1);
        if (a.DType != b.DType) throw ctx.Error($"both inputs must have one dtype, got {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}.");
        if (!Broadcast.TryShape(a.Shape, b.Shape, out var shape)) throw ctx.Error($"Incompatible shapes: {a.Shape} vs. {b.Shape}");
        var av = Read(ctx, a);
        var bv = Read(ctx, b);
        var y = new double[shape.NumElements];
        Broadcast.Zip<double>(av, a.Shape, bv, b.Shape, y, shape, f);
        Write(y, ctx.AllocateOutput(0, a.DType, shape));
    });

    private static double[] Read(OpKernelContext ctx, Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtDouble: return t.ToArray<double>();
            case DataType.DtFloat: { var s = t.AsSpan<float>(); var r = new double[s.Length]; for (int i = 0; i < r.Length; i++) r[i] = s[i]; return r; }
            case DataType.DtHalf: { var s = t.AsSpan<Half>(); var r = new double[s.Length]; for (int i = 0; i < r.Length; i++) r[i] = (double)s[i]; return r; }
            default: throw ctx.Error($"dtype {DataTypes.Name(t.DType)} is not supported (float or double).");
        }
    }

    private static void Write(double[] v, Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtDouble: v.CopyTo(t.AsSpan<double>()); break;
            case DataType.DtFloat: { var s = t.AsSpan<float>(); for (int i = 0; i < v.Length; i++) s[i] = (float)v[i]; break; }
            default: { var s = t.AsSpan<Half>(); for (int i = 0; i < v.Length; i++) s[i] = (Half)v[i]; break; }
        }
    }
}
