using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>SpaceToBatchND</c> / <c>BatchToSpaceND</c> and their old 4-D forms <c>SpaceToBatch</c> / <c>BatchToSpace</c>
/// (attr <c>block_size</c>, both spatial dims) — TF's <c>core/kernels/spacetobatch_op.cc</c>
/// (<c>SpaceToBatchOpCompute</c>), <c>batchtospace_op.cc</c> (<c>BatchToSpaceOpCompute</c>) and the element mapping of
/// <c>spacetobatch_functor.cc</c>. TF1's <c>tf.nn.convolution</c> / <c>atrous_conv2d</c> lower a dilated convolution
/// to SpaceToBatchND → Conv2D → BatchToSpaceND, so DeepLab- and WaveNet-style frozen graphs carry these.
/// <para>The input is <c>[batch] + spatial (M dims) + remaining</c>. Output batch index <c>ob = blk·batch + b</c>, where
/// <c>blk</c> enumerates the offsets inside a block row-major (last block dim fastest); output spatial position
/// <c>p</c> maps to padded input position <c>p·block + offset</c>, i.e. input <c>p·block + offset − pad_start</c>; SpaceToBatch
/// writes zeros where that falls into the padding, BatchToSpace drops (crops) those elements. Every dtype is moved
/// as raw elements (TF registers the real number types; strings and bool move the same way here).</para>
/// </summary>
internal sealed class SpaceToBatchKernels : KernelSet
{
    // TF's kMaxSpaceToBatchBlockDims (spacetobatch_functor.h): the functor is instantiated for 1…4 block dims that
    // are not folded into batch or depth.
    private const int MaxInternalBlockDims = 4;

    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("SpaceToBatchND", node => new DelegateKernel(node, ctx =>
            Compute(ctx, ctx.Input(0), ReadBlockShape(ctx), ReadPairs(ctx, 2, "paddings"), toBatch: true)));
        registry.Add("BatchToSpaceND", node => new DelegateKernel(node, ctx =>
            Compute(ctx, ctx.Input(0), ReadBlockShape(ctx), ReadPairs(ctx, 2, "crops"), toBatch: false)));
        registry.Add("SpaceToBatch", node => OldForm(node, toBatch: true));
        registry.Add("BatchToSpace", node => OldForm(node, toBatch: false));
    }

    // SpaceToBatchOp / BatchToSpaceOp: block_shape = [block_size, block_size] over H and W of a 4-D input.
    private static OpKernel OldForm(Node node, bool toBatch)
    {
        long blockSize = node.GetInt("block_size");
        return new DelegateKernel(node, ctx =>
        {
            if (blockSize <= 1) throw ctx.Error($"Block size should be > 1: {blockSize}");
            var input = ctx.Input(0);
            // TF's text, missing space included ("Input rank should be: 4instead of: 3").
            if (input.Shape.Rank != 4) throw ctx.Error($"Input rank should be: 4instead of: {input.Shape.Rank}");
            Compute(ctx, input, [blockSize, blockSize], ReadPairs(ctx, 1, toBatch ? "paddings" : "crops"), toBatch);
        });
    }

    private static (long[] Values, TensorShape Shape) ReadBlockShape(OpKernelContext ctx)
        => (IndexValues.Read(ctx, 1, "block_shape"), ctx.Input(1).Shape);

    private static (long[] Values, TensorShape Shape) ReadPairs(OpKernelContext ctx, int input, string what)
        => (IndexValues.Read(ctx, input, what), ctx.Input(input).Shape);

    private static void Compute(OpKernelContext ctx, Tensor input, long[] block, (long[] Values, TensorShape Shape) pairs, bool toBatch)
        => Compute(ctx, input, (block, new TensorShape(block.Length)), pairs, toBatch);

    private static void Compute(OpKernelContext ctx, Tensor input, (long[] Values, TensorShape Shape) blockArg, (long[] Values, TensorShape Shape) pairArg, bool toBatch)
    {
        string pairName = toBatch ? "paddings" : "crops";
        if (blockArg.Shape.Rank != 1) throw ctx.Error($"block_shape rank should be 1 instead of {blockArg.Shape.Rank}");
        var block = blockArg.Values;
        int m = block.Length, rank = input.Shape.Rank;
        if (rank < 1 + m) throw ctx.Error($"input rank should be >= {1 + m} instead of {rank}");
        if (pairArg.Shape.Rank != 2 || pairArg.Shape[0] != m || pairArg.Shape[1] != 2)
            throw ctx.Error($"{pairName} should have shape [{m}, 2] instead of {pairArg.Shape}");
        var pairs = pairArg.Values;

        // TF folds leading/trailing block dims with block 1 and no padding into batch/depth; only the count of the rest
        // is limited, and only the rest has its paddings/crops checked (a folded dim has zeros anyway).
        int prefix = 0;
        while (prefix < m && pairs[2 * prefix] == 0 && pairs[2 * prefix + 1] == 0 && block[prefix] == 1) prefix++;
        int suffix = 0;
        while (suffix < m - prefix && pairs[2 * (m - 1 - suffix)] == 0 && pairs[2 * (m - 1 - suffix) + 1] == 0 && block[m - 1 - suffix] == 1) suffix++;

        long product = 1;
        for (int d = 0; d < m; d++)
        {
            // SpaceToBatchOpCompute checks every value; BatchToSpaceOpCompute only the product (a pair of negative
            // values would reach its functor) — both refuse here with the SpaceToBatch text.
            if (block[d] < 1) throw ctx.Error($"All values in block_shape must be positive, got value, {block[d]} at index {d}.");
            product = checked(product * block[d]);
        }
        int internalDims = m - prefix - suffix;
        long batch = input.Shape[0];
        if (!toBatch && batch % product != 0)
            throw ctx.Error($"Input batch dimension ({batch}) is not divisible by product of block sizes ({product})");
        if (internalDims > MaxInternalBlockDims)
            throw ctx.Error($"Maximum number of non-combined block dimensions is {internalDims} but must not exceed {MaxInternalBlockDims}");

        // Output dims; the "space" side has the spatial extent, the "batch" side the multiplied batch.
        var outDims = input.Shape.ToArray();
        var spaceDims = new long[m];
        var batchDims = new long[m];
        for (int d = 0; d < m; d++)
        {
            long size = input.Shape[d + 1], start = pairs[2 * d], end = pairs[2 * d + 1];
            bool folded = d < prefix || d >= m - suffix;
            if (toBatch)
            {
                if (!folded && (start < 0 || end < 0)) throw ctx.Error("Paddings must be non-negative");
                long padded = size + start + end;
                if (!folded && padded % block[d] != 0)
                    throw ctx.Error($"padded_shape[{d}]={padded} is not divisible by block_shape[{d}]={block[d]}");
                spaceDims[d] = size;
                batchDims[d] = padded / block[d];
                outDims[d + 1] = checked((int)batchDims[d]);
            }
            else
            {
                if (!folded && (start < 0 || end < 0)) throw ctx.Error("Crops must be non-negative");
                long cropped = size * block[d] - start - end;
                if (!folded && cropped < 0) throw ctx.Error($"cropped_shape[{d}]={cropped} must be non-negative");
                spaceDims[d] = cropped;
                batchDims[d] = size;
                outDims[d + 1] = checked((int)cropped);
            }
        }
        outDims[0] = checked((int)(toBatch ? batch * product : batch / product));
        long spaceBatch = toBatch ? batch : batch / product;
        long depth = 1;
        for (int d = m + 1; d < rank; d++) depth *= input.Shape[d];

        var output = ctx.AllocateOutput(0, input.DType, new TensorShape(outDims));
        if (output.NumElements == 0 || input.NumElements == 0) return;
        var space = toBatch ? input : output;
        var batched = toBatch ? output : input;
        bool strings = input.DType == DataType.DtString;
        int es = strings ? 1 : DataTypes.ElementSize(input.DType);
        if (toBatch && !strings) output.Bytes.Clear(); // padding positions stay zero (pooled buffers are not)

        // Walk every position of the batch-side tensor [batch·P, batchDims...]; each moves one depth run.
        long positionsPerBatch = 1;
        for (int d = 0; d < m; d++) positionsPerBatch *= batchDims[d];
        long batchedBatch = toBatch ? batch * product : batch;
        var coord = new long[m];
        var offset = new long[m];
        for (long ob = 0; ob < batchedBatch; ob++)
        {
            long b = ob % spaceBatch, blk = ob / spaceBatch;
            for (int d = m - 1; d >= 0; d--) { offset[d] = blk % block[d]; blk /= block[d]; }
            Array.Clear(coord);
            for (long p = 0; p < positionsPerBatch; p++)
            {
                long spaceIndex = b;
                bool inside = true;
                for (int d = 0; d < m; d++)
                {
                    long s = coord[d] * block[d] + offset[d] - pairs[2 * d];
                    if (s < 0 || s >= spaceDims[d]) { inside = false; break; }
                    spaceIndex = spaceIndex * spaceDims[d] + s;
                }
                if (inside)
                {
                    long batchIndex = ob * positionsPerBatch + p;
                    long from = toBatch ? spaceIndex : batchIndex, to = toBatch ? batchIndex : spaceIndex;
                    var src = toBatch ? space : batched;
                    var dst = toBatch ? batched : space;
                    if (strings) Array.Copy(src.Strings, from * depth, dst.Strings, to * depth, depth);
                    else src.Bytes.Slice(checked((int)(from * depth * es)), checked((int)(depth * es))).CopyTo(dst.Bytes[checked((int)(to * depth * es))..]);
                }
                for (int d = m - 1; d >= 0; d--)
                {
                    if (++coord[d] < batchDims[d]) break;
                    coord[d] = 0;
                }
            }
        }
    }
}
