using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// math_grad.py's <c>_SparseMatMulGrad</c>: the four transpose cases of <c>_MatMulGrad</c>, each product built by its
/// <c>_SparseMatMul</c> helper — a transposed second operand becomes an explicit <c>Transpose</c> first, the product is
/// <c>math_ops.matmul</c> with the operands' sparsity hints (the op's <c>a_is_sparse</c>/<c>b_is_sparse</c>, and for the
/// incoming gradient TF's heuristic "made by ReluGrad"), and it is cast back to the operand's dtype when that differs
/// (bfloat16 operands: SparseMatMul's output is float).
/// </summary>
internal static class SparseMatMulGradient
{
    public static void Register()
        => GradientRegistry.Register("SparseMatMul", (c, op, g) =>
        {
            var b = c.Builder;
            var x = c.In(op, 0);
            var w = c.In(op, 1);
            var grad = g[0]!.Value;
            var sparse = new Dictionary<Output, bool>
            {
                [x] = op.GetBool("a_is_sparse", false),
                [w] = op.GetBool("b_is_sparse", false),
            };
            sparse[grad] = b.GetOperation(grad.NodeName).Op == "ReluGrad";
            bool ta = op.GetBool("transpose_a", false), tb = op.GetBool("transpose_b", false);
            Output Product(Output t1, Output t2, DataType outType, bool transA = false, bool transB = false)
            {
                bool s1 = sparse[t1], s2 = sparse[t2];
                if (transB) t2 = b.Transpose(t2, [1, 0]);
                var prod = MatMul(b, t1, t2, transA, s1, s2);
                return prod.BaseType != DataTypes.BaseType(outType) ? b.Cast(prod, outType) : prod;
            }
            return (ta, tb) switch
            {
                (false, false) => [Product(grad, w, x.DType, transB: true), Product(x, grad, w.DType, transA: true)],
                (false, true) => [Product(grad, w, x.DType), Product(grad, x, w.DType, transA: true)],
                (true, false) => [Product(w, grad, x.DType, transB: true), Product(x, grad, w.DType)],
                (true, true) => [Product(w, grad, x.DType, transA: true, transB: true), Product(grad, x, w.DType, transA: true, transB: true)],
            };
        });

    /// <summary>
    /// math_ops.matmul's choice for 2-D operands (transpose_b already applied): SparseMatMul when a sparsity hint is set
    /// and both dtypes are float or bfloat16, or when exactly one operand is bfloat16 (mixed precision), cast back to
    /// bfloat16 when both were; MatMul otherwise.
    /// </summary>
    private static Output MatMul(GraphBuilder b, Output a, Output w, bool transA, bool aSparse, bool wSparse)
    {
        static bool SparseType(DataType t) => t is DataType.DtFloat or DataType.DtBfloat16;
        DataType ta = a.BaseType, tw = w.BaseType;
        bool useSparse = (aSparse || wSparse) && SparseType(ta) && SparseType(tw);
        if (ta != tw && ((ta == DataType.DtBfloat16 && tw is not (DataType.DtInt8 or DataType.DtUint8))
                         || (tw == DataType.DtBfloat16 && ta is not (DataType.DtInt8 or DataType.DtUint8))))
            useSparse = true;
        if (!useSparse) return b.MatMul(a, w, transposeA: transA);
        var attrs = new Dictionary<string, AttrValue>
        {
            ["transpose_a"] = Attrs.Bool(transA),
            ["transpose_b"] = Attrs.Bool(false),
            ["a_is_sparse"] = Attrs.Bool(aSparse),
            ["b_is_sparse"] = Attrs.Bool(wSparse),
            ["Ta"] = Attrs.Type(ta),
            ["Tb"] = Attrs.Type(tw),
        };
        var prod = b.OutputOf(b.AddOperation("SparseMatMul", [a, w], attrs, "MatMul"));
        return ta == DataType.DtBfloat16 && tw == DataType.DtBfloat16 ? b.Cast(prod, DataType.DtBfloat16) : prod;
    }
}
