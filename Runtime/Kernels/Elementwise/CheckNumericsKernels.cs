using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// <c>CheckNumerics</c> / <c>CheckNumericsV2</c>: pass the tensor through, or fail with the op's <c>message</c> attr
/// (which by TF convention names the tensor) followed by TF's wording from <c>check_numerics_op.cc</c>:
/// " : Tensor had NaN values" / "Inf values" / "Inf and NaN values"; V2 tells −Inf from +Inf. float, double, half.
/// </summary>
internal sealed class CheckNumericsKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("CheckNumerics", n => { var message = n.GetString("message", ""); return new Exec.DelegateKernel(n, ctx => Check(ctx, message, v2: false)); });
        registry.Add("CheckNumericsV2", n => { var message = n.GetString("message", ""); return new Exec.DelegateKernel(n, ctx => Check(ctx, message, v2: true)); });
    }

    private static void Check(OpKernelContext ctx, string message, bool v2)
    {
        var x = ctx.Input(0);
        bool nan = false, posInf = false, negInf = false;
        void See(double v)
        {
            if (double.IsNaN(v)) nan = true;
            else if (double.IsPositiveInfinity(v)) posInf = true;
            else if (double.IsNegativeInfinity(v)) negInf = true;
        }
        switch (x.DType)
        {
            case DataType.DtFloat: foreach (var v in x.AsSpan<float>()) See(v); break;
            case DataType.DtDouble: foreach (var v in x.AsSpan<double>()) See(v); break;
            case DataType.DtHalf: foreach (var v in x.AsSpan<Half>()) See((double)v); break;
            default: throw KernelAttrs.BadType(ctx.Node, x.DType);
        }
        string status;
        if (!v2)
            status = (posInf || negInf) && nan ? "Inf and NaN" : posInf || negInf ? "Inf" : nan ? "NaN" : "";
        else
        {
            var parts = new List<string>();
            if (negInf) parts.Add("-Inf");
            if (posInf) parts.Add("+Inf");
            if (nan) parts.Add("NaN");
            status = parts.Count switch { 0 => "", 1 => parts[0], 2 => $"{parts[0]} and {parts[1]}", _ => $"{parts[0]}, {parts[1]}, and {parts[2]}" };
        }
        if (status.Length > 0) throw ctx.Error($"{message} : Tensor had {status} values");
        ctx.SetOutput(0, x);
    }
}
