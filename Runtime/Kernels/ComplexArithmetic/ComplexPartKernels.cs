using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.ComplexArithmetic;

/// <summary>
/// The ops that build complex values from real ones and take them apart: Complex (real, imag → complex, broadcasting as
/// TF's BinaryOp with <c>make_complex</c>, cwise_op_complex.cc), Real, Imag, Angle, ComplexAbs (complex → float/double
/// per <c>Tout</c>; cwise_op_real.cc / cwise_op_imag.cc / cwise_op_arg.cc / cwise_op_abs.cc's ComplexAbs = hypot), Conj
/// (complex only, as cwise_op_conj.cc registers it) and ConjugateTranspose (transpose_op.cc: a plain transpose for
/// non-complex types, transpose + conjugate for complex).
/// </summary>
internal sealed class ComplexPartKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Complex", n => new MakeComplexKernel(n));
        registry.Add("Real", n => new ComplexPartKernel(n, static z => z.Real));
        registry.Add("Imag", n => new ComplexPartKernel(n, static z => z.Imaginary));
        registry.Add("Angle", n => new ComplexPartKernel(n, static z => Math.Atan2(z.Imaginary, z.Real)));
        registry.Add("ComplexAbs", n => new ComplexPartKernel(n, ComplexMath.Abs));
        registry.Add("Conj", n => new ConjKernel(n));
        registry.Add("ConjugateTranspose", n => new ConjugateTransposeKernel(n));
    }
}

/// <summary>Complex(real, imag): both float (→ complex64) or both double (→ complex128), broadcast.</summary>
internal sealed class MakeComplexKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var re = context.Input(0);
        var im = context.Input(1);
        if (re.DType is not (DataType.DtFloat or DataType.DtDouble)) throw KernelAttrs.BadType(Node, re.DType);
        var shape = BinaryOutputShape(re, im);
        var tout = ComplexData.ComplexOf(re.DType);
        if (Node.HasAttr("Tout") && Node.GetType("Tout") != tout)
            throw Error($"Tout {DataTypes.Name(Node.GetType("Tout"))} does not match {DataTypes.Name(re.DType)} parts (needs {DataTypes.Name(tout)}).");
        var output = context.AllocateOutput(0, tout, shape);
        var d = ComplexData.Target(output);
        ComplexElementwise.Broadcasted(AsComplex(re), re.Shape, AsComplex(im), im.Shape, shape, d,
            static (r, i) => new Complex(r.Real, i.Real));
        ComplexData.Commit(output, d);
    }

    private static Complex[] AsComplex(Tensor t)
    {
        var s = ComplexData.ReadReal(t);
        var r = new Complex[s.Length];
        for (int i = 0; i < s.Length; i++) r[i] = new Complex(s[i], 0);
        return r;
    }
}

/// <summary>Real, Imag, Angle, ComplexAbs: a real value of each complex element, in the parts' precision.</summary>
internal sealed class ComplexPartKernel(Node node, Func<Complex, double> part) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (!ComplexData.IsComplex(x.DType)) throw KernelAttrs.BadType(Node, x.DType);
        var tout = ComplexData.PartType(x.DType);
        if (Node.HasAttr("Tout") && Node.GetType("Tout") != tout)
            throw Error($"Tout {DataTypes.Name(Node.GetType("Tout"))} does not match a {DataTypes.Name(x.DType)} input (needs {DataTypes.Name(tout)}).");
        var y = context.AllocateOutput(0, tout, x.Shape);
        var s = ComplexData.Read(x);
        var d = new double[s.Length];
        for (int i = 0; i < s.Length; i++) d[i] = part(s[i]);
        ComplexData.WriteReal(y, d);
    }
}

/// <summary>Conj: (re, −im) of complex elements.</summary>
internal sealed class ConjKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (!ComplexData.IsComplex(x.DType)) throw KernelAttrs.BadType(Node, x.DType);
        var y = context.AllocateOutput(0, x.DType, x.Shape);
        Conjugate(x, y);
    }

    /// <summary>Writes conj(x) into y (same complex dtype and size; y may be x's copy).</summary>
    internal static void Conjugate(Tensor x, Tensor y)
    {
        x.Bytes.CopyTo(y.Bytes);
        if (x.DType == DataType.DtComplex64)
        {
            var f = y.AsSpan<float>();
            for (int i = 1; i < f.Length; i += 2) f[i] = -f[i];
        }
        else
        {
            var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(y.Bytes);
            for (int i = 1; i < f.Length; i += 2) f[i] = -f[i];
        }
    }
}

/// <summary>ConjugateTranspose(x, perm): Transpose, then conjugate when x is complex (any dtype otherwise).</summary>
internal sealed class ConjugateTransposeKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        var permTensor = context.Input(1);
        if (permTensor.DType is not (DataType.DtInt32 or DataType.DtInt64)) throw Error($"perm must be int32 or int64, got {DataTypes.Name(permTensor.DType)}.");
        if (permTensor.Shape.Rank != 1) throw Error($"perm must be a vector, got shape {permTensor.Shape}.");
        int rank = x.Shape.Rank;
        var perm = new int[permTensor.NumElements];
        for (int i = 0; i < perm.Length; i++)
            perm[i] = checked((int)(permTensor.DType == DataType.DtInt32 ? permTensor.AsSpan<int>()[i] : permTensor.AsSpan<long>()[i]));
        if (perm.Length != rank) throw Error($"perm has {perm.Length} entries but the input has shape {x.Shape}.");
        var seen = new bool[rank];
        var dims = new int[rank];
        foreach (var p in perm)
        {
            if (p < 0 || p >= rank || seen[p]) throw Error($"perm [{string.Join(", ", perm)}] is not a permutation of 0..{rank - 1}.");
            seen[p] = true;
        }
        for (int i = 0; i < rank; i++) dims[i] = x.Shape[perm[i]];
        var y = context.AllocateOutput(0, x.DType, new TensorShape(dims));
        if (y.NumElements == 0) return;
        // Source stride (in elements) of each output axis.
        var inStrides = new long[rank];
        long s = 1;
        for (int i = rank - 1; i >= 0; i--) { inStrides[i] = s; s *= x.Shape[i]; }
        var srcStride = new long[rank];
        for (int i = 0; i < rank; i++) srcStride[i] = inStrides[perm[i]];
        if (x.DType == DataType.DtString)
        {
            var src = x.Strings;
            var dst = y.Strings;
            Walk(dims, srcStride, (o, i) => dst[o] = src[i]);
            return;
        }
        int size = DataTypes.ElementSize(x.DType);
        var sb = x.Memory;
        var db = y.Memory;
        Walk(dims, srcStride, (o, i) => sb.Span.Slice((int)(i * size), size).CopyTo(db.Span.Slice((int)(o * size), size)));
        if (ComplexData.IsComplex(x.DType)) ConjKernel.Conjugate(y, y);
    }

    // Visits every output element in row-major order with its source element index.
    private static void Walk(int[] dims, long[] srcStride, Action<long, long> copy)
    {
        int rank = dims.Length;
        var idx = new int[rank];
        long total = 1;
        foreach (var d in dims) total *= d;
        long src = 0;
        for (long o = 0; o < total; o++)
        {
            copy(o, src);
            for (int a = rank - 1; a >= 0; a--)
            {
                src += srcStride[a];
                if (++idx[a] < dims[a]) break;
                src -= srcStride[a] * dims[a];
                idx[a] = 0;
            }
        }
    }
}
