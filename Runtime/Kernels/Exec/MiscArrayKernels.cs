using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// Array ops that TF1 gradient and utility subgraphs use: InvertPermutation (Transpose's gradient),
/// DynamicStitch/ParallelDynamicStitch (reduction gradients), ReverseV2, BroadcastTo, BroadcastArgs,
/// and Unique. (Assert and Print are in Kernels/Logging.)
/// </summary>
internal sealed class MiscArrayKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("InvertPermutation", node => new DelegateKernel(node, ctx =>
        {
            var x = IndexValues.Read(ctx, 0, "x");
            var y = new int[x.Length];
            var seen = new bool[x.Length];
            for (int i = 0; i < x.Length; i++)
            {
                if (x[i] < 0 || x[i] >= x.Length || seen[x[i]]) throw ctx.Error($"[{string.Join(", ", x)}] is not a permutation.");
                seen[x[i]] = true;
                y[x[i]] = i;
            }
            IndexValues.Output(ctx, 0, ctx.Input(0).DType, y);
        }));
        registry.Add(["DynamicStitch", "ParallelDynamicStitch"], node => new DelegateKernel(node, DynamicStitch));
        registry.Add("ReverseV2", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            int rank = x.Shape.Rank;
            var strides = StridedCopy.Strides(x.Shape.Dims);
            var src = (long[])strides.Clone();
            long start = 0;
            foreach (var a in IndexValues.Read(ctx, 1, "axis").Select(a => IndexValues.Axis(ctx, a, rank)).Distinct())
            {
                start += (x.Shape[a] - 1) * strides[a];
                src[a] = -strides[a];
            }
            var o = ctx.AllocateOutput(0, x.DType, x.Shape);
            StridedCopy.Run(x, start, src, o, 0, strides, x.Shape.Dims);
        }));
        registry.Add("BroadcastTo", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            var target = IndexValues.Read(ctx, 1, "shape");
            int rank = target.Length, offset = rank - x.Shape.Rank;
            if (offset < 0) throw ctx.Error($"cannot broadcast shape {x.Shape} to rank {rank}.");
            var dims = target.Select(d => checked((int)d)).ToArray();
            var inStrides = StridedCopy.Strides(x.Shape.Dims);
            var src = new long[rank];
            for (int i = 0; i < x.Shape.Rank; i++)
            {
                int d = x.Shape[i], t = dims[offset + i];
                if (d != t && d != 1) throw ctx.Error($"cannot broadcast shape {x.Shape} to [{string.Join(", ", target)}].");
                src[offset + i] = d == 1 ? 0 : inStrides[i]; // stride 0 repeats a size-1 dim
            }
            var o = ctx.AllocateOutput(0, x.DType, new TensorShape(dims));
            StridedCopy.Run(x, 0, src, o, 0, StridedCopy.Strides(dims), dims);
        }));
        registry.Add("BroadcastArgs", node => new DelegateKernel(node, ctx =>
        {
            var a = IndexValues.Read(ctx, 0, "s0");
            var b = IndexValues.Read(ctx, 1, "s1");
            int rank = Math.Max(a.Length, b.Length);
            var r = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                long x = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
                long y = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
                if (x != y && x != 1 && y != 1) throw ctx.Error($"incompatible shapes [{string.Join(", ", a)}] and [{string.Join(", ", b)}].");
                r[i] = (int)(x == 1 ? y : x);
            }
            IndexValues.Output(ctx, 0, ctx.Input(0).DType, r);
        }));
        registry.Add("Unique", node =>
        {
            var outIdx = node.GetType("out_idx", DataType.DtInt32);
            return new DelegateKernel(node, ctx =>
            {
                var x = ctx.Input(0);
                if (x.Shape.Rank != 1) throw ctx.Error($"x must be a vector, got shape {x.Shape}.");
                var first = new Dictionary<string, int>(StringComparer.Ordinal);
                var order = new List<int>();
                var idx = new int[x.Shape[0]];
                for (int i = 0; i < idx.Length; i++)
                {
                    var key = x.DType == DataType.DtString ? Convert.ToBase64String(x.Strings[i])
                        : Convert.ToBase64String(x.Bytes.Slice(i * DataTypes.ElementSize(x.DType), DataTypes.ElementSize(x.DType)));
                    if (!first.TryGetValue(key, out int u))
                    {
                        first[key] = u = order.Count;
                        order.Add(i);
                    }
                    idx[i] = u;
                }
                var y = ctx.AllocateOutput(0, x.DType, new TensorShape(order.Count));
                for (int k = 0; k < order.Count; k++)
                    StridedCopy.Run(x, order[k], [1], y, k, [1], [1]);
                IndexValues.Output(ctx, 1, outIdx, idx);
            });
        });
    }

    private static void DynamicStitch(OpKernelContext ctx)
    {
        int n = ctx.InputCount / 2;
        var indices = Enumerable.Range(0, n).Select(i => IndexValues.Read(ctx, i, "indices")).ToArray();
        var first = ctx.Input(n);
        int firstIndexRank = ctx.Input(0).Shape.Rank;
        var inner = first.Shape.Dims[firstIndexRank..].ToArray();
        long innerSize = inner.Aggregate(1L, (a, d) => a * d);
        int rows = indices.Length == 0 ? 0 : (int)(indices.Max(ix => ix.Length == 0 ? -1 : ix.Max()) + 1);
        var o = ctx.AllocateOutput(0, first.DType, new TensorShape([rows, .. inner]));
        for (int m = 0; m < n; m++)
        {
            var data = ctx.Input(n + m);
            if (data.DType != first.DType || data.NumElements != indices[m].Length * innerSize)
                throw ctx.Error($"data[{m}] has shape {data.Shape}, which does not match indices[{m}] of shape {ctx.Input(m).Shape} plus [{string.Join(", ", inner)}].");
            for (int i = 0; i < indices[m].Length; i++)
            {
                long row = indices[m][i];
                if (row < 0) throw ctx.Error($"index {row} is negative.");
                StridedCopy.Run(data, i * innerSize, [1], o, row * innerSize, [1], [checked((int)innerSize)]);
            }
        }
    }
}
