using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// The gradient of Einsum for one or two operands whose subscripts are plain letters (no ellipsis, no label repeated
/// within one operand), in the spirit of TF's <c>_EinsumGrad</c> (math_grad.py): the gradient of an operand is the
/// einsum of the output gradient with the other operand into that operand's labels; labels the operand sums away on
/// its own (in neither the output nor the other operand) are added back by broadcasting, as TF's
/// <c>_GetReducedSubscripts</c> step does. Other equations raise <see cref="NotSupportedException"/>.
/// </summary>
internal static class EinsumGradient
{
    public static void Register() => GradientRegistry.Register("Einsum", (c, op, g) =>
    {
        var b = c.Builder;
        string equation = op.GetString("equation").Replace(" ", "");
        int arrow = equation.IndexOf("->", StringComparison.Ordinal);
        var inputs = (arrow < 0 ? equation : equation[..arrow]).Split(',');
        if (arrow < 0 || inputs.Length > 2 || equation.Contains('.') || inputs.Any(s => s.Distinct().Count() != s.Length || !s.All(char.IsAsciiLetter)))
            throw new NotSupportedException($"Gradient of '{op.Name}' (Einsum '{equation}') is implemented for one or two operands with explicit output and plain, unrepeated labels only.");
        string output = equation[(arrow + 2)..];
        var grad = g[0]!.Value;
        var result = new Output?[inputs.Length];
        for (int k = 0; k < inputs.Length; k++)
        {
            string mine = inputs[k];
            string other = inputs.Length == 2 ? inputs[1 - k] : "";
            // Labels this operand keeps a dependence on through the output or the other operand.
            string kept = new(mine.Where(l => output.Contains(l) || other.Contains(l)).ToArray());
            var operands = inputs.Length == 2 ? new[] { grad, c.In(op, 1 - k) } : new[] { grad };
            string eq = (inputs.Length == 2 ? $"{output},{other}" : output) + "->" + kept;
            var partial = b.OutputOf(b.AddOperation("Einsum", operands, new Dictionary<string, AttrValue> { ["equation"] = Attrs.String(eq) }, "Einsum"));
            if (kept.Length != mine.Length)
            {
                // Insert a size-1 dim for each label summed only here, then broadcast to the operand's shape.
                for (int i = 0; i < mine.Length; i++)
                    if (!kept.Contains(mine[i])) partial = b.ExpandDims(partial, i, "ExpandDims");
                partial = b.OutputOf(b.AddOperation("BroadcastTo", [partial, c.ShapeOf(c.In(op, k))], null, "BroadcastTo"));
            }
            result[k] = partial;
        }
        return result;
    });
}
