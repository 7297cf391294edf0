namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// How the fused cell kernels (<see cref="FusedLstmCellKernel"/>, <see cref="FusedGruCellKernel"/>) cut a batch of gate rows
/// into work blocks: whole rows, about <see cref="BlockFloats"/> floats per gate slice so a block's scratch stays in L1,
/// and at least <see cref="MinSpan"/> floats unless the whole tensor is shorter — so every Sigmoid/Tanh call covers at
/// least one Vector512 and computes each element as the separate op's call on the whole tensor does. The last block also
/// takes the rows left over.
/// </summary>
internal readonly record struct GateRowBlocks(long Rows, int BlockRows, long Count)
{
    /// <summary>Floats per gate slice in one block.</summary>
    public const int BlockFloats = 1024;

    /// <summary>The shortest span handed to the activations when the tensor is at least that long.</summary>
    public const int MinSpan = 16;

    /// <summary>The blocks for <paramref name="rows"/> rows of <paramref name="cell"/> units.</summary>
    public static GateRowBlocks For(long rows, int cell)
    {
        int minRows = (int)Math.Min(rows, (MinSpan + cell - 1) / cell);
        int blockRows = Math.Max(Math.Max(1, minRows), BlockFloats / cell);
        return new GateRowBlocks(rows, blockRows, Math.Max(1, rows / blockRows));
    }

    /// <summary>Runs <paramref name="block"/>(state, first row, rows) on every block, split across the cores when there are
    /// at least two blocks (~8 K floats of gates) per core: a smaller cell is cheaper on one core than a fork/join.</summary>
    public void Run<TState>(TState state, Action<TState, long, int> block)
        => Common.Workers.For(Count, 2, (Blocks: this, State: state, Block: block), static (st, b0, b1) =>
        {
            for (long b = b0; b < b1; b++)
            {
                var (first, count) = st.Blocks[b];
                st.Block(st.State, first, count);
            }
        });

    /// <summary>Block <paramref name="b"/>'s first row and row count.</summary>
    public (long First, int Count) this[long b]
    {
        get
        {
            long first = b * BlockRows, end = b == Count - 1 ? Rows : first + BlockRows;
            return (first, (int)(end - first));
        }
    }
}
