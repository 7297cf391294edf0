using System.Numerics;
using System.Numerics.Tensors;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Reduction;

/// <summary>The reductions.</summary>
internal enum ReduceOp { Sum, Mean, Max, Min, Prod, All, Any }

/// <summary>
/// Sum, Mean, Max, Min, Prod (numeric) and All, Any (bool) over the axes given by input 1, with
/// keep_dims. Reducing nothing copies; reducing an empty range gives the identity (0, 1, lowest/highest
/// value, true/false; Mean of floats gives NaN as 0/0).
/// </summary>
internal sealed class ReductionKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var op in Enum.GetValues<ReduceOp>())
            registry.Add(op.ToString(), n => new ReductionKernel(n, op));
    }
}

/// <summary>One reduction node.</summary>
internal sealed class ReductionKernel : OpKernel
{
    private readonly ReduceOp _op;
    private readonly bool _keepDims;

    public ReductionKernel(Node node, ReduceOp op) : base(node)
    {
        _op = op;
        _keepDims = node.GetBool("keep_dims", node.GetBool("keepdims", false));
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        ReductionPlan plan;
        try { plan = ReductionPlan.Create(x.Shape, context.Input(1), _keepDims); }
        catch (ArgumentException e) { throw Error(e.Message); }
        bool logical = _op is ReduceOp.All or ReduceOp.Any;
        if (logical != (x.DType == DataType.DtBool)) throw KernelAttrs.BadType(Node, x.DType);
        if (!logical && x.NumElements > 0 && plan.Output.NumElements == x.NumElements && DataTypes.IsNumeric(x.DType))
        {
            // Nothing is reduced (no axes, or only axes of size 1 — a gradient's Sum over BroadcastGradientArgs of equal
            // shapes): the input itself, as TF's ReductionOp does ("Reduces nothing": out.CopyFrom(data, out_shape)
            // shares the buffer), with no copy and no arithmetic (so −0 stays −0).
            context.SetOutput(0, plan.Output == x.Shape ? x : x.Reshape(plan.Output));
            return;
        }
        var y = context.AllocateOutput(0, x.DType, plan.Output);
        if (logical && plan.ReduceCount == 0)
        {
            // All of nothing is true, Any of nothing is false (canonical 0/1 bytes, not the byte identities).
            y.AsSpan<byte>().Fill(_op == ReduceOp.All ? (byte)1 : (byte)0);
            return;
        }
        switch (x.DType)
        {
            // All = min and Any = max over 0/1 bytes.
            case DataType.DtBool: Run<byte>(plan, _op == ReduceOp.All ? ReduceOp.Min : ReduceOp.Max, x.AsSpan<byte>(), y.AsSpan<byte>()); break;
            case DataType.DtFloat: Run<float>(plan, _op, x.AsSpan<float>(), y.AsSpan<float>()); break;
            case DataType.DtDouble: Run<double>(plan, _op, x.AsSpan<double>(), y.AsSpan<double>()); break;
            case DataType.DtInt32: Run<int>(plan, _op, x.AsSpan<int>(), y.AsSpan<int>()); break;
            case DataType.DtInt64: Run<long>(plan, _op, x.AsSpan<long>(), y.AsSpan<long>()); break;
            case DataType.DtUint8: Run<byte>(plan, _op, x.AsSpan<byte>(), y.AsSpan<byte>()); break;
            case DataType.DtInt16: Run<short>(plan, _op, x.AsSpan<short>(), y.AsSpan<short>()); break;
            case DataType.DtInt8: Run<sbyte>(plan, _op, x.AsSpan<sbyte>(), y.AsSpan<sbyte>()); break;
            case DataType.DtComplex64 or DataType.DtComplex128 when ComplexReduction.Supports(Node.Op): ComplexReduction.Run(Node.Op, x, y, plan.Groups, plan.GroupReduced, plan.ReduceCount); break;
            default: throw KernelAttrs.BadType(Node, x.DType);
        }
    }

    internal static void Run<T>(ReductionPlan plan, ReduceOp op, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        if (y.IsEmpty) return;
        if (plan.ReduceCount == 0)
        {
            y.Fill(Identity<T>(op));
            if (op == ReduceOp.Mean) y.Fill(MeanOfNothing<T>());
            return;
        }
        if (plan.TryThreeGroups(out long outer, out long reduce, out long inner))
        {
            if (reduce == 1) x[..y.Length].CopyTo(y);
            else if (inner == 1)
                for (long o = 0; o < outer; o++) y[(int)o] = ReduceRow(op, x.Slice((int)(o * reduce), (int)reduce));
            else
                for (long o = 0; o < outer; o++)
                {
                    var acc = y.Slice((int)(o * inner), (int)inner);
                    x.Slice((int)(o * reduce * inner), (int)inner).CopyTo(acc);
                    for (long r = 1; r < reduce; r++) Combine(op, acc, x.Slice((int)((o * reduce + r) * inner), (int)inner));
                }
        }
        else General(plan, op, x, y);
        if (op == ReduceOp.Mean) TensorPrimitives.Divide(y, T.CreateTruncating(plan.ReduceCount), y);
    }

    // Any layout: walk the input once, mapping each element to its output slot through the kept groups.
    private static void General<T>(ReductionPlan plan, ReduceOp op, ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        y.Fill(Identity<T>(op));
        var g = plan.Groups;
        var outStride = new long[g.Length];
        long s = 1;
        for (int i = g.Length - 1; i >= 0; i--)
        {
            outStride[i] = plan.GroupReduced[i] ? 0 : s;
            if (!plan.GroupReduced[i]) s *= g[i];
        }
        int last = g.Length - 1;
        var idx = new int[g.Length];
        long yo = 0;
        int innerLen = g[last];
        for (long xi = 0; xi < x.Length; xi += innerLen)
        {
            var seg = x.Slice((int)xi, innerLen);
            if (plan.GroupReduced[last]) y[(int)yo] = Fold(op, y[(int)yo], ReduceRow(op, seg));
            else Combine(op, y.Slice((int)yo, innerLen), seg);
            for (int d = last - 1; d >= 0; d--)
            {
                yo += outStride[d];
                if (++idx[d] < g[d]) break;
                yo -= outStride[d] * g[d];
                idx[d] = 0;
            }
        }
    }

    private static T ReduceRow<T>(ReduceOp op, ReadOnlySpan<T> row) where T : unmanaged, INumber<T>, IMinMaxValue<T> => op switch
    {
        ReduceOp.Sum or ReduceOp.Mean => Simd.OrderedReductions.Sum<T>(row),
        ReduceOp.Prod => Simd.OrderedReductions.Product<T>(row),
        ReduceOp.Max => TensorPrimitives.Max(row),
        _ => TensorPrimitives.Min(row),
    };

    private static void Combine<T>(ReduceOp op, Span<T> acc, ReadOnlySpan<T> row) where T : unmanaged, INumber<T>, IMinMaxValue<T>
    {
        switch (op)
        {
            case ReduceOp.Sum or ReduceOp.Mean: TensorPrimitives.Add(acc, row, acc); break;
            case ReduceOp.Prod: TensorPrimitives.Multiply(acc, row, acc); break;
            case ReduceOp.Max: TensorPrimitives.Max(acc, row, acc); break;
            default: TensorPrimitives.Min(acc, row, acc); break;
        }
    }

    private static T Fold<T>(ReduceOp op, T a, T b) where T : unmanaged, INumber<T>, IMinMaxValue<T> => op switch
    {
        ReduceOp.Sum or ReduceOp.Mean => a + b,
        ReduceOp.Prod => a * b,
        ReduceOp.Max => T.IsNaN(a) || T.IsNaN(b) ? a + b : T.Max(a, b),
        _ => T.IsNaN(a) || T.IsNaN(b) ? a + b : T.Min(a, b),
    };

    private static T Identity<T>(ReduceOp op) where T : unmanaged, INumber<T>, IMinMaxValue<T> => op switch
    {
        ReduceOp.Sum or ReduceOp.Mean => T.Zero,
        ReduceOp.Prod => T.One,
        ReduceOp.Max => typeof(T) == typeof(float) ? (T)(object)float.NegativeInfinity : typeof(T) == typeof(double) ? (T)(object)double.NegativeInfinity : T.MinValue,
        _ => typeof(T) == typeof(float) ? (T)(object)float.PositiveInfinity : typeof(T) == typeof(double) ? (T)(object)double.PositiveInfinity : T.MaxValue,
    };

    // 0/0: NaN for floating types; integers have no NaN, so 0.
    private static T MeanOfNothing<T>() where T : unmanaged, INumber<T>
        => typeof(T) == typeof(float) ? (T)(object)float.NaN : typeof(T) == typeof(double) ? (T)(object)double.NaN : T.Zero;
}
