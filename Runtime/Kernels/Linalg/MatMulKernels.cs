using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// MatMul (transpose_a/transpose_b), BatchMatMul (adj_x/adj_y, equal batch dims) and BatchMatMulV2
/// (batch dims broadcast). float32 runs on the packed SIMD <see cref="Gemm"/>; double and integer
/// types use a plain loop.
/// </summary>
internal sealed class MatMulKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("MatMul", n => new MatMulKernel(n, fused: false));
        registry.Add("_FusedMatMul", n => new MatMulKernel(n, fused: true));
        registry.Add("BatchMatMul", n => new BatchMatMulKernel(n, broadcast: false));
        registry.Add("BatchMatMulV2", n => new BatchMatMulKernel(n, broadcast: true));
        registry.Add("BatchMatMulV3", n => new BatchMatMulKernel(n, broadcast: true));
    }

    /// <summary>C = op(A)·op(B) for one matrix pair of any supported dtype.</summary>
    internal static void Multiply(DataType dtype, bool ta, bool tb, int m, int n, int k, Tensor a, long aOff, Tensor b, long bOff, Tensor c, long cOff, bool parallel, Node node, bool adjoint = false)
    {
        switch (dtype)
        {
            case DataType.DtFloat:
                {
                    var sa = a.AsSpan<float>().Slice((int)aOff, m * k);
                    var sb = b.AsSpan<float>().Slice((int)bOff, k * n);
                    var sc = c.AsSpan<float>().Slice((int)cOff, m * n);
                    if (parallel) Gemm.Sgemm(ta, tb, m, n, k, sa, sb, sc);
                    else Gemm.SgemmSerial(ta, tb, m, n, k, sa, sb, sc);
                    break;
                }
            case DataType.DtDouble: Naive<double>(ta, tb, m, n, k, a.AsSpan<double>().Slice((int)aOff, m * k), b.AsSpan<double>().Slice((int)bOff, k * n), c.AsSpan<double>().Slice((int)cOff, m * n)); break;
            case DataType.DtInt32: Naive<int>(ta, tb, m, n, k, a.AsSpan<int>().Slice((int)aOff, m * k), b.AsSpan<int>().Slice((int)bOff, k * n), c.AsSpan<int>().Slice((int)cOff, m * n)); break;
            case DataType.DtInt64: Naive<long>(ta, tb, m, n, k, a.AsSpan<long>().Slice((int)aOff, m * k), b.AsSpan<long>().Slice((int)bOff, k * n), c.AsSpan<long>().Slice((int)cOff, m * n)); break;
            // MatMul's transpose_a/b transpose; BatchMatMul's adj_x/adj_y also conjugate (adjoint = true).
            case DataType.DtComplex64 or DataType.DtComplex128: ComplexMatMul.Multiply(ta, tb, adjoint, m, n, k, a, aOff, b, bOff, c, cOff); break;
            default: throw KernelAttrs.BadType(node, dtype);
        }
    }

    /// <summary>Reference triple loop (i-p-j order so the inner loop walks rows of B and C).</summary>
    /// <remarks>No element is skipped, not even a zero of A: IEEE 0·Inf and 0·NaN are NaN, and Eigen's
    /// contraction behind TF's MatMul multiplies every pair, so a shortcut on zeros would turn NaN into 0.</remarks>
    internal static void Naive<T>(bool ta, bool tb, int m, int n, int k, ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> c) where T : unmanaged, INumber<T>
    {
        c.Clear();
        for (int i = 0; i < m; i++)
        {
            var ci = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T av = ta ? a[p * m + i] : a[i * k + p];
                if (tb) for (int j = 0; j < n; j++) ci[j] += av * b[j * k + p];
                else
                {
                    var bp = b.Slice(p * n, n);
                    for (int j = 0; j < n; j++) ci[j] += av * bp[j];
                }
            }
        }
    }
}

/// <summary>One MatMul node.</summary>
internal sealed class MatMulKernel : OpKernel
{
    private readonly bool _ta, _tb;
    private readonly Epilogue? _epilogue;
    // B packed once while it is the same Const value or variable value (see PackedWeights for when it re-packs).
    private readonly PackedWeights _packedB = new();

    /// <summary>The weight-packing cache (tests: how often B was packed).</summary>
    internal PackedWeights PackedB => _packedB;

    public MatMulKernel(Node node, bool fused) : base(node)
    {
        // _FusedMatMul (grappler's remapper output): MatMul then BiasAdd [+ activation].
        _epilogue = fused ? Epilogue.FromNode(node) : null;
        _ta = node.GetBool("transpose_a", false);
        _tb = node.GetBool("transpose_b", false);
    }

    public override void Compute(OpKernelContext context)
    {
        var a = context.Input(0);
        var b = context.Input(1);
        if (a.DType != b.DType) throw Error($"inputs must have the same dtype, got {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}.");
        if (a.Shape.Rank != 2 || b.Shape.Rank != 2) throw Error($"In[0] and In[1] must be matrices, got shapes {a.Shape} and {b.Shape}.");
        int m = _ta ? a.Shape[1] : a.Shape[0], k = _ta ? a.Shape[0] : a.Shape[1];
        int kb = _tb ? b.Shape[1] : b.Shape[0], n = _tb ? b.Shape[0] : b.Shape[1];
        if (k != kb) throw Error($"Matrix size-incompatible: In[0]: {a.Shape}, In[1]: {b.Shape} (transpose_a={_ta}, transpose_b={_tb}).");
        if (_epilogue != null && a.DType != DataType.DtFloat) throw KernelAttrs.BadType(Node, a.DType);
        Tensor? bias = null;
        if (_epilogue != null)
        {
            var bt = context.Input(2);
            if (bt.DType != DataType.DtFloat || bt.Shape.Rank != 1 || bt.Shape[0] != n)
                throw Error($"the fused bias must be a float vector of {n} values, got {DataTypes.Name(bt.DType)}{bt.Shape}.");
            bias = bt; // read in place (no per-run copy)
        }
        var c = context.AllocateOutput(0, a.DType, [m, n]);
        if (a.DType == DataType.DtFloat)
        {
            var packed = Gemm.UsesPackedB(m, n, k) ? _packedB.For(b, _tb, k, n) : null;
            Float(_ta, _tb, m, n, k, a.AsSpan<float>(), b.AsSpan<float>(), packed, c.AsSpan<float>(), _epilogue, bias);
            return;
        }
        MatMulKernels.Multiply(a.DType, _ta, _tb, m, n, k, a, 0, b, 0, c, 0, parallel: true, Node);
    }

    /// <summary>
    /// The float product with its optional bias/activation over all rows, on every core: on B's packing when there is
    /// one, else on B as it is followed by the epilogue. A chain of fused layers (<see cref="MatMulChainKernel"/>) that
    /// cannot split by rows runs each layer through this too, so it gives what the separate nodes give.
    /// </summary>
    internal static void Float(bool ta, bool tb, int m, int n, int k, ReadOnlySpan<float> a, ReadOnlySpan<float> b, PackedB? packed, Span<float> c,
        Epilogue? epilogue, Tensor? bias)
    {
        if (packed != null)
        {
            // Each row part applies the bias/activation to its own rows as soon as it has computed them.
            Gemm.SgemmPrepacked(ta, tb, m, n, k, a, b, packed, c, epilogue, bias);
            return;
        }
        Gemm.Sgemm(ta, tb, m, n, k, a[..(m * k)], b[..(k * n)], c[..(m * n)]);
        if (epilogue != null && m > 0 && n > 0) NN.Conv2DKernel.ApplyParallel(epilogue, c[..(m * n)], bias!, m, n);
    }
}

/// <summary>One BatchMatMul / BatchMatMulV2 node.</summary>
internal sealed class BatchMatMulKernel : OpKernel
{
    private readonly bool _adjX, _adjY, _broadcast;

    public BatchMatMulKernel(Node node, bool broadcast) : base(node)
    {
        _adjX = node.GetBool("adj_x", false);
        _adjY = node.GetBool("adj_y", false);
        _broadcast = broadcast;
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var y = context.Input(1);
        if (x.DType != y.DType) throw Error($"inputs must have the same dtype, got {DataTypes.Name(x.DType)} and {DataTypes.Name(y.DType)}.");
        if (x.Shape.Rank < 2 || y.Shape.Rank < 2) throw Error($"inputs must have rank ≥ 2, got {x.Shape} and {y.Shape}.");
        int m = _adjX ? x.Shape[-1] : x.Shape[-2], k = _adjX ? x.Shape[-2] : x.Shape[-1];
        int ky = _adjY ? y.Shape[-1] : y.Shape[-2], n = _adjY ? y.Shape[-2] : y.Shape[-1];
        if (k != ky) throw Error($"Matrix size-incompatible: In[0]: {x.Shape}, In[1]: {y.Shape} (adj_x={_adjX}, adj_y={_adjY}).");
        var xb = new TensorShape(x.Shape.Dims[..^2].ToArray());
        var yb = new TensorShape(y.Shape.Dims[..^2].ToArray());
        TensorShape batch;
        if (_broadcast)
        {
            if (!Broadcast.TryShape(xb, yb, out batch)) throw Error($"batch dims do not broadcast: In[0]: {x.Shape}, In[1]: {y.Shape}.");
        }
        else
        {
            if (xb != yb) throw Error($"batch dims must be equal for BatchMatMul: In[0]: {x.Shape}, In[1]: {y.Shape}.");
            batch = xb;
        }
        var outDims = batch.ToArray().Concat(new[] { m, n }).ToArray();
        var c = context.AllocateOutput(0, x.DType, outDims);
        long batches = batch.NumElements;
        if (c.NumElements == 0) return;
        var xs = Broadcast.Strides(xb, batch);
        var ys = Broadcast.Strides(yb, batch);
        var dims = batch.ToArray();
        var dtype = x.DType;
        // Many small matrices: one batch per worker; few large ones: let GEMM use the cores.
        bool perBatchParallel = batches >= Workers.Count && (long)m * n * k < 1 << 20;
        void One(long bi, bool parallel)
        {
            long xo = 0, yo = 0, rem = bi;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                long idx = rem % dims[d];
                rem /= dims[d];
                xo += idx * xs[d];
                yo += idx * ys[d];
            }
            MatMulKernels.Multiply(dtype, _adjX, _adjY, m, n, k, x, xo * m * k, y, yo * k * n, c, bi * m * n, parallel, Node, adjoint: true);
        }
        if (perBatchParallel) Workers.For(batches, 1, (s, e) => { for (long bi = s; bi < e; bi++) One(bi, false); });
        else for (long bi = 0; bi < batches; bi++) One(bi, true);
    }
}
