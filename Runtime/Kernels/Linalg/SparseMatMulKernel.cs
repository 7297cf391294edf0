using TypedGraph.Kernels.Exec;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>SparseMatMul</c> (TF's <c>core/kernels/sparse_matmul_op.cc</c>; old TF1 graphs, e.g. word2vec/wide models):
/// a dense 2-D product <c>op(a)·op(b)</c> with <c>transpose_a</c>/<c>transpose_b</c>, float output, inputs float or
/// bfloat16 (Ta, Tb). <c>a_is_sparse</c>/<c>b_is_sparse</c> are performance hints in TF and do not change the
/// result, so they are read and ignored. bfloat16 inputs are widened exactly to float.
/// </summary>
internal sealed class SparseMatMulKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("SparseMatMul", node =>
    {
        bool ta = node.GetBool("transpose_a", false), tb = node.GetBool("transpose_b", false);
        return new DelegateKernel(node, ctx =>
        {
            var a = ctx.Input(0);
            var b = ctx.Input(1);
            if (a.Shape.Rank != 2) throw ctx.Error($"a is not a matrix: {a.Shape}");
            if (b.Shape.Rank != 2) throw ctx.Error($"b is not a matrix: {b.Shape}");
            int m = ta ? a.Shape[1] : a.Shape[0], k = ta ? a.Shape[0] : a.Shape[1];
            int k2 = tb ? b.Shape[1] : b.Shape[0], n = tb ? b.Shape[0] : b.Shape[1];
            if (k != k2) throw ctx.Error($"Matrix size incompatible: a: {a.Shape}, b: {b.Shape}");
            var c = ctx.AllocateOutput(0, DataType.DtFloat, new TensorShape(m, n)).AsSpan<float>();
            if (m == 0 || n == 0) return;
            if (k == 0) { c.Clear(); return; }
            Gemm.Sgemm(ta, tb, m, n, k, Widen(ctx, a), Widen(ctx, b), c);
        });
    });

    private static ReadOnlySpan<float> Widen(OpKernelContext ctx, Tensor t)
    {
        switch (t.DType)
        {
            case DataType.DtFloat: return t.AsSpan<float>();
            case DataType.DtBfloat16:
            {
                // bfloat16 is the high half of a float32.
                var bits = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(t.Bytes);
                var r = new float[bits.Length];
                for (int i = 0; i < r.Length; i++) r[i] = BitConverter.Int32BitsToSingle(bits[i] << 16);
                return r;
            }
            default: throw ctx.Error($"SparseMatMul takes float or bfloat16 inputs, got {DataTypes.Name(t.DType)}.");
        }
    }
}
