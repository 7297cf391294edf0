using System.Text;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Strings;

/// <summary>
/// ReduceJoin, following tensorflow/core/kernels/reduce_join_op.cc: joins the strings along
/// <c>reduction_indices</c> (negative counts from the end; out of range is an error, a repeated dim too) with
/// <c>separator</c>, dropping the reduced dims or keeping them as 1 (<c>keep_dims</c>). The order of the joined
/// strings is TF's: the FIRST listed reduction dim varies fastest (so on [[a, b], [c, d]] dims [0, 1] give "acbd"
/// and [1, 0] give "abcd", as the op's documentation shows). No reduction indices: each string is returned as is;
/// reducing an empty dim gives "".
/// </summary>
internal sealed class ReduceJoinKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("ReduceJoin", node =>
    {
        bool keepDims = node.GetBool("keep_dims", false);
        var separator = node.Attr("separator")?.S.ToByteArray() ?? [];
        return new DelegateKernel(node, ctx => Compute(ctx, keepDims, separator));
    });

    private static void Compute(OpKernelContext ctx, bool keepDims, byte[] separator)
    {
        var input = ctx.Input(0);
        if (input.DType != DataType.DtString) throw ctx.Error($"inputs must be strings, got {DataTypes.Name(input.DType)}.");
        var requested = IndexValues.Read(ctx, 1, "reduction_indices");
        int rank = input.Shape.Rank;
        var reduced = new bool[rank];
        var order = new List<int>(); // reduction dims, fastest-varying first
        foreach (long r in requested)
        {
            if (r < -rank || r >= rank) throw ctx.Error($"Invalid reduction dimension {r} for input with {rank} dimension(s)");
            int d = (int)(r < 0 ? r + rank : r);
            if (reduced[d]) throw ctx.Error($"Duplicate reduction dimension {r}");
            reduced[d] = true;
            order.Add(d);
        }
        var dims = input.Shape.ToArray();
        var strides = new long[rank];
        for (long s = 1, i = rank - 1; i >= 0; i--) { strides[i] = s; s *= dims[i]; }
        var kept = Enumerable.Range(0, rank).Where(d => !reduced[d]).ToArray();
        var outDims = new List<int>();
        for (int d = 0; d < rank; d++)
            if (!reduced[d]) outDims.Add(dims[d]);
            else if (keepDims) outDims.Add(1);
        var outShape = new TensorShape(outDims.ToArray());
        long perOutput = 1;
        foreach (int d in order) perOutput *= dims[d];
        var strings = input.Strings;
        var result = new byte[outShape.NumElements][];
        var buffer = new MemoryStream();
        for (long o = 0; o < result.Length; o++)
        {
            // The output's position among the kept dims, the last kept dim fastest (row-major).
            long baseIndex = 0, q = o;
            for (int k = kept.Length - 1; k >= 0; k--)
            {
                baseIndex += strides[kept[k]] * (q % dims[kept[k]]);
                q /= dims[kept[k]];
            }
            buffer.SetLength(0);
            for (long j = 0; j < perOutput; j++)
            {
                long offset = 0, r = j;
                foreach (int d in order)
                {
                    offset += strides[d] * (r % dims[d]);
                    r /= dims[d];
                }
                if (j > 0) buffer.Write(separator);
                buffer.Write(strings[baseIndex + offset]);
            }
            result[o] = buffer.ToArray();
        }
        ctx.SetOutput(0, new Tensor(outShape, result));
    }
}
