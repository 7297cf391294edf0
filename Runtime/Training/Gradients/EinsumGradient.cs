using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of Einsum, after TF's <c>_EinsumGrad</c> (linalg_grad.py), for every equation the kernel runs: one or
/// two operands, <c>...</c> broadcast dims, labels repeated within an operand (diagonals, traces), and labels one
/// operand sums away on its own.
/// <list type="bullet">
/// <item>Unary <c>in->out</c> without summed labels: the reversed einsum <c>out->in</c> (a repeated input label
/// inflates onto the diagonal, so <c>ii->i</c> gives <c>i->ii</c>).</item>
/// <item>Binary: the gradient of x is <c>einsum(out,y->x')</c> where x' is x's subscripts without the labels only x
/// sums (TF's <c>_GetGradWrt</c>); those are put back as in <c>_GetGradReduced</c>.</item>
/// <item>With <c>...</c> in the output, an operand without one gets <c>...</c> appended, and each gradient is summed
/// over the batch dims its operand broadcast (<c>BroadcastGradientArgs</c> on the two batch sub-shapes), unless both
/// static batch shapes are known and equal — TF's steps.</item>
/// </list>
/// One deliberate difference in <c>_GetGradReduced</c>'s general branch (repeated labels, a transpose, or an ellipsis):
/// TF broadcasts the gradient to <c>[reduced dims…, grad dims…]</c> and einsums that into the operand's subscripts; we
/// einsum the gradient with a ones tensor shaped like the operand (<c>out,in->in</c>), which gives the same values
/// without gathering dims at negative axes. Equations without <c>-&gt;</c> (which TF's C++ op refuses but our kernel
/// accepts) are first given the kernel's implicit output.
/// </summary>
internal static class EinsumGradient
{
    private const string Ellipsis = "...";

    public static void Register() => GradientRegistry.Register("Einsum", (c, op, g) =>
    {
        string equation = op.GetString("equation").Replace(" ", "");
        int arrow = equation.IndexOf("->", StringComparison.Ordinal);
        var inputSubs = (arrow < 0 ? equation : equation[..arrow]).Split(',');
        if (inputSubs.Length is < 1 or > 2)
            throw new NotSupportedException($"Gradient of '{op.Name}' (Einsum '{equation}'): one or two operands only, as the Einsum kernel.");
        string outputSubs = arrow < 0 ? ImplicitOutput(inputSubs) : equation[(arrow + 2)..];
        var grad = g[0]!.Value;

        if (inputSubs.Length == 1)
        {
            var x = c.In(op, 0);
            var reduced = ReducedLabels(inputSubs[0], outputSubs);
            if (reduced.Count == 0) return [Einsum(c, [grad], $"{outputSubs}->{inputSubs[0]}")];
            return [GradReduced(c, grad, outputSubs, inputSubs[0], x, reduced)];
        }

        string xSubs = inputSubs[0], ySubs = inputSubs[1];
        // "...ij,jk->...ik" is valid with an empty batch on x, but the VJP "...ik,jk->ij" would drop the batch: give
        // every operand an ellipsis when the output has one (TF appends it).
        if (outputSubs.Contains(Ellipsis))
        {
            if (!xSubs.Contains(Ellipsis)) xSubs += Ellipsis;
            if (!ySubs.Contains(Ellipsis)) ySubs += Ellipsis;
        }
        Output xIn = c.In(op, 0), yIn = c.In(op, 1);
        var gx = GradWrt(c, grad, yIn, xIn, xSubs, ySubs, outputSubs, "x");
        var gy = GradWrt(c, grad, xIn, yIn, ySubs, xSubs, outputSubs, "y");
        if (!outputSubs.Contains(Ellipsis)) return [gx, gy];

        var b = c.Builder;
        var (bxStart, bxEnd) = BroadcastSubshape(xSubs);
        var (byStart, byEnd) = BroadcastSubshape(ySubs);
        var sx = StaticShapes.Of(b, xIn);
        var sy = StaticShapes.Of(b, yIn);
        if (sx != null && sy != null && sx.All(d => d >= 0) && sy.All(d => d >= 0)
            && sx[bxStart..(sx.Length + bxEnd)].SequenceEqual(sy[byStart..(sy.Length + byEnd)]))
            return [gx, gy];

        // Sum each gradient over the batch dims its operand broadcast, then reshape to the operand's shape.
        var xShape = b.Shape(xIn, "Shape");
        var yShape = b.Shape(yIn, "Shape_1");
        var args = b.AddOperation("BroadcastGradientArgs", [BatchShape(b, xShape, bxStart, bxEnd, "strided_slice"), BatchShape(b, yShape, byStart, byEnd, "strided_slice_1")], null, "BroadcastGradientArgs");
        gx = b.Reshape(Sum(b, gx, b.Add(b.OutputOf(args, 0), b.Constant(bxStart, "add/y"), "add"), "Sum"), xShape, "Reshape");
        gy = b.Reshape(Sum(b, gy, b.Add(b.OutputOf(args, 1), b.Constant(byStart, "add_1/y"), "add_1"), "Sum_1"), yShape, "Reshape_1");
        return [gx, gy];
    });

    /// <summary>The kernel's output for an equation without <c>-&gt;</c>: ellipsis dims, then the labels used once, sorted.</summary>
    private static string ImplicitOutput(string[] inputSubs)
    {
        var letters = string.Concat(inputSubs).Replace(Ellipsis, "");
        var once = letters.GroupBy(ch => ch).Where(grp => grp.Count() == 1).Select(grp => grp.Key).Order();
        return (inputSubs.Any(s => s.Contains(Ellipsis)) ? Ellipsis : "") + string.Concat(once);
    }

    /// <summary>Labels of <paramref name="inputSubs"/> in none of <paramref name="keptIn"/> (TF's <c>reduced_label_set</c>), in first-seen order.</summary>
    private static List<char> ReducedLabels(string inputSubs, string keptIn)
        => inputSubs.Where(ch => ch != '.' && !keptIn.Contains(ch)).Distinct().ToList();

    /// <summary>TF's <c>_GetGradWrt</c>: the VJP of a binary einsum with respect to one operand, before unbroadcasting.</summary>
    private static Output GradWrt(GradientContext c, Output grad, Output other, Output input, string inputSubs, string otherSubs, string outputSubs, string which)
    {
        var reduced = ReducedLabels(inputSubs, outputSubs + otherSubs);
        string leftSubs = new(inputSubs.Where(ch => !reduced.Contains(ch)).ToArray());
        var partial = Einsum(c, [grad, other], $"{outputSubs},{otherSubs}->{leftSubs}", "Einsum_" + which);
        return reduced.Count == 0 ? partial : GradReduced(c, partial, leftSubs, inputSubs, input, reduced);
    }

    /// <summary>
    /// TF's <c>_GetGradReduced</c>: the VJP of the unary einsum <c>inputSubs->outputSubs</c> that sums
    /// <paramref name="reduced"/> away. Plain case (no repeated characters — TF counts the dots of <c>...</c> as
    /// repeats — and the kept labels already in output order): size-1 dims at the summed axes, broadcast to the input
    /// shape. Otherwise an einsum with ones shaped like the input (see the class remarks).
    /// </summary>
    private static Output GradReduced(GradientContext c, Output grad, string outputSubs, string inputSubs, Output input, List<char> reduced)
    {
        var b = c.Builder;
        bool repeated = inputSubs.Distinct().Count() + outputSubs.Distinct().Count() < inputSubs.Length + outputSubs.Length;
        string withoutReduced = new(inputSubs.Where(ch => !reduced.Contains(ch)).ToArray());
        if (!repeated && withoutReduced == outputSubs)
        {
            var expanded = grad;
            for (int axis = 0; axis < inputSubs.Length; axis++)
                if (reduced.Contains(inputSubs[axis])) expanded = b.ExpandDims(expanded, axis, "ExpandDims");
            return b.OutputOf(b.AddOperation("BroadcastTo", [expanded, b.Shape(input, "Shape")], null, "BroadcastTo"));
        }
        return Einsum(c, [grad, b.OnesLike(input, "ones_like")], $"{outputSubs},{inputSubs}->{inputSubs}", "Einsum_reduced");
    }

    /// <summary>TF's <c>_GetBcastSubshape</c>: the axes <c>[start, rank + end)</c> the ellipsis covers (end ≤ 0).</summary>
    private static (int Start, int End) BroadcastSubshape(string subs)
    {
        int start = subs.IndexOf(Ellipsis, StringComparison.Ordinal);
        if (start < 0) return (0, 0);
        return (start, -(subs.Length - start - Ellipsis.Length));
    }

    /// <summary><c>shape[start:end]</c> as a StridedSlice (end 0 = to the end).</summary>
    private static Output BatchShape(GraphBuilder b, Output shape, int start, int end, string name)
    {
        var attrs = new Dictionary<string, AttrValue> { ["end_mask"] = Attrs.Int(end == 0 ? 1 : 0) };
        return b.OutputOf(b.AddOperation("StridedSlice",
            [shape, b.Constant(new[] { start }, name + "/stack"), b.Constant(new[] { end }, name + "/stack_1"), b.Constant(new[] { 1 }, name + "/stack_2")], attrs, name));
    }

    private static Output Sum(GraphBuilder b, Output x, Output axes, string name) => b.OutputOf(b.AddOperation("Sum", [x, axes], null, name));

    private static Output Einsum(GradientContext c, Output[] operands, string equation, string name = "Einsum")
        => c.Builder.OutputOf(c.Builder.AddOperation("Einsum", operands, new Dictionary<string, AttrValue> { ["equation"] = Attrs.String(equation) }, name));
}
