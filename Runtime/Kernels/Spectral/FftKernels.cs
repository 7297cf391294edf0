using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.ComplexArithmetic;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Spectral;

/// <summary>
/// FFT, IFFT, FFT2D/3D, IFFT2D/3D (complex64/complex128 over the innermost 1–3 dims) and RFFT, IRFFT, RFFT2D/3D,
/// IRFFT2D/3D (real ↔ complex with an int32 <c>fft_length</c>), as fft_ops.cc's FFTBase: the input must have rank ≥ the
/// FFT rank; each transformed input dim must be at least fft_length[i] (IRFFT's innermost: fft_length/2 + 1) unless it
/// is 0, and is cropped to it (padding is done in Python by tf.signal before the op); RFFT's innermost output dim is
/// fft_length/2 + 1 (0 for fft_length 0); inverses scale by 1/Π fft dims. IRFFT runs the inverse complex FFT on the outer
/// dims and then a Hermitian (complex-to-real) inverse on the innermost one, so the imaginary parts of the DC and Nyquist
/// bins do not reach the output. Computed in double (<see cref="Fft"/>), complex64/float outputs rounded once; an empty
/// input gives an all-zero output.
/// </summary>
internal sealed class FftKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        foreach (var (suffix, rank) in new[] { ("", 1), ("2D", 2), ("3D", 3) })
        {
            registry.Add("FFT" + suffix, n => new FftKernel(n, rank, forward: true, real: false));
            registry.Add("IFFT" + suffix, n => new FftKernel(n, rank, forward: false, real: false));
            registry.Add("RFFT" + suffix, n => new FftKernel(n, rank, forward: true, real: true));
            registry.Add("IRFFT" + suffix, n => new FftKernel(n, rank, forward: false, real: true));
        }
    }
}

/// <summary>One FFT-family node.</summary>
internal sealed class FftKernel(Node node, int rank, bool forward, bool real) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        int inRank = x.Shape.Rank;
        if (inRank < rank) throw Error($"Input must have rank of at least {rank} but got: {x.Shape}");
        bool inComplex = ComplexData.IsComplex(x.DType);
        if (real && forward ? x.DType is not (DataType.DtFloat or DataType.DtDouble) : !inComplex) throw KernelAttrs.BadType(Node, x.DType);
        var outDims = x.Shape.ToArray();
        var fft = new int[rank];
        if (real)
        {
            var lengths = context.Input(1);
            if (lengths.DType != DataType.DtInt32 || lengths.Shape.Rank != 1 || lengths.Shape[0] != rank)
                throw Error($"fft_length must have shape [{rank}]");
            var fl = lengths.AsSpan<int>();
            for (int i = 0; i < rank; i++)
            {
                if (fl[i] < 0) throw Error($"fft_length[{i}] must >= 0, but got: {fl[i]}");
                fft[i] = fl[i];
                bool inner = i == rank - 1;
                int min = !forward && inner ? fft[i] / 2 + 1 : fft[i];
                int axis = inRank - rank + i;
                if (x.Shape[axis] != 0 && x.Shape[axis] < min)
                    throw Error($"Input dimension {axis} must have length of at least {min} but got: {x.Shape[axis]}");
                outDims[axis] = forward && inner && fft[i] != 0 ? fft[i] / 2 + 1 : fft[i];
            }
        }
        else
            for (int i = 0; i < rank; i++) fft[i] = outDims[inRank - rank + i];
        var outType = real
            ? forward ? ComplexData.ComplexOf(x.DType) : ComplexData.PartType(x.DType)
            : x.DType;
        CheckTypeAttrs(x.DType, outType);
        var y = context.AllocateOutput(0, outType, new TensorShape(outDims));
        if (y.NumElements == 0) return;
        if (x.NumElements == 0)
        {
            y.Bytes.Clear();
            return;
        }
        if (!real) ComplexTransform(x, y);
        else if (forward) RealForward(x, y, fft);
        else RealBackward(x, y, fft);
    }

    // Treal/Tcomplex (TF ≥ 2.2) must agree with the input and output dtypes when present.
    private void CheckTypeAttrs(DataType input, DataType output)
    {
        if (!real)
        {
            if (Node.HasAttr("Tcomplex") && Node.GetType("Tcomplex") != input) throw Error($"Tcomplex {DataTypes.Name(Node.GetType("Tcomplex"))} does not match the {DataTypes.Name(input)} input.");
            return;
        }
        var (r, c) = forward ? (input, output) : (output, input);
        if (Node.HasAttr("Treal") && Node.GetType("Treal") != r || Node.HasAttr("Tcomplex") && Node.GetType("Tcomplex") != c)
            throw Error($"Wrong types for {(forward ? "forward" : "backward")} real FFT: in={DataTypes.Name(input)} out={DataTypes.Name(output)}");
    }

    private void ComplexTransform(Tensor x, Tensor y)
    {
        var data = ComplexData.Read(x).ToArray();
        var dims = x.Shape.ToArray();
        for (int a = dims.Length - rank; a < dims.Length; a++) Fft.AlongAxis(data, dims, a, !forward);
        var d = ComplexData.Target(y);
        data.CopyTo(d);
        ComplexData.Commit(y, d);
    }

    // Crop the real input to fft on the transformed dims, transform fully, keep the first fft/2+1 bins of the innermost dim.
    private void RealForward(Tensor x, Tensor y, int[] fft)
    {
        var src = ComplexData.ReadReal(x).ToArray();
        var inDims = x.Shape.ToArray();
        var full = inDims.ToArray();
        for (int i = 0; i < rank; i++) full[full.Length - rank + i] = fft[i];
        var data = new Complex[Count(full)];
        CopyBox(full, (dst, srcIndex) => data[dst] = new Complex(src[(int)Index(srcIndex, inDims)], 0));
        for (int a = full.Length - rank; a < full.Length; a++) Fft.AlongAxis(data, full, a, inverse: false);
        var outDims = y.Shape.ToArray();
        var result = new Complex[y.NumElements];
        CopyBox(outDims, (dst, at) => result[dst] = data[Index(at, full)]);
        var d = ComplexData.Target(y);
        result.CopyTo(d);
        ComplexData.Commit(y, d);
    }

    // Crop the complex input (innermost to fft/2+1), inverse-transform the outer dims, extend the innermost dim by
    // Hermitian symmetry (bin k > n/2 = conj(bin n − k)), inverse-transform it and keep the real part.
    private void RealBackward(Tensor x, Tensor y, int[] fft)
    {
        var src = ComplexData.Read(x);
        var inDims = x.Shape.ToArray();
        int last = inDims.Length - 1;
        var half = inDims.ToArray();
        for (int i = 0; i < rank; i++) half[half.Length - rank + i] = fft[i];
        half[last] = fft[rank - 1] / 2 + 1;
        var full = half.ToArray();
        full[last] = fft[rank - 1];
        var data = new Complex[Count(full)];
        // Place the cropped half spectrum at the start of each innermost row of `full` (Index maps a multi-index).
        var srcCopy = src.ToArray();
        CopyBox(half, (_, at) => data[Index(at, full)] = srcCopy[Index(at, inDims)]);
        for (int a = full.Length - rank; a < last; a++) Fft.AlongAxis(data, full, a, inverse: true);
        int n = full[last], h = half[last];
        long rows = data.Length / Math.Max(1, n);
        var line = new Complex[n];
        var outValues = new double[y.NumElements];
        for (long r = 0; r < rows; r++)
        {
            for (int k = 0; k < n; k++) line[k] = k < h ? data[r * n + k] : Complex.Conjugate(data[r * n + (n - k)]);
            Fft.Transform(line, inverse: true);
            for (int k = 0; k < n; k++) outValues[r * n + k] = line[k].Real;
        }
        ComplexData.WriteReal(y, outValues);
    }

    private static long Count(int[] dims)
    {
        long c = 1;
        foreach (var d in dims) c *= d;
        return c;
    }

    // Row-major flat index of a multi-index in an array of dims (each index must be within its dim).
    private static long Index(int[] at, int[] dims)
    {
        long f = 0;
        for (int i = 0; i < dims.Length; i++) f = f * dims[i] + at[i];
        return f;
    }

    // Calls visit(flat index in box, multi-index) for every element of a box of `box` dims, in row-major order.
    private static void CopyBox(int[] box, Action<long, int[]> visit)
    {
        long total = Count(box);
        var at = new int[box.Length];
        for (long i = 0; i < total; i++)
        {
            visit(i, at);
            for (int d = box.Length - 1; d >= 0; d--)
            {
                if (++at[d] < box[d]) break;
                at[d] = 0;
            }
        }
    }
}
