using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of BatchMatMulV2/V3 (math_grad.py <c>_BatchMatMulV2</c>): the same four adj_x/adj_y products as
/// BatchMatMul's (BatchMatMulV2 nodes, adjoints conjugate, so complex operands follow TF's convention), then, where the
/// batch dims were broadcast, each gradient summed over the broadcast axes and reshaped to its operand. The broadcast axes
/// come from the static shapes here (TF computes them with BroadcastGradientArgs at run time); an operand whose batch
/// shape is not static is refused when the shapes could differ.
/// </summary>
internal static class BatchMatMulV2Gradient
{
    public static void Register()
    {
        GradientRegistry.Register("BatchMatMulV2", Grad);
        GradientRegistry.Register("BatchMatMulV3", Grad);
    }

    private static Output?[] Grad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        var y = c.In(op, 1);
        var grad = g[0]!.Value;
        bool ax = op.GetBool("adj_x", false), ay = op.GetBool("adj_y", false);
        Output Bmm(Output p, Output q, bool aq, bool bq) => b.OutputOf(b.AddOperation("BatchMatMulV2", [p, q],
            new Dictionary<string, AttrValue> { ["adj_x"] = Attrs.Bool(aq), ["adj_y"] = Attrs.Bool(bq) }, "MatMul"));
        var (gx, gy) = (ax, ay) switch
        {
            (false, false) => (Bmm(grad, y, false, true), Bmm(x, grad, true, false)),
            (false, true) => (Bmm(grad, y, false, false), Bmm(grad, x, true, false)),
            (true, false) => (Bmm(y, grad, false, true), Bmm(x, grad, false, false)),
            (true, true) => (Bmm(y, grad, true, true), Bmm(grad, x, true, true)),
        };
        var sx = StaticShapes.Of(b, x);
        var sy = StaticShapes.Of(b, y);
        if (sx != null && sy != null && sx.Length == sy.Length && sx.Take(sx.Length - 2).SequenceEqual(sy.Take(sy.Length - 2)))
            return [gx, gy];
        if (sx == null || sy == null || sx.Contains(-1) || sy.Contains(-1))
            throw new NotSupportedException($"Gradient of '{op.Name}' ({op.Op}) needs the static shapes of both operands to reduce over broadcast batch dims.");
        return [ReduceTo(c, gx, sx, sy), ReduceTo(c, gy, sy, sx)];
    }

    // Sums a [batch…, m, n] gradient over the batch axes where `shape` was broadcast against `other`, then reshapes to `shape`.
    private static Output ReduceTo(GradientContext c, Output grad, long[] shape, long[] other)
    {
        int rank = Math.Max(shape.Length, other.Length);
        int batch = rank - 2;
        var axes = new List<int>();
        for (int i = 0; i < batch; i++)
        {
            int si = i - (rank - shape.Length);
            long mine = si >= 0 ? shape[si] : 1;
            int oi = i - (rank - other.Length);
            long theirs = oi >= 0 ? other[oi] : 1;
            if (mine == 1 && theirs != 1 || si < 0) axes.Add(i);
        }
        var b = c.Builder;
        var summed = axes.Count == 0 ? grad : b.OutputOf(b.AddOperation("Sum", [grad, c.Ints(axes.ToArray(), "reduction_indices")], null, "Sum"));
        return b.Reshape(summed, shape.Select(d => (int)d).ToArray(), "Reshape");
    }
}
