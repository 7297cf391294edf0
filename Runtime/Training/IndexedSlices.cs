using System.Runtime.CompilerServices;
using TypedGraph.Building;

namespace TypedGraph.Training;

/// <summary>
/// TF's <c>IndexedSlices</c> gradient: the rows <see cref="Values"/> of a tensor of shape <see cref="DenseShape"/> at
/// row <see cref="Indices"/> (duplicates allowed, meaning a sum) — what the gradient of a Gather/ResourceGather on an
/// embedding is, so an optimizer can update only the looked-up rows (TF's <c>optimizer.py</c>: <c>_apply_sparse</c>).
/// </summary>
/// <param name="Values">[N] + row shape.</param>
/// <param name="Indices">[N] int32/int64 row ids.</param>
/// <param name="DenseShape">The dense tensor's shape (int32 vector).</param>
public readonly record struct IndexedSlices(Output Values, Output Indices, Output DenseShape);

/// <summary>
/// Remembers which dense gradient tensors are the dense form of an <see cref="IndexedSlices"/>. Gradient functions
/// return dense <see cref="Output"/>s (an UnsortedSegmentSum of the slices, which TF's <c>_IndexedSlicesToTensor</c>
/// would also produce); a gather's gradient registers its slices here, and <see cref="Optimizer.ApplyGradients"/>
/// takes the sparse path when it finds the gradient of a variable in this table — so the dense node is built but
/// never run. A gradient summed from several paths (AddN) is a new tensor and takes the dense path.
/// </summary>
public static class SparseGradients
{
    private static readonly ConditionalWeakTable<Graph, Dictionary<string, IndexedSlices>> s_table = new();

    /// <summary>Records that <paramref name="dense"/> is the dense form of <paramref name="slices"/>; returns <paramref name="dense"/>.</summary>
    public static Output Record(GraphBuilder b, Output dense, IndexedSlices slices)
    {
        s_table.GetOrCreateValue(b.Graph)[dense.Name] = slices;
        return dense;
    }

    /// <summary>The slices behind <paramref name="grad"/>, when it is a recorded dense form.</summary>
    public static bool TryGet(GraphBuilder b, Output grad, out IndexedSlices slices)
    {
        slices = default;
        return s_table.TryGetValue(b.Graph, out var d) && d.TryGetValue(grad.Name, out slices);
    }
}
