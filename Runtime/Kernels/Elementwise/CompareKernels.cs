using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Elementwise;

/// <summary>The comparison ops (bool output, broadcasting).</summary>
internal enum CompareOp { Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual }

/// <summary>
/// Equal, NotEqual, Less, LessEqual, Greater, GreaterEqual: broadcasting comparisons producing bool, over
/// every numeric dtype; Equal/NotEqual also compare bool and string tensors.
/// </summary>
internal sealed class CompareKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var op in Enum.GetValues<CompareOp>())
            registry.Add(op.ToString(), n => new CompareKernel(n, op));
    }
}

/// <summary>One comparison node.</summary>
internal sealed class CompareKernel : OpKernel
{
    private readonly CompareOp _op;

    public CompareKernel(Node node, CompareOp op) : base(node) => _op = op;

    public override void Compute(OpKernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        var shape = BinaryOutputShape(a, b);
        var output = context.AllocateOutput(0, DataType.DtBool, shape);
        if (output.NumElements == 0) return;
        bool ordered = _op is not (CompareOp.Equal or CompareOp.NotEqual);
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
            case DataType.DtBool when !ordered: RunBytes(a, b, output); break;
            case DataType.DtString when !ordered: RunStrings(a, b, output); break;
            case DataType.DtComplex64 or DataType.DtComplex128 when !ordered: ComplexElementwise.Compare(_op == CompareOp.Equal, a, b, output); break;
            default: throw KernelAttrs.BadType(Node, a.DType);
        }
    }

    // One static lambda per comparison (cached by the compiler per T): a lambda capturing the op would allocate
    // a closure on every call, and comparisons run once per iteration in while loops.
    private void Run<T>(Tensor a, Tensor b, Tensor output) where T : unmanaged, INumber<T>
    {
        RowFunc<T, bool> row = _op switch
        {
            CompareOp.Equal => static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] == y[yr ? i : 0]; },
            CompareOp.NotEqual => static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] != y[yr ? i : 0]; },
            CompareOp.Less => static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] < y[yr ? i : 0]; },
            CompareOp.LessEqual => static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] <= y[yr ? i : 0]; },
            CompareOp.Greater => static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] > y[yr ? i : 0]; },
            _ => static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] >= y[yr ? i : 0]; },
        };
        ElementwiseLoop.Binary(a, b, output, row);
    }

    private void RunBytes(Tensor a, Tensor b, Tensor output)
    {
        RowFunc<bool, bool> row = _op == CompareOp.Equal
            ? static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] == y[yr ? i : 0]; }
            : static (x, xr, y, yr, d) => { for (int i = 0; i < d.Length; i++) d[i] = x[xr ? i : 0] != y[yr ? i : 0]; };
        ElementwiseLoop.Binary(a, b, output, row);
    }

    private void RunStrings(Tensor a, Tensor b, Tensor output)
    {
        bool eq = _op == CompareOp.Equal;
        var plan = BroadcastPlan.Create(output.Shape, a.Shape, b.Shape);
        var d = output.AsSpan<bool>();
        Span<long> offs = stackalloc long[2];
        int len = plan.InnerLength;
        bool ar = plan.InnerContiguous(0), br = plan.InnerContiguous(1);
        for (long r = 0; r < plan.Rows; r++)
        {
            plan.RowOffsets(r, offs);
            for (int i = 0; i < len; i++)
            {
                var u = a.Strings[offs[0] + (ar ? i : 0)];
                var v = b.Strings[offs[1] + (br ? i : 0)];
                d[(int)(r * len) + i] = u.AsSpan().SequenceEqual(v) == eq;
            }
        }
    }
}
