using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>
/// Broadcasting arithmetic: Add, AddV2, Sub, Mul, RealDiv, Div, TruncateDiv, FloorDiv, FloorMod, Maximum,
/// Minimum, Pow, SquaredDifference, Mod/TruncateMod, DivNoNan, MulNoNan, Atan2, Xdivy, Xlogy. Integer Div/TruncateDiv truncate toward zero (TF's <c>safe_div</c>),
/// FloorDiv/FloorMod round toward −∞, and integer division by zero is an error, as in TF.
/// </summary>
internal sealed class BinaryKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        void Add(string op, BinaryOp kind) => registry.Add(op, n => new BinaryKernel(n, kind));
        Add("Add", BinaryOp.Add);
        Add("AddV2", BinaryOp.Add);
        Add("Sub", BinaryOp.Sub);
        Add("Mul", BinaryOp.Mul);
        Add("RealDiv", BinaryOp.RealDiv);
        Add("Div", BinaryOp.TruncDiv);
        Add("TruncateDiv", BinaryOp.TruncDiv);
        Add("FloorDiv", BinaryOp.FloorDiv);
        Add("FloorMod", BinaryOp.FloorMod);
        Add("Maximum", BinaryOp.Maximum);
        Add("Minimum", BinaryOp.Minimum);
        Add("Pow", BinaryOp.Pow);
        Add("SquaredDifference", BinaryOp.SquaredDifference);
        Add("Mod", BinaryOp.TruncMod);
        Add("TruncateMod", BinaryOp.TruncMod);
        Add("DivNoNan", BinaryOp.DivNoNan);
        Add("MulNoNan", BinaryOp.MulNoNan);
        Add("Atan2", BinaryOp.Atan2);
        Add("Xdivy", BinaryOp.Xdivy);
        Add("Xlogy", BinaryOp.Xlogy);
    }
}

/// <summary>One broadcasting binary arithmetic node.</summary>
internal sealed class BinaryKernel : OpKernel
{
    private readonly BinaryOp _op;
    // The last broadcast plan with the shapes it was made for, swapped as one reference so concurrent
    // runs of the same kernel never pair a plan with the wrong shapes.
    private CachedPlan? _cached;

    private sealed record CachedPlan(TensorShape A, TensorShape B, BroadcastPlan Plan);

    public BinaryKernel(Node node, BinaryOp op) : base(node) => _op = op;

    public override void Compute(OpKernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var shape = BinaryOutputShape(a, b);
        var output = context.AllocateOutput(0, a.DType, shape);
        try
        {
            switch (a.DType)
            {
                case DataType.DtFloat: Run<float>(a, b, output); break;
                case DataType.DtDouble: Run<double>(a, b, output); break;
                case DataType.DtInt32: Run<int>(a, b, output); break;
                case DataType.DtInt64: Run<long>(a, b, output); break;
                case DataType.DtUint8: Run<byte>(a, b, output); break;
                case DataType.DtInt8: Run<sbyte>(a, b, output); break;
                case DataType.DtInt16: Run<short>(a, b, output); break;
                case DataType.DtUint16: Run<ushort>(a, b, output); break;
                case DataType.DtComplex64 or DataType.DtComplex128 when ComplexElementwise.SupportsBinary(Node.Op): ComplexElementwise.Binary(Node.Op, a, b, output); break;
                default: throw KernelAttrs.BadType(Node, a.DType);
            }
        }
        catch (DivideByZeroException) { throw Error("Integer division by zero."); }
        catch (AggregateException e) when (e.InnerException is DivideByZeroException) { throw Error("Integer division by zero."); }
        catch (ArithmeticException e) when (e is not OverflowException) { throw Error(e.Message); }
    }

    private void Run<T>(Tensor a, Tensor b, Tensor output) where T : unmanaged, INumber<T>
    {
        long n = output.NumElements;
        if (n == 0) return;
        var op = _op;
        // Fast paths: same shape, or one side a single value.
        if (a.NumElements == n && b.NumElements == n || a.NumElements == 1 || b.NumElements == 1)
        {
            bool aRow = a.NumElements == n && n > 1, bRow = b.NumElements == n && n > 1;
            if (n == 1) aRow = bRow = true;
            // Static lambdas with the data as state: no closure allocated per run.
            Workers.For(n, 1 << 16, (op, a, aRow, b, bRow, output), static (st, s, e) =>
            {
                var (op, a, aRow, b, bRow, output) = st;
                var sa = a.AsSpan<T>();
                var sb = b.AsSpan<T>();
                BinaryMath.Row(op, aRow ? sa[(int)s..(int)e] : sa, aRow, bRow ? sb[(int)s..(int)e] : sb, bRow, output.AsSpan<T>()[(int)s..(int)e]);
            });
            return;
        }
        var plan = Plan(a.Shape, b.Shape, output.Shape);
        int len = plan.InnerLength;
        bool ar = plan.InnerContiguous(0), br = plan.InnerContiguous(1);
        Workers.For(plan.Rows, Math.Max(1, (1 << 16) / len), (op, a, ar, b, br, output, plan, len), static (st, s, e) =>
        {
            var (op, a, ar, b, br, output, plan, len) = st;
            Span<long> offs = stackalloc long[2];
            var sa = a.AsSpan<T>();
            var sb = b.AsSpan<T>();
            var d = output.AsSpan<T>();
            for (long r = s; r < e; r++)
            {
                plan.RowOffsets(r, offs);
                BinaryMath.Row(op, sa.Slice((int)offs[0], ar ? len : 1), ar, sb.Slice((int)offs[1], br ? len : 1), br, d.Slice((int)(r * len), len));
            }
        });
    }

    private BroadcastPlan Plan(TensorShape a, TensorShape b, TensorShape output)
    {
        // Shapes rarely change between runs, so the last plan is usually the right one.
        var cached = _cached;
        if (cached != null && cached.A == a && cached.B == b) return cached.Plan;
        var plan = BroadcastPlan.Create(output, a, b);
        _cached = new CachedPlan(a, b, plan);
        return plan;
    }
}
