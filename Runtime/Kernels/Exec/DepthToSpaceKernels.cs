using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>DepthToSpace</c> / <c>SpaceToDepth</c> (TF's <c>core/kernels/depthtospace_op.cc</c> and
/// <c>spacetodepth_op.cc</c>; YOLOv2's reorg layer, ESPCN / sub-pixel super-resolution). DepthToSpace in TF's "DCR"
/// order (<c>DepthToSpaceOpFunctor&lt;CPUDevice, T, FORMAT_NHWC&gt;</c>): <c>out(b, h, w, d) = in(b, h/bs, w/bs,
/// ((h%bs)·bs + w%bs)·C_out + d)</c>; SpaceToDepth is its inverse. TF's CPU kernels take NHWC only and refuse
/// NCHW ("Only NHWC data_format supported on CPU"); a GPU-exported graph with <c>data_format = "NCHW"</c> runs here
/// with the same element mapping in NCHW layout (TF's GPU functor), and NCHW_VECT_C is refused as TF refuses it on
/// every device. Every dtype (TF registers TF_CALL_ALL_TYPES on CPU, strings included).
/// </summary>
internal sealed class DepthToSpaceKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("DepthToSpace", node => Create(node, toSpace: true));
        registry.Add("SpaceToDepth", node => Create(node, toSpace: false));
    }

    private static OpKernel Create(Node node, bool toSpace)
    {
        long blockSize = node.GetInt("block_size");
        string format = node.GetString("data_format", "NHWC");
        return new DelegateKernel(node, ctx =>
        {
            if (format is not ("NHWC" or "NCHW" or "NCHW_VECT_C")) throw ctx.Error("Invalid data format");
            if (format == "NCHW_VECT_C") throw ctx.Error("NHWC_VECT_C kernel not yet implemented.");
            if (blockSize <= 1) throw ctx.Error($"Block size should be > 1: {blockSize}");
            var input = ctx.Input(0);
            if (input.Shape.Rank != 4) throw ctx.Error(toSpace ? $"Input rank should be: 4 instead of: {input.Shape.Rank}" : $"Input rank should be 4 instead of {input.Shape.Rank}");
            bool nchw = format == "NCHW";
            int bs = checked((int)blockSize);
            int n = input.Shape[0];
            int h = input.Shape[nchw ? 2 : 1], w = input.Shape[nchw ? 3 : 2], c = input.Shape[nchw ? 1 : 3];
            int oh, ow, oc;
            if (toSpace)
            {
                if (c % (bs * bs) != 0) throw ctx.Error($"Input depth dimension {c} should be divisible by: {bs * bs}");
                oh = h * bs; ow = w * bs; oc = c / (bs * bs);
            }
            else
            {
                if (w % bs != 0 || h % bs != 0) throw ctx.Error($"Image width {w} and height {h} should be divisible by block_size: {bs}");
                oh = h / bs; ow = w / bs; oc = c * bs * bs;
            }
            var output = ctx.AllocateOutput(0, input.DType, nchw ? new TensorShape(n, oc, oh, ow) : new TensorShape(n, oh, ow, oc));
            if (output.NumElements == 0) return;

            // (sh, sw, sd) index the space-side tensor (the output of DepthToSpace, the input of SpaceToDepth) and
            // (dh, dw, dd) the depth side: sd = d, dh = sh / bs, dw = sw / bs, dd = ((sh % bs)·bs + sw % bs)·C_space + d.
            int spaceH = toSpace ? oh : h, spaceW = toSpace ? ow : w, spaceC = toSpace ? oc : c;
            int depthH = toSpace ? h : oh, depthW = toSpace ? w : ow, depthC = toSpace ? c : oc;
            var space = toSpace ? output : input;
            var depth = toSpace ? input : output;
            bool strings = input.DType == DataType.DtString;
            int es = strings ? 1 : DataTypes.ElementSize(input.DType);
            for (int b = 0; b < n; b++)
                for (int sh = 0; sh < spaceH; sh++)
                    for (int sw = 0; sw < spaceW; sw++)
                    {
                        int dh = sh / bs, dw = sw / bs, dOffset = ((sh % bs) * bs + sw % bs) * spaceC;
                        if (!nchw)
                        {
                            // NHWC: the spaceC channels of one pixel are one contiguous run on both sides.
                            long spaceAt = (((long)b * spaceH + sh) * spaceW + sw) * spaceC;
                            long depthAt = (((long)b * depthH + dh) * depthW + dw) * depthC + dOffset;
                            Move(space, depth, spaceAt, depthAt, spaceC, toSpace, strings, es);
                        }
                        else
                            for (int d = 0; d < spaceC; d++)
                            {
                                long spaceAt = (((long)b * spaceC + d) * spaceH + sh) * spaceW + sw;
                                long depthAt = (((long)b * depthC + dOffset + d) * depthH + dh) * depthW + dw;
                                Move(space, depth, spaceAt, depthAt, 1, toSpace, strings, es);
                            }
                    }
        });
    }

    // Copies count elements between the two sides, towards the space side for DepthToSpace.
    private static void Move(Tensor space, Tensor depth, long spaceAt, long depthAt, int count, bool toSpace, bool strings, int es)
    {
        var (src, from, dst, to) = toSpace ? (depth, depthAt, space, spaceAt) : (space, spaceAt, depth, depthAt);
        if (strings) Array.Copy(src.Strings, from, dst.Strings, to, count);
        else src.Bytes.Slice(checked((int)(from * es)), count * es).CopyTo(dst.Bytes[checked((int)(to * es))..]);
    }
}
