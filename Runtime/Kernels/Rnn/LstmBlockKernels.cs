using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// TF's fused LSTM ops (tensorflow/core/kernels/rnn/lstm_ops.cc, op defs in core/ops/rnn_ops.cc): LSTMBlockCell (one
/// step, tf.contrib.rnn.LSTMBlockCell), BlockLSTM (a whole [time, batch, input] sequence, tf.contrib.rnn.LSTMBlockFusedCell
/// — e.g. Mozilla DeepSpeech 0.x), BlockLSTMV2 (i, f, ci, o gate order, no forget_bias) and their gradient kernels
/// LSTMBlockCellGrad, BlockLSTMGrad, BlockLSTMGradV2. float only: TF also registers half on CPU, refused here with an
/// error naming the node.
/// </summary>
internal sealed class LstmBlockKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("LSTMBlockCell", n => new LstmBlockCellKernel(n));
        registry.Add("LSTMBlockCellGrad", n => new LstmBlockCellGradKernel(n));
        registry.Add("BlockLSTM", n => new BlockLstmKernel(n, LstmGateLayout.Icfo));
        registry.Add("BlockLSTMV2", n => new BlockLstmKernel(n, LstmGateLayout.Ifco));
        registry.Add("BlockLSTMGrad", n => new BlockLstmGradKernel(n, LstmGateLayout.Icfo));
        registry.Add("BlockLSTMGradV2", n => new BlockLstmGradKernel(n, LstmGateLayout.Ifco));
    }

    /// <summary>The shape checks every LSTM kernel makes on (cs_prev, h_prev, w, wci, wcf, wco, b), with TF's messages
    /// (LSTMBlockCellOp / BlockLSTMOp::Compute); returns the cell size.</summary>
    internal static int CheckWeights(Func<string, GraphExecutionException> error, int batch, int input,
        Tensor csPrev, Tensor hPrev, Tensor w, Tensor wci, Tensor wcf, Tensor wco, Tensor b)
    {
        foreach (var t in new[] { csPrev, hPrev, w, wci, wcf, wco, b })
            if (t.DType != DataType.DtFloat)
                throw error(t.DType == DataType.DtHalf ? "T=half is not supported (TypedGraph's LSTM kernels are float only)." : $"expected float inputs, got {DataTypes.Name(t.DType)}.");
        if (csPrev.Shape.Rank != 2) throw error($"cs_prev must be rank 2 but is rank {csPrev.Shape.Rank}.");
        if (hPrev.Shape.Rank != 2) throw error($"h_prev must be rank 2 but is rank {hPrev.Shape.Rank}.");
        if (w.Shape.Rank != 2) throw error($"w must be rank 2 but is rank {w.Shape.Rank}.");
        foreach (var (t, name) in new[] { (wci, "wci"), (wcf, "wcf"), (wco, "wco"), (b, "b") })
            if (t.Shape.Rank != 1) throw error($"{name} must be rank 1 but is rank {t.Shape.Rank}.");
        int cell = csPrev.Shape[1];
        if (csPrev.Shape[0] != batch) throw error($"cs_prev.dims(0) != batch_size: {csPrev.Shape[0]} vs. {batch}");
        if (hPrev.Shape[0] != batch) throw error($"h_prev.dims(0) != batch_size: {hPrev.Shape[0]} vs. {batch}");
        if (hPrev.Shape[1] != cell) throw error($"h_prev.dims(1) != cell_size: {hPrev.Shape[1]} vs. {cell}");
        if (w.Shape[0] != input + cell) throw error($"w.dim_size(0) != input_size + cell_size: {w.Shape[0]} vs. {input + cell}");
        if (w.Shape[1] != cell * 4) throw error($"w.dim_size(1) != cell_size * 4: {w.Shape[1]} vs. {cell * 4}");
        foreach (var (t, name) in new[] { (wci, "wci"), (wcf, "wcf"), (wco, "wco") })
            if (t.Shape[0] != cell) throw error($"{name}.dim_size(0) != cell_size: {t.Shape[0]} vs. {cell}");
        if (b.Shape[0] != cell * 4) throw error($"b.dim_size(0) != cell_size * 4: {b.Shape[0]} vs. {cell * 4}");
        return cell;
    }

    /// <summary>Checks that <paramref name="t"/> is float of exactly <paramref name="dims"/> (the forward outputs and
    /// incoming gradients a gradient kernel is fed).</summary>
    internal static void CheckShape(Func<string, GraphExecutionException> error, Tensor t, string name, params int[] dims)
    {
        if (t.DType != DataType.DtFloat) throw error($"{name} must be float, got {DataTypes.Name(t.DType)}.");
        if (!t.Shape.Dims.SequenceEqual(dims))
            throw error($"{name} must have shape [{string.Join(", ", dims)}] (time dimension, batch, cell), got {t.Shape}.");
    }

    /// <summary>seq_len_max as BlockLSTMOp reads it: an int64 scalar in [0, timelen].</summary>
    internal static int SeqLenMax(Func<string, GraphExecutionException> error, Tensor t, int timelen)
    {
        if (t.Shape.Rank != 0) throw error($"`seq_len_max_tensor` must be rank 0 but is rank {t.Shape.Rank}");
        if (t.DType != DataType.DtInt64) throw error($"seq_len_max must be int64, got {DataTypes.Name(t.DType)}.");
        long v = t.Scalar<long>();
        if (v < 0 || v > timelen) throw error($"seq_len_max must be between 0 and {timelen} but is {v}");
        return (int)v;
    }
}

/// <summary>LSTMBlockCell: one step; outputs (i, cs, f, o, ci, co, h), each [batch, cell].</summary>
internal sealed class LstmBlockCellKernel : OpKernel
{
    private readonly float _forgetBias, _cellClip;
    private readonly bool _peephole;

    public LstmBlockCellKernel(Node node) : base(node)
    {
        _forgetBias = node.GetFloat("forget_bias", 1f);
        _cellClip = node.GetFloat("cell_clip", 3f);
        _peephole = node.GetBool("use_peephole", false);
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.Shape.Rank != 2) throw Error($"x_tensor must be rank 2 but is rank {x.Shape.Rank}.");
        if (x.DType != DataType.DtFloat) throw Error(x.DType == DataType.DtHalf ? "T=half is not supported (TypedGraph's LSTM kernels are float only)." : $"expected float inputs, got {DataTypes.Name(x.DType)}.");
        int batch = x.Shape[0], input = x.Shape[1];
        Tensor csPrev = context.Input(1), hPrev = context.Input(2), w = context.Input(3), b = context.Input(7);
        Tensor wci = context.Input(4), wcf = context.Input(5), wco = context.Input(6);
        int cell = LstmBlockKernels.CheckWeights(Error, batch, input, csPrev, hPrev, w, wci, wcf, wco, b);
        if (batch == 0 || cell == 0) throw Error($"cs_prev_tensor is empty, has shape: ({batch},{cell}).");
        var outs = new Tensor[7];
        for (int k = 0; k < 7; k++) outs[k] = context.AllocateOutput(k, DataType.DtFloat, [batch, cell]);
        var xh = new float[batch * (input + cell)];
        var gates = new float[batch * 4 * cell];
        LstmBlockMath.Forward(batch, input, cell, LstmGateLayout.Icfo, _forgetBias, _cellClip, _peephole,
            x.AsSpan<float>(), csPrev.AsSpan<float>(), hPrev.AsSpan<float>(), w.AsSpan<float>(),
            wci.AsSpan<float>(), wcf.AsSpan<float>(), wco.AsSpan<float>(), b.AsSpan<float>(), xh, gates,
            outs[0].AsSpan<float>(), outs[1].AsSpan<float>(), outs[2].AsSpan<float>(), outs[3].AsSpan<float>(),
            outs[4].AsSpan<float>(), outs[5].AsSpan<float>(), outs[6].AsSpan<float>());
    }
}

/// <summary>
/// LSTMBlockCellGrad: (cs_prev_grad [batch, cell], dicfo [batch, 4·cell], wci_grad, wcf_grad, wco_grad [cell]); the
/// peephole gradients are zero without peepholes (LSTMBlockCellGradOp zeroes them first). The x/h_prev/w/b gradients
/// come from dicfo in the Python gradient (MatMul, Slice, BiasAddGrad), as contrib's lstm_ops.py builds them.
/// </summary>
internal sealed class LstmBlockCellGradKernel(Node node) : OpKernel(node)
{
    private readonly bool _peephole = node.GetBool("use_peephole", false);

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.Shape.Rank != 2) throw Error($"x must be rank 2 but is rank {x.Shape.Rank}.");
        if (x.DType != DataType.DtFloat) throw Error($"expected float inputs, got {DataTypes.Name(x.DType)}.");
        int batch = x.Shape[0], input = x.Shape[1];
        Tensor csPrev = context.Input(1), hPrev = context.Input(2), w = context.Input(3), b = context.Input(7);
        Tensor wci = context.Input(4), wcf = context.Input(5), wco = context.Input(6);
        int cell = LstmBlockKernels.CheckWeights(Error, batch, input, csPrev, hPrev, w, wci, wcf, wco, b);
        string[] names = ["i", "cs", "f", "o", "ci", "co", "cs_grad", "h_grad"];
        var v = new Tensor[8];
        for (int k = 0; k < 8; k++)
        {
            v[k] = context.Input(8 + k);
            LstmBlockKernels.CheckShape(Error, v[k], names[k], batch, cell);
        }
        var csPrevGrad = context.AllocateOutput(0, DataType.DtFloat, [batch, cell]);
        var dicfo = context.AllocateOutput(1, DataType.DtFloat, [batch, 4 * cell]);
        var wciGrad = context.AllocateOutput(2, DataType.DtFloat, [cell]);
        var wcfGrad = context.AllocateOutput(3, DataType.DtFloat, [cell]);
        var wcoGrad = context.AllocateOutput(4, DataType.DtFloat, [cell]);
        wciGrad.AsSpan<float>().Clear();
        wcfGrad.AsSpan<float>().Clear();
        wcoGrad.AsSpan<float>().Clear();
        LstmBlockMath.Backward(batch, cell, LstmGateLayout.Icfo, _peephole, csPrev.AsSpan<float>(),
            v[0].AsSpan<float>(), v[1].AsSpan<float>(), v[2].AsSpan<float>(), v[3].AsSpan<float>(), v[4].AsSpan<float>(), v[5].AsSpan<float>(),
            v[6].AsSpan<float>(), v[7].AsSpan<float>(), wci.AsSpan<float>(), wcf.AsSpan<float>(), wco.AsSpan<float>(),
            dicfo.AsSpan<float>(), csPrevGrad.AsSpan<float>(), wciGrad.AsSpan<float>(), wcfGrad.AsSpan<float>(), wcoGrad.AsSpan<float>());
    }
}

/// <summary>
/// BlockLSTM / BlockLSTMV2 (BlockLSTMOp): the cell applied for t &lt; seq_len_max, each step reading the previous
/// step's cs and h; outputs (i, cs, f, o, ci, co, h), each [time, batch, cell]. Past seq_len_max TF zeroes cs and h
/// and leaves the other five outputs uninitialized; here they are zero too. V2 has no forget_bias attr (0, as
/// BlockLSTMOp's constructor sets it) and the i, f, ci, o gate order.
/// </summary>
internal sealed class BlockLstmKernel : OpKernel
{
    private readonly LstmGateLayout _layout;
    private readonly float _forgetBias, _cellClip;
    private readonly bool _peephole;

    public BlockLstmKernel(Node node, LstmGateLayout layout) : base(node)
    {
        _layout = layout;
        _forgetBias = layout == LstmGateLayout.Icfo ? node.GetFloat("forget_bias", 1f) : 0f;
        _cellClip = node.GetFloat("cell_clip", layout == LstmGateLayout.Icfo ? 3f : 0f);
        _peephole = node.GetBool("use_peephole", false);
    }

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(1);
        if (x.Shape.Rank != 3) throw Error("x must be 3D");
        if (x.DType != DataType.DtFloat) throw Error(x.DType == DataType.DtHalf ? "T=half is not supported (TypedGraph's LSTM kernels are float only)." : $"expected float inputs, got {DataTypes.Name(x.DType)}.");
        int time = x.Shape[0], batch = x.Shape[1], input = x.Shape[2];
        Tensor csPrev = context.Input(2), hPrev = context.Input(3), w = context.Input(4), b = context.Input(8);
        Tensor wci = context.Input(5), wcf = context.Input(6), wco = context.Input(7);
        int cell = LstmBlockKernels.CheckWeights(Error, batch, input, csPrev, hPrev, w, wci, wcf, wco, b);
        int seqLenMax = LstmBlockKernels.SeqLenMax(Error, context.Input(0), time);
        var outs = new Tensor[7];
        for (int k = 0; k < 7; k++)
        {
            outs[k] = context.AllocateOutput(k, DataType.DtFloat, [time, batch, cell]);
            outs[k].AsSpan<float>()[(seqLenMax * batch * cell)..].Clear();
        }
        int bc = batch * cell, bi = batch * input;
        var xh = new float[batch * (input + cell)];
        var gates = new float[batch * 4 * cell];
        var xs = x.AsSpan<float>();
        Span<float> I = outs[0].AsSpan<float>(), CS = outs[1].AsSpan<float>(), F = outs[2].AsSpan<float>(), O = outs[3].AsSpan<float>();
        Span<float> CI = outs[4].AsSpan<float>(), CO = outs[5].AsSpan<float>(), H = outs[6].AsSpan<float>();
        for (int t = 0; t < seqLenMax; t++)
        {
            ReadOnlySpan<float> cp = t == 0 ? csPrev.AsSpan<float>() : CS.Slice((t - 1) * bc, bc);
            ReadOnlySpan<float> hp = t == 0 ? hPrev.AsSpan<float>() : H.Slice((t - 1) * bc, bc);
            LstmBlockMath.Forward(batch, input, cell, _layout, _forgetBias, _cellClip, _peephole,
                xs.Slice(t * bi, bi), cp, hp, w.AsSpan<float>(), wci.AsSpan<float>(), wcf.AsSpan<float>(), wco.AsSpan<float>(), b.AsSpan<float>(),
                xh, gates, I.Slice(t * bc, bc), CS.Slice(t * bc, bc), F.Slice(t * bc, bc), O.Slice(t * bc, bc),
                CI.Slice(t * bc, bc), CO.Slice(t * bc, bc), H.Slice(t * bc, bc));
        }
    }
}

/// <summary>
/// BlockLSTMGrad / BlockLSTMGradV2 (BlockLSTMGradOp): backprop through time from t = seq_len_max − 1 down to 0. At each
/// step the gradient reaching cs (h) is the incoming cs_grad[t] (h_grad[t]) plus what step t + 1 sent back; then
/// dgates = the cell's gate gradients, [x, h_prev] gradient = dgates · wᵀ, w_grad += [x, h_prev]ᵀ · dgates,
/// b_grad += Σ_batch dgates (lstm_ops.h <c>BlockLSTMBprop</c>). x_grad is zero past seq_len_max. Outputs (x_grad,
/// cs_prev_grad, h_prev_grad, w_grad, wci_grad, wcf_grad, wco_grad, b_grad).
/// </summary>
internal sealed class BlockLstmGradKernel(Node node, LstmGateLayout layout) : OpKernel(node)
{
    private readonly bool _peephole = node.GetBool("use_peephole", false);

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(1);
        if (x.Shape.Rank != 3) throw Error($"x must be rank 3 but is rank {x.Shape.Rank}");
        if (x.DType != DataType.DtFloat) throw Error($"expected float inputs, got {DataTypes.Name(x.DType)}.");
        int time = x.Shape[0], batch = x.Shape[1], input = x.Shape[2];
        Tensor csPrev = context.Input(2), hPrev = context.Input(3), w = context.Input(4), b = context.Input(8);
        Tensor wci = context.Input(5), wcf = context.Input(6), wco = context.Input(7);
        if (w.Shape.Rank == 2 && (w.Shape[1] <= 0 || w.Shape[1] % 4 != 0))
            throw Error($"w matrix columns must be a positive multiple of 4, but got {w.Shape[1]}");
        int cell = LstmBlockKernels.CheckWeights(Error, batch, input, csPrev, hPrev, w, wci, wcf, wco, b);
        int seqLenMax = LstmBlockKernels.SeqLenMax(Error, context.Input(0), time);
        string[] names = ["i", "cs", "f", "o", "ci", "co", "h", "cs_grad", "h_grad"];
        var v = new Tensor[9];
        for (int k = 0; k < 9; k++)
        {
            v[k] = context.Input(9 + k);
            LstmBlockKernels.CheckShape(Error, v[k], names[k], time, batch, cell);
        }
        var xGrad = context.AllocateOutput(0, DataType.DtFloat, x.Shape);
        var csPrevGradT = context.AllocateOutput(1, DataType.DtFloat, csPrev.Shape);
        var hPrevGradT = context.AllocateOutput(2, DataType.DtFloat, hPrev.Shape);
        var wGradT = context.AllocateOutput(3, DataType.DtFloat, w.Shape);
        var wciGradT = context.AllocateOutput(4, DataType.DtFloat, wci.Shape);
        var wcfGradT = context.AllocateOutput(5, DataType.DtFloat, wcf.Shape);
        var wcoGradT = context.AllocateOutput(6, DataType.DtFloat, wco.Shape);
        var bGradT = context.AllocateOutput(7, DataType.DtFloat, b.Shape);
        Span<float> csPrevGrad = csPrevGradT.AsSpan<float>(), hPrevGrad = hPrevGradT.AsSpan<float>(), wGrad = wGradT.AsSpan<float>();
        Span<float> wciGrad = wciGradT.AsSpan<float>(), wcfGrad = wcfGradT.AsSpan<float>(), wcoGrad = wcoGradT.AsSpan<float>(), bGrad = bGradT.AsSpan<float>();
        foreach (var t in new[] { xGrad, csPrevGradT, hPrevGradT, wGradT, wciGradT, wcfGradT, wcoGradT, bGradT }) t.AsSpan<float>().Clear();

        int bc = batch * cell, bi = batch * input, n4 = 4 * cell, ih = input + cell;
        var csGradTotal = new float[bc];
        var hGradTotal = new float[bc];
        var dgates = new float[batch * n4];
        var xh = new float[batch * ih];
        var xhGrad = new float[batch * ih];
        var xs = x.AsSpan<float>();
        var xg = xGrad.AsSpan<float>();
        var ws = w.AsSpan<float>();
        for (int t = seqLenMax - 1; t >= 0; t--)
        {
            ReadOnlySpan<float> cp = t == 0 ? csPrev.AsSpan<float>() : v[1].AsSpan<float>().Slice((t - 1) * bc, bc);
            ReadOnlySpan<float> hp = t == 0 ? hPrev.AsSpan<float>() : v[6].AsSpan<float>().Slice((t - 1) * bc, bc);
            System.Numerics.Tensors.TensorPrimitives.Add(csPrevGrad, v[7].AsSpan<float>().Slice(t * bc, bc), csGradTotal);
            System.Numerics.Tensors.TensorPrimitives.Add(hPrevGrad, v[8].AsSpan<float>().Slice(t * bc, bc), hGradTotal);
            LstmBlockMath.Backward(batch, cell, layout, _peephole, cp,
                v[0].AsSpan<float>().Slice(t * bc, bc), v[1].AsSpan<float>().Slice(t * bc, bc), v[2].AsSpan<float>().Slice(t * bc, bc),
                v[3].AsSpan<float>().Slice(t * bc, bc), v[4].AsSpan<float>().Slice(t * bc, bc), v[5].AsSpan<float>().Slice(t * bc, bc),
                csGradTotal, hGradTotal, wci.AsSpan<float>(), wcf.AsSpan<float>(), wco.AsSpan<float>(),
                dgates, csPrevGrad, wciGrad, wcfGrad, wcoGrad);
            Gemm.Sgemm(false, true, batch, ih, n4, dgates, ws, xhGrad);
            for (int r = 0; r < batch; r++)
            {
                xhGrad.AsSpan(r * ih, input).CopyTo(xg.Slice(t * bi + r * input, input));
                xhGrad.AsSpan(r * ih + input, cell).CopyTo(hPrevGrad.Slice(r * cell, cell));
            }
            LstmBlockMath.ConcatRows(xs.Slice(t * bi, bi), input, hp, cell, xh, batch);
            Gemm.Sgemm(true, false, ih, n4, batch, xh, dgates, wGrad, accumulate: true);
            for (int r = 0; r < batch; r++)
                System.Numerics.Tensors.TensorPrimitives.Add(bGrad, dgates.AsSpan(r * n4, n4), bGrad);
        }
    }
}
