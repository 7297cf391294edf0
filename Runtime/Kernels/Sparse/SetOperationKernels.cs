using System.Runtime.CompilerServices;
using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// <c>ListDiff(x, y)</c> (<c>tf.compat.v1.setdiff1d</c>: the elements of the vector x not in y, in x's order with
/// x's duplicates kept, plus their positions; <c>listdiff_op.cc</c>) and <c>DenseToDenseSetOperation(set1, set2)</c>
/// (<c>set_kernels.cc</c>: per group of the leading dims, the last-dim values as sets combined by "a-b", "b-a",
/// "intersection" or "union"; the result is a sparse tensor whose values per group are sorted ascending and whose
/// dense shape is the group dims plus the largest result set). Values compare by value (−0.0 = 0.0, NaN ≠ NaN for
/// floats; strings by bytes, ordered bytewise as std::string).
/// </summary>
internal sealed class SetOperationKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ListDiff", n => new Exec.DelegateKernel(n, ListDiff));
        registry.Add("DenseToDenseSetOperation", n =>
        {
            var op = n.GetString("set_operation");
            if (op is not ("a-b" or "b-a" or "intersection" or "union")) throw KernelAttrs.Err(n, $"Invalid set_operation {op}.");
            return new Exec.DelegateKernel(n, ctx => DenseSetOperation(ctx, op));
        });
    }

    /// <summary>A comparable key for element <paramref name="i"/> of <paramref name="t"/> (NaN gets a unique key).</summary>
    private static IComparable Key(Tensor t, int i) => t.DType switch
    {
        DataType.DtString => Encoding.Latin1.GetString(t.Strings[i]),
        DataType.DtFloat or DataType.DtDouble or DataType.DtHalf => Exec.ScalarValues.GetDouble(t, i) is var d && double.IsNaN(d) ? new NaNKey() : d + 0.0,
        DataType.DtBool => t.AsSpan<bool>()[i],
        _ => Exec.ScalarValues.GetLong(t, i),
    };

    /// <summary>Equal to nothing, not even another NaN.</summary>
    private sealed class NaNKey : IComparable
    {
        public int CompareTo(object? obj) => ReferenceEquals(this, obj) ? 0 : RuntimeHelpers.GetHashCode(this).CompareTo(obj == null ? 0 : RuntimeHelpers.GetHashCode(obj));
    }

    private static void ListDiff(OpKernelContext ctx)
    {
        var x = ctx.Input(0);
        var y = ctx.Input(1);
        if (x.Shape.Rank != 1) throw ctx.Error($"x should be a 1D vector, got shape {x.Shape}.");
        if (y.Shape.Rank != 1) throw ctx.Error($"y should be a 1D vector, got shape {y.Shape}.");
        if (x.DType != y.DType) throw ctx.Error($"x and y must have the same dtype, got {DataTypes.Name(x.DType)} and {DataTypes.Name(y.DType)}.");
        var exclude = new HashSet<IComparable>();
        for (int i = 0; i < y.Shape[0]; i++) exclude.Add(Key(y, i));
        var keep = new List<int>();
        for (int i = 0; i < x.Shape[0]; i++) if (!exclude.Contains(Key(x, i))) keep.Add(i);
        var outIdx = ctx.Node.GetType("out_idx", DataType.DtInt32);
        var output = ctx.AllocateOutput(0, x.DType, new TensorShape(keep.Count));
        for (int k = 0; k < keep.Count; k++) Elements.Copy(x, keep[k], output, k, 1);
        Exec.IndexValues.Output(ctx, 1, outIdx, keep.ToArray());
    }

    private static void DenseSetOperation(OpKernelContext ctx, string op)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        if (a.DType != b.DType) throw ctx.Error($"set1 and set2 must have the same dtype, got {DataTypes.Name(a.DType)} and {DataTypes.Name(b.DType)}.");
        if (a.DType is DataType.DtFloat or DataType.DtDouble or DataType.DtHalf or DataType.DtBool) throw KernelAttrs.BadType(ctx.Node, a.DType);
        if (a.Shape.Rank < 2) throw ctx.Error($"Invalid rank {a.Shape.Rank} for set1 of shape {a.Shape}: expected rank >= 2.");
        if (b.Shape.Rank < 2) throw ctx.Error($"Invalid rank {b.Shape.Rank} for set2 of shape {b.Shape}: expected rank >= 2.");
        var groupDims = a.Shape.ToArray()[..^1];
        if (a.Shape.Rank != b.Shape.Rank || !groupDims.SequenceEqual(b.Shape.ToArray()[..^1]))
            throw ctx.Error($"Shapes {a.Shape} vs {b.Shape} mismatch: the group dims (all but the last) must be equal.");
        long groups = 1;
        foreach (var d in groupDims) groups *= d;
        int na = a.Shape[-1], nb = b.Shape[-1];
        var results = new List<List<(IComparable Key, Tensor Src, int At)>>();
        int maxSize = 0;
        for (long g = 0; g < groups; g++)
        {
            var setA = new SortedDictionary<IComparable, (Tensor, int)>(Comparer<IComparable>.Create((p, q) => p.CompareTo(q)));
            var setB = new SortedDictionary<IComparable, (Tensor, int)>(Comparer<IComparable>.Create((p, q) => p.CompareTo(q)));
            for (int i = 0; i < na; i++) setA.TryAdd(Key(a, (int)(g * na + i)), (a, (int)(g * na + i)));
            for (int i = 0; i < nb; i++) setB.TryAdd(Key(b, (int)(g * nb + i)), (b, (int)(g * nb + i)));
            IEnumerable<KeyValuePair<IComparable, (Tensor, int)>> members = op switch
            {
                "a-b" => setA.Where(kv => !setB.ContainsKey(kv.Key)),
                "b-a" => setB.Where(kv => !setA.ContainsKey(kv.Key)),
                "intersection" => setA.Where(kv => setB.ContainsKey(kv.Key)),
                _ => setA.Concat(setB.Where(kv => !setA.ContainsKey(kv.Key))).OrderBy(kv => kv.Key, Comparer<IComparable>.Create((p, q) => p.CompareTo(q))),
            };
            var list = members.Select(kv => (kv.Key, kv.Value.Item1, kv.Value.Item2)).ToList();
            maxSize = Math.Max(maxSize, list.Count);
            results.Add(list);
        }
        int total = results.Sum(r => r.Count), rank = a.Shape.Rank;
        var indices = ctx.AllocateOutput(0, DataType.DtInt64, new TensorShape(total, rank)).AsSpan<long>();
        var values = ctx.AllocateOutput(1, a.DType, new TensorShape(total));
        var shape = ctx.AllocateOutput(2, DataType.DtInt64, new TensorShape(rank)).AsSpan<long>();
        for (int d = 0; d < rank - 1; d++) shape[d] = groupDims[d];
        shape[rank - 1] = maxSize;
        int row = 0;
        for (int g = 0; g < results.Count; g++)
        {
            for (int k = 0; k < results[g].Count; k++, row++)
            {
                long rem = g;
                for (int d = rank - 2; d >= 0; d--) { indices[row * rank + d] = rem % groupDims[d]; rem /= groupDims[d]; }
                indices[row * rank + rank - 1] = k;
                Elements.Copy(results[g][k].Src, results[g][k].At, values, row, 1);
            }
        }
    }
}
