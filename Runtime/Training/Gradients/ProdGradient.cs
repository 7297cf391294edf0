using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of the Prod reduction, as tensorflow/python/ops/math_grad.py <c>_ProdGrad</c>: the reduced axes are
/// moved to the front and packed into one (Transpose + Reshape to [reduced_num, other_num]); the product of every
/// element but the current one is <c>cumprod(exclusive) · cumprod(exclusive, reverse)</c> along that axis — no
/// division, so zeros in the input are exact (one zero: only that element gets the product of the others; two or
/// more: all zero) — transposed back and multiplied by the gradient broadcast to the
/// input's shape. TF derives the permutation at run time (ListDiff); here it is built from the input's static rank
/// and constant reduction indices, which every Keras/TF graph we import carries (dims themselves may be unknown).
/// For complex inputs both cumprods are conjugated, as TF's ("the gradient is in the conjugate direction").
/// </summary>
internal static class ProdGradient
{
    public static void Register() => GradientRegistry.Register("Prod", Grad);

    private static Output?[] Grad(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var x = c.In(op, 0);
        int rank = StaticShapes.Of(b, x)?.Length
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' (Prod) needs the static rank of its input '{x.Name}'.");
        var axesRaw = StaticShapes.ConstValues(b, op.Inputs[1])
            ?? throw new NotSupportedException($"Gradient of '{op.Name}' (Prod) needs constant reduction indices, got '{op.Inputs[1]}'.");
        var reduced = new List<int>();
        foreach (var a in axesRaw)
        {
            if (a < -rank || a >= Math.Max(rank, 1))
                throw new InvalidOperationException($"Gradient of '{op.Name}' (Prod): reduction index {a} is out of range for an input of rank {rank}.");
            int axis = rank == 0 ? 0 : (int)((a + rank) % rank);
            if (rank > 0 && !reduced.Contains(axis)) reduced.Add(axis);
        }
        var other = Enumerable.Range(0, rank).Where(i => !reduced.Contains(i)).ToArray();
        var perm = reduced.Concat(other).ToArray();

        var inShape = b.Shape(x, "Shape");
        var grad = g[0]!.Value;
        if (!op.GetBool("keep_dims", false))
        {
            // reduced_shape: the input's dims with 1 on the reduced axes.
            var keep = Enumerable.Range(0, rank).Select(i => reduced.Contains(i) ? 0 : 1).ToArray();
            var kept = b.Add(b.Multiply(inShape, c.Ints(keep, "keep_mask")), c.Ints(keep.Select(k => 1 - k).ToArray(), "reduced_mask"), "reduced_shape");
            grad = b.Reshape(grad, kept, "Reshape");
        }
        grad = b.OutputOf(b.AddOperation("BroadcastTo", [grad, inShape], null, "BroadcastTo"));

        var reducedNum = b.OutputOf(b.AddOperation("Prod", [b.Gather(inShape, c.Ints([.. reduced], "reduced")), c.Ints([0], "Const")], null, "reduced_num"));
        var otherNum = b.OutputOf(b.AddOperation("Prod", [b.Gather(inShape, c.Ints(other, "other")), c.Ints([0], "Const_1")], null, "other_num"));
        var permuted = b.Transpose(x, perm, "transpose");
        var permutedShape = b.Shape(permuted, "Shape_1");
        var reshaped = b.Reshape(permuted, b.Stack([reducedNum, otherNum], 0, "stack"), "Reshape_1");

        // The product of the elements before (left) and after (right) each one along the packed reduced axis.
        var axis0 = b.Constant(0, "axis");
        var left = Cumprod(b, reshaped, axis0, reverse: false, "Cumprod");
        var right = Cumprod(b, reshaped, axis0, reverse: true, "Cumprod_1");
        // conj is no node for real dtypes.
        var y = b.Reshape(b.Multiply(ComplexGradients.Conj(c, left), ComplexGradients.Conj(c, right), "mul"), permutedShape, "Reshape_2");
        var inverse = new int[rank];
        for (int i = 0; i < rank; i++) inverse[perm[i]] = i;
        var outGrad = b.Multiply(grad, b.Transpose(y, inverse, "transpose_1"), "mul_1");
        return [b.Reshape(outGrad, inShape, "Reshape_3"), null];
    }

    private static Output Cumprod(GraphBuilder b, Output x, Output axis, bool reverse, string name)
        => b.OutputOf(b.AddOperation("Cumprod", [x, axis], new Dictionary<string, AttrValue>
        {
            ["exclusive"] = Attrs.Bool(true),
            ["reverse"] = Attrs.Bool(reverse),
        }, name));
}
