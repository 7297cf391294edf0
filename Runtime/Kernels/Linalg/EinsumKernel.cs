using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>Einsum(inputs; equation)</c> for one or two operands, with TF's equation rules (<c>einsum_op_impl.h</c>):
/// letters label dims, a label repeated within one operand takes its diagonal, labels missing from the output are
/// summed, <c>...</c> stands for broadcast batch dims (numpy-style, aligned right, size 1 broadcasts), and without
/// <c>-&gt;</c> the output is the ellipsis dims then every label used exactly once, alphabetically. A label repeated in
/// the output inflates (TF's <c>StrideOrInflate</c> with <c>should_inflate</c>: <c>i->ii</c> puts the values on the
/// diagonal, zeros elsewhere; the Einsum gradient relies on it). An explicit output without <c>...</c> while the inputs
/// have broadcast dims is refused with TF's message (<c>ProcessDimensions</c>). Evaluated as one
/// strided loop over all label values (exact, but without TF's transpose-to-BatchMatMul speed; an einsum that is a
/// big matmul runs at naive-loop speed). float, double and half accumulate in double; int32/int64 in long.
/// </summary>
internal sealed class EinsumKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Einsum", n => new Einsum(n));

    /// <summary>A parsed equation: per operand its labels (−1 = ellipsis), and the output labels (or null when implicit).</summary>
    internal sealed record Equation(List<int>[] Inputs, List<int>? Output)
    {
        public const int Ellipsis = -1;

        public static Equation Parse(string equation, Node node)
        {
            var text = equation.Replace(" ", "");
            int arrow = text.IndexOf("->", StringComparison.Ordinal);
            var lhs = arrow < 0 ? text : text[..arrow];
            var parts = lhs.Split(',');
            var inputs = parts.Select(p => Labels(p, node, equation)).ToArray();
            var output = arrow < 0 ? null : Labels(text[(arrow + 2)..], node, equation);
            return new(inputs, output);
        }

        private static List<int> Labels(string s, Node node, string equation)
        {
            var labels = new List<int>();
            for (int i = 0; i < s.Length; i++)
            {
                if (s[i] == '.')
                {
                    if (i + 2 >= s.Length || s[i + 1] != '.' || s[i + 2] != '.' || labels.Contains(Ellipsis))
                        throw KernelAttrs.Err(node, $"Invalid Einsum equation '{equation}': bad ellipsis.");
                    labels.Add(Ellipsis);
                    i += 2;
                }
                else if (char.IsAsciiLetter(s[i])) labels.Add(s[i]);
                else throw KernelAttrs.Err(node, $"Invalid Einsum equation '{equation}': unexpected character '{s[i]}'.");
            }
            return labels;
        }
    }

    private sealed class Einsum : OpKernel
    {
        private const int EllipsisBase = 1000; // label ids of broadcast dims: EllipsisBase + position in the broadcast batch
        private readonly Equation _eq;
        private readonly string _text;

        public Einsum(Node node) : base(node)
        {
            _text = node.GetString("equation");
            _eq = Equation.Parse(_text, node);
            if (_eq.Inputs.Length is < 1 or > 2) throw Error($"Einsum supports one or two operands, got {_eq.Inputs.Length} in '{_text}'.");
        }

        public override void Compute(OpKernelContext context)
        {
            int n = _eq.Inputs.Length;
            if (context.InputCount != n) throw Error($"Expected {n} inputs for equation '{_text}', got {context.InputCount}.");
            var xs = Enumerable.Range(0, n).Select(context.Input).ToArray();
            var dtype = xs[0].DType;
            if (xs.Any(x => x.DType != dtype)) throw Error("All Einsum inputs must have the same dtype.");

            // Expand each operand's subscripts to one label id per dim.
            var dimLabels = new int[n][];
            int ellRank = 0;
            for (int i = 0; i < n; i++)
            {
                int named = _eq.Inputs[i].Count(l => l != Equation.Ellipsis);
                bool hasEll = _eq.Inputs[i].Contains(Equation.Ellipsis);
                int rank = xs[i].Shape.Rank;
                if (hasEll ? rank < named : rank != named)
                    throw Error($"Input {i} has rank {rank} but its subscripts in '{_text}' name {named} dims{(hasEll ? " plus an ellipsis" : "")}.");
                ellRank = Math.Max(ellRank, rank - named);
            }
            var sizes = new Dictionary<int, int>();
            for (int i = 0; i < n; i++)
            {
                int rank = xs[i].Shape.Rank, named = _eq.Inputs[i].Count(l => l != Equation.Ellipsis), ell = rank - named;
                var ids = new List<int>();
                foreach (var l in _eq.Inputs[i])
                {
                    if (l == Equation.Ellipsis) for (int t = 0; t < ell; t++) ids.Add(EllipsisBase + ellRank - ell + t);
                    else ids.Add(l);
                }
                dimLabels[i] = ids.ToArray();
                for (int d = 0; d < rank; d++)
                {
                    int id = ids[d], size = xs[i].Shape[d];
                    if (!sizes.TryGetValue(id, out var known)) { sizes[id] = size; continue; }
                    if (known == size) continue;
                    if (id >= EllipsisBase && (known == 1 || size == 1)) { sizes[id] = Math.Max(known, size); continue; }
                    throw Error($"Expected dimension {known} at axis {d} of input {i} shaped {xs[i].Shape} but got dimension {size} (equation '{_text}').");
                }
            }
            for (int t = 0; t < ellRank; t++) sizes.TryAdd(EllipsisBase + t, 1);

            List<int> outLabels;
            if (_eq.Output != null)
            {
                if (ellRank > 0 && !_eq.Output.Contains(Equation.Ellipsis))
                    throw Error($"Output contains {ellRank} broadcasting dimension(s) but no ellipsis (...) was found in the output subscripts (equation '{_text}').");
                outLabels = [];
                foreach (var l in _eq.Output)
                {
                    if (l == Equation.Ellipsis) for (int t = 0; t < ellRank; t++) outLabels.Add(EllipsisBase + t);
                    else if (!sizes.ContainsKey(l)) throw Error($"Output subscript '{(char)l}' does not appear in the inputs of '{_text}'.");
                    else outLabels.Add(l);
                }
            }
            else
            {
                var counts = _eq.Inputs.SelectMany(x => x).Where(l => l != Equation.Ellipsis).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
                outLabels = Enumerable.Range(0, ellRank).Select(t => EllipsisBase + t).ToList();
                outLabels.AddRange(counts.Where(kv => kv.Value == 1).Select(kv => kv.Key).Order());
            }
            // A label repeated in the output is evaluated once (the distinct labels) and inflated onto the diagonal after.
            var distinctOut = outLabels.Distinct().ToList();
            long distinctSize = distinctOut.Aggregate(1L, (p, l) => p * sizes[l]);
            var summed = sizes.Keys.Where(k => !outLabels.Contains(k)).Order().ToList();
            var all = distinctOut.Concat(summed).ToArray();
            var extents = all.Select(l => sizes[l]).ToArray();

            // Element stride of each label in each operand (repeated labels add up: the diagonal); broadcast dims of size 1 get 0.
            var strides = new long[n][];
            for (int i = 0; i < n; i++)
            {
                strides[i] = new long[all.Length];
                var st = Exec.StridedCopy.Strides(xs[i].Shape.Dims);
                for (int d = 0; d < dimLabels[i].Length; d++)
                {
                    if (xs[i].Shape[d] == 1 && sizes[dimLabels[i][d]] != 1) continue;
                    strides[i][Array.IndexOf(all, dimLabels[i][d])] += st[d];
                }
            }
            var outShape = outLabels.Select(l => sizes[l]).ToArray();
            var output = context.AllocateOutput(0, dtype, new TensorShape(outShape));
            if (dtype is DataType.DtInt32 or DataType.DtInt64)
            {
                var data = xs.Select(x => x.DType == DataType.DtInt32 ? Array.ConvertAll(x.ToArray<int>(), v => (long)v) : x.ToArray<long>()).ToArray();
                var result = Inflate(Evaluate(data, distinctSize, extents, distinctOut.Count, strides, 0L, (a, b) => a * b, (a, b) => a + b), outLabels, distinctOut, outShape);
                if (dtype == DataType.DtInt32) { var o = output.AsSpan<int>(); for (int k = 0; k < result.Length; k++) o[k] = (int)result[k]; }
                else result.CopyTo(output.AsSpan<long>());
                return;
            }
            var doubles = xs.Select(x => MatrixDecompositionKernels.ReadDoubles(context, x)).ToArray();
            MatrixDecompositionKernels.WriteDoubles(output, Inflate(Evaluate(doubles, distinctSize, extents, distinctOut.Count, strides, 0.0, (a, b) => a * b, (a, b) => a + b), outLabels, distinctOut, outShape));
        }

        /// <summary>
        /// Places the values computed over the distinct output labels into the full output: a label repeated in the
        /// output addresses the diagonal of those dims (its element stride is the sum of theirs); every other element is 0.
        /// </summary>
        private static T[] Inflate<T>(T[] compact, List<int> outLabels, List<int> distinctOut, int[] outShape)
        {
            if (distinctOut.Count == outLabels.Count) return compact;
            var full = new T[outShape.Aggregate(1L, (p, d) => p * d)];
            var st = Exec.StridedCopy.Strides(outShape);
            var labelStride = new long[distinctOut.Count];
            var extent = new int[distinctOut.Count];
            for (int d = 0; d < outLabels.Count; d++)
            {
                int k = distinctOut.IndexOf(outLabels[d]);
                labelStride[k] += st[d];
                extent[k] = outShape[d];
            }
            for (long o = 0; o < compact.Length; o++)
            {
                long rem = o, off = 0;
                for (int k = distinctOut.Count - 1; k >= 0; k--) { off += rem % extent[k] * labelStride[k]; rem /= extent[k]; }
                full[off] = compact[o];
            }
            return full;
        }

        /// <summary>For each output element, the sum over the summed labels of the operands' product.</summary>
        private static T[] Evaluate<T>(T[][] data, long outSize, int[] extents, int outCount, long[][] strides, T zero, Func<T, T, T> mul, Func<T, T, T> add)
        {
            var result = new T[outSize];
            long inner = 1;
            for (int d = outCount; d < extents.Length; d++) inner *= extents[d];
            int rank = extents.Length, n = data.Length;
            var idx = new int[rank];
            var offs = new long[n];
            for (long o = 0; o < outSize; o++)
            {
                long rem = o;
                for (int d = outCount - 1; d >= 0; d--) { idx[d] = (int)(rem % extents[d]); rem /= extents[d]; }
                for (int d = outCount; d < rank; d++) idx[d] = 0;
                for (int i = 0; i < n; i++)
                {
                    long off = 0;
                    for (int d = 0; d < rank; d++) off += idx[d] * strides[i][d];
                    offs[i] = off;
                }
                T acc = zero;
                for (long s = 0; s < inner; s++)
                {
                    T p = data[0][offs[0]];
                    for (int i = 1; i < n; i++) p = mul(p, data[i][offs[i]]);
                    acc = add(acc, p);
                    // Odometer over the summed labels, moving every operand's offset along.
                    for (int d = rank - 1; d >= outCount; d--)
                    {
                        for (int i = 0; i < n; i++) offs[i] += strides[i][d];
                        if (++idx[d] < extents[d]) break;
                        for (int i = 0; i < n; i++) offs[i] -= strides[i][d] * extents[d];
                        idx[d] = 0;
                    }
                }
                result[o] = acc;
            }
            return result;
        }
    }
}
