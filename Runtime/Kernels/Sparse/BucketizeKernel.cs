using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Sparse;

/// <summary>
/// <c>Bucketize(input; boundaries)</c> → int32 bucket ids, as <c>bucketized_column</c> emits: TF's
/// <c>bucketize_op.cc</c> returns <c>upper_bound(boundaries, x)</c>, i.e. the number of boundaries ≤ x, so a value
/// equal to a boundary goes to the bucket on its right. Boundaries (a float list attr) must be sorted; inputs are
/// int32, int64, float or double (TF's registered types), compared with the float boundaries in double precision.
/// </summary>
internal sealed class BucketizeKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Bucketize", n =>
    {
        var boundaries = n.Attr("boundaries")?.List?.F.Select(f => (double)f).ToArray() ?? [];
        for (int i = 1; i < boundaries.Length; i++)
            if (boundaries[i] < boundaries[i - 1]) throw KernelAttrs.Err(n, $"Expected sorted boundaries, got boundaries[{i}] = {boundaries[i]} < {boundaries[i - 1]}.");
        return new Exec.DelegateKernel(n, ctx =>
        {
            var x = ctx.Input(0);
            if (x.DType is not (DataType.DtInt32 or DataType.DtInt64 or DataType.DtFloat or DataType.DtDouble)) throw KernelAttrs.BadType(n, x.DType);
            var y = ctx.AllocateOutput(0, DataType.DtInt32, x.Shape).AsSpan<int>();
            for (int i = 0; i < y.Length; i++)
            {
                double v = Exec.ScalarValues.GetDouble(x, i);
                // upper_bound: first boundary strictly greater than v.
                int lo = 0, hi = boundaries.Length;
                while (lo < hi)
                {
                    int mid = (lo + hi) >>> 1;
                    if (boundaries[mid] <= v) lo = mid + 1; else hi = mid;
                }
                y[i] = lo;
            }
        });
    });
}
