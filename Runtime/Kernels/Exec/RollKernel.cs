using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>Roll</c> (TF's <c>core/kernels/roll_op.cc</c>, <c>tf.roll</c>): every element moves <c>shift[i]</c> places along
/// <c>axis[i]</c>, wrapping around; shifts on the same axis add up, negative axes count from the end, negative shifts
/// move towards the start. Any dtype (TF_CALL_ALL_TYPES); shift and axis int32 or int64.
/// </summary>
internal sealed class RollKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Roll", node => new DelegateKernel(node, ctx =>
    {
        var input = ctx.Input(0);
        int rank = input.Shape.Rank;
        if (rank < 1) throw ctx.Error("input must be 1-D or higher");
        if (ctx.Input(1).Shape.Rank > 1) throw ctx.Error($"shift must be a scalar or a 1-D vector. Found: {ctx.Input(1).Shape}");
        if (ctx.Input(2).Shape.Rank > 1) throw ctx.Error($"axis must be a scalar or a 1-D vector. Found: {ctx.Input(2).Shape}");
        var shift = IndexValues.Read(ctx, 1, "shift");
        var axis = IndexValues.Read(ctx, 2, "axis");
        if (shift.Length != axis.Length) throw ctx.Error("shift and axis must have the same size");

        // Net shift per dim, reduced into [0, dim).
        var net = new long[rank];
        for (int i = 0; i < axis.Length; i++)
        {
            long a = axis[i] < 0 ? axis[i] + rank : axis[i];
            if (a < 0 || a >= rank) throw ctx.Error($"axis {axis[i]} is out of range");
            net[a] += shift[i];
        }
        var output = ctx.AllocateOutput(0, input.DType, input.Shape);
        long n = input.NumElements;
        if (n == 0) return;
        for (int d = 0; d < rank; d++)
        {
            long size = input.Shape[d];
            net[d] = size == 0 ? 0 : ((net[d] % size) + size) % size;
        }
        // Contiguous runs: the dims after the last rolled one move together.
        int last = rank - 1;
        while (last >= 0 && net[last] == 0) last--;
        long block = 1;
        for (int d = last + 1; d < rank; d++) block *= input.Shape[d];
        bool strings = input.DType == DataType.DtString;
        int es = strings ? 1 : DataTypes.ElementSize(input.DType);
        if (last < 0)
        {
            if (strings) Array.Copy(input.Strings, output.Strings, n);
            else input.Bytes.CopyTo(output.Bytes);
            return;
        }
        var index = new long[last + 1];
        long blocks = n / block;
        for (long src = 0; src < blocks; src++)
        {
            // Destination block of this source block: every rolled coordinate moves by its net shift.
            long dst = 0;
            for (int d = 0; d <= last; d++)
            {
                long size = input.Shape[d];
                dst = dst * size + (index[d] + net[d]) % size;
            }
            if (strings) Array.Copy(input.Strings, src * block, output.Strings, dst * block, block);
            else input.Bytes.Slice(checked((int)(src * block * es)), checked((int)(block * es))).CopyTo(output.Bytes[checked((int)(dst * block * es))..]);
            for (int d = last; d >= 0; d--)
            {
                if (++index[d] < input.Shape[d]) break;
                index[d] = 0;
            }
        }
    }));
}
