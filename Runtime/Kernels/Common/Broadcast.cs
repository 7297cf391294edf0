namespace TypedGraph.Kernels.Common;

/// <summary>
/// NumPy/TF broadcasting: shapes align at the trailing dim; a dim of 1 stretches to the other's size
/// (as TF's <c>BCast</c> in <c>tensorflow/core/util/bcast.h</c>).
/// </summary>
internal static class Broadcast
{
    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>, if compatible.</summary>
    public static bool TryShape(TensorShape a, TensorShape b, out TensorShape result)
    {
        // Most elementwise ops in real graphs broadcast into one of their inputs' shapes (same shapes, a
        // bias row, a scalar): return that shape object instead of allocating a new one on every run.
        if (CoversOther(a, b)) { result = a; return true; }
        if (CoversOther(b, a)) { result = b; return true; }
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Rank ? 1 : a[i - (rank - a.Rank)];
            int db = i < rank - b.Rank ? 1 : b[i - (rank - b.Rank)];
            if (da == db || db == 1) dims[i] = da;
            else if (da == 1) dims[i] = db;
            else
            {
                result = default;
                return false;
            }
        }
        result = new TensorShape(dims);
        return true;
    }

    // True when broadcasting `big` with `small` gives `big`'s shape.
    private static bool CoversOther(TensorShape big, TensorShape small)
    {
        if (small.Rank > big.Rank) return false;
        int offset = big.Rank - small.Rank;
        for (int i = 0; i < small.Rank; i++)
        {
            int ds = small[i];
            if (ds != 1 && ds != big[i + offset]) return false;
        }
        return true;
    }

    /// <summary>The broadcast shape of <paramref name="a"/> and <paramref name="b"/>.</summary>
    /// <exception cref="ArgumentException">The shapes are incompatible (message names both).</exception>
    public static TensorShape Shape(TensorShape a, TensorShape b)
        => TryShape(a, b, out var r) ? r : throw new ArgumentException($"Incompatible shapes: {a} vs. {b}.");

    /// <summary>
    /// <c>y[i] = f(a[·], b[·])</c> over <paramref name="shape"/> (the broadcast of <paramref name="aShape"/> and
    /// <paramref name="bShape"/>), element by element with an index counter: for kernels whose per-element work dwarfs the
    /// iteration (special functions) or that run rarely (fallback routes).
    /// </summary>
    public static void Zip<T>(ReadOnlySpan<T> a, TensorShape aShape, ReadOnlySpan<T> b, TensorShape bShape, Span<T> y, TensorShape shape, Func<T, T, T> f)
    {
        if (y.Length == 0) return;
        var sa = Strides(aShape, shape);
        var sb = Strides(bShape, shape);
        int rank = shape.Rank;
        Span<int> index = stackalloc int[rank];
        long ia = 0, ib = 0;
        for (int e = 0; e < y.Length; e++)
        {
            y[e] = f(a[(int)ia], b[(int)ib]);
            for (int d = rank - 1; d >= 0; d--)
            {
                ia += sa[d];
                ib += sb[d];
                if (++index[d] < shape[d]) break;
                ia -= sa[d] * shape[d];
                ib -= sb[d] * shape[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>
    /// Element strides of <paramref name="input"/> indexed by the dims of <paramref name="output"/>
    /// (0 where the input is broadcast), for an input that broadcasts to the output.
    /// </summary>
    public static long[] Strides(TensorShape input, TensorShape output)
    {
        var strides = new long[output.Rank];
        long s = 1;
        for (int i = input.Rank - 1; i >= 0; i--)
        {
            int o = i + output.Rank - input.Rank;
            strides[o] = input[i] == 1 && output[o] != 1 ? 0 : s;
            s *= input[i];
        }
        return strides;
    }
}

/// <summary>
/// An iteration plan for an elementwise op over inputs broadcast to one output: size-1 dims dropped and
/// neighbouring dims merged where every input agrees on broadcasting, so the innermost dim is as long as
/// possible. The work is then <see cref="Rows"/> rows of <see cref="InnerLength"/>, where each input is
/// either contiguous (inner stride 1) or one repeated value (inner stride 0).
/// </summary>
internal sealed class BroadcastPlan
{
    private readonly int[] _dims;
    private readonly long[][] _strides;

    private BroadcastPlan(int[] dims, long[][] strides)
    {
        _dims = dims;
        _strides = strides;
        InnerLength = dims.Length == 0 ? 1 : dims[^1];
        long rows = 1;
        for (int i = 0; i < dims.Length - 1; i++) rows *= dims[i];
        Rows = dims.Length == 0 ? 1 : rows;
    }

    /// <summary>Number of rows (product of all but the innermost collapsed dim).</summary>
    public long Rows { get; }

    /// <summary>Length of each row.</summary>
    public int InnerLength { get; }

    /// <summary>Number of inputs planned for.</summary>
    public int InputCount => _strides.Length;

    /// <summary>True when input <paramref name="input"/> is contiguous along rows (false: one value repeated).</summary>
    public bool InnerContiguous(int input) => _dims.Length == 0 ? false : _strides[input][^1] != 0;

    /// <summary>Builds the plan; each input must broadcast to <paramref name="output"/>.</summary>
    public static BroadcastPlan Create(TensorShape output, params TensorShape[] inputs)
    {
        var full = inputs.Select(s => Broadcast.Strides(s, output)).ToArray();
        var dims = new List<int>();
        var strides = inputs.Select(_ => new List<long>()).ToList();
        for (int d = 0; d < output.Rank; d++)
        {
            if (output[d] == 1) continue;
            bool merge = dims.Count > 0;
            for (int i = 0; i < inputs.Length && merge; i++)
                merge = (strides[i][^1] == 0) == (full[i][d] == 0);
            if (merge)
            {
                // Same broadcast status in both dims: the pair is one dim of size product with the inner stride.
                dims[^1] *= output[d];
                for (int i = 0; i < inputs.Length; i++) strides[i][^1] = full[i][d];
            }
            else
            {
                dims.Add(output[d]);
                for (int i = 0; i < inputs.Length; i++) strides[i].Add(full[i][d]);
            }
        }
        return new BroadcastPlan(dims.ToArray(), strides.Select(l => l.ToArray()).ToArray());
    }

    /// <summary>
    /// Start offsets (in elements) of row <paramref name="row"/> for every input, written to <paramref name="offsets"/>.
    /// The output row starts at <c>row * InnerLength</c>.
    /// </summary>
    public void RowOffsets(long row, Span<long> offsets)
    {
        offsets.Clear();
        for (int d = _dims.Length - 2; d >= 0 && row > 0; d--)
        {
            long idx = row % _dims[d];
            row /= _dims[d];
            for (int i = 0; i < _strides.Length; i++) offsets[i] += idx * _strides[i][d];
        }
    }
}
