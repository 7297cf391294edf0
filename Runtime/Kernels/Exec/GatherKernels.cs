using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>Gather, GatherV2 (any axis, batch_dims 0) and Where (coordinates of true/non-zero elements).</summary>
internal sealed class GatherKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("Gather", node => new DelegateKernel(node, ctx => Gather(ctx, 0)));
        registry.Add("GatherV2", node =>
        {
            if (node.GetInt("batch_dims", 0) != 0) throw new GraphFormatException($"GatherV2 node '{node.Name}': batch_dims != 0 is not supported.");
            return new DelegateKernel(node, ctx => Gather(ctx, IndexValues.Scalar(ctx, 2, "axis")));
        });
        registry.Add("Where", node => new DelegateKernel(node, ctx =>
        {
            var x = ctx.Input(0);
            int n = checked((int)x.NumElements), rank = x.Shape.Rank;
            var hits = new List<int>();
            for (int i = 0; i < n; i++)
                if (x.DType == DataType.DtBool ? x.Bytes[i] != 0 : ScalarValues.GetDouble(x, i) != 0) hits.Add(i);
            var o = ctx.AllocateOutput(0, DataType.DtInt64, new TensorShape(hits.Count, rank));
            var dst = o.AsSpan<long>();
            var strides = StridedCopy.Strides(x.Shape.Dims);
            for (int h = 0; h < hits.Count; h++)
            {
                long rest = hits[h];
                for (int d = 0; d < rank; d++)
                {
                    dst[h * rank + d] = rest / strides[d];
                    rest %= strides[d];
                }
            }
        }));
    }

    private static void Gather(OpKernelContext ctx, long axisValue)
    {
        var p = ctx.Input(0);
        var indices = IndexValues.Read(ctx, 1, "indices");
        var indShape = ctx.Input(1).Shape;
        int axis = IndexValues.Axis(ctx, axisValue, p.Shape.Rank);
        var pd = p.Shape.ToArray();
        var dims = pd[..axis].Concat(indShape.ToArray()).Concat(pd[(axis + 1)..]).ToArray();
        var o = ctx.AllocateOutput(0, p.DType, new TensorShape(dims));
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= pd[i];
        for (int i = axis + 1; i < pd.Length; i++) inner *= pd[i];
        int limit = pd[axis];
        foreach (var idx in indices)
            if (idx < 0 || idx >= limit) throw ctx.Error($"index {idx} is not in [0, {limit}) (params shape {p.Shape}, axis {axis}).");
        int n = indices.Length;
        if (p.DType == DataType.DtString)
        {
            var s = p.Strings;
            var d = o.Strings;
            for (long a = 0; a < outer; a++)
                for (int j = 0; j < n; j++)
                    Array.Copy(s, (a * limit + indices[j]) * inner, d, (a * n + j) * inner, inner);
            return;
        }
        int es = DataTypes.ElementSize(p.DType);
        var src = p.Bytes;
        var dst = o.Bytes;
        int block = checked((int)(inner * es));
        for (long a = 0; a < outer; a++)
            for (int j = 0; j < n; j++)
                src.Slice(checked((int)((a * limit + indices[j]) * block)), block).CopyTo(dst.Slice(checked((int)((a * n + j) * block)), block));
    }
}
