using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Training;

/// <summary>
/// Gradients of the fused RNN cells: LSTMBlockCell and GRUBlockCell as tf.contrib.rnn registers them
/// (contrib/rnn/python/ops/lstm_ops.py <c>_LSTMBlockCellGrad</c>, gru_ops.py <c>_GRUBlockCellGrad</c>: the grad kernel
/// gives the gate gradients, MatMul/Slice/ConcatV2/BiasAddGrad turn them into x, h_prev, weight and bias gradients) and
/// BlockLSTM / BlockLSTMV2 (tensorflow/python/ops/rnn_grad.py <c>_block_lstm_grad</c>: one BlockLSTMGrad node, no
/// gradient for seq_len_max).
/// </summary>
internal static class RnnGradients
{
    public static void Register()
    {
        GradientRegistry.Register("LSTMBlockCell", LstmBlockCell);
        GradientRegistry.Register("GRUBlockCell", GruBlockCell);
        GradientRegistry.Register("BlockLSTM", (c, op, g) => BlockLstm(c, op, g, "BlockLSTMGrad"));
        // rnn_grad.py registers _block_lstm_grad (which emits BlockLSTMGrad, the i, ci, f, o kernel) for BlockLSTMV2 too;
        // V2's weights are in i, f, ci, o order, so that places the ci and f gate gradients in each other's columns.
        // TF registers BlockLSTMGradV2 (the same backprop with V2's layout) on CPU, and it is the one whose gradients
        // equal the forward's derivatives, so V2 gets it here: a deliberate difference from TF's Python gradient.
        GradientRegistry.Register("BlockLSTMV2", (c, op, g) => BlockLstm(c, op, g, "BlockLSTMGradV2"));
        GradientRegistry.Register("CTCLoss", CtcLoss);
        GradientRegistry.NotDifferentiable("CTCGreedyDecoder", "CTCBeamSearchDecoder");
    }

    // ctc_ops.py _CTCLossGrad: grad_loss[:, None] * PreventGradient(op.outputs[1]) for the logits, nothing for the labels
    // and lengths.
    private static Output?[] CtcLoss(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        var msg = new Dictionary<string, AttrValue> { ["message"] = Attrs.String("Currently there is no way to take the second  derivative of ctc_loss due to the fused implementation's interaction  with tf.gradients()") };
        var backprop = b.OutputOf(b.AddOperation("PreventGradient", [c.Out(op, 1)], msg, "PreventGradient"));
        return [b.Multiply(b.ExpandDims(g[0]!.Value, -1), backprop, "mul"), null, null, null];
    }

    private static Output?[] LstmBlockCell(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        Output x = c.In(op, 0), csPrev = c.In(op, 1), hPrev = c.In(op, 2), w = c.In(op, 3);
        var (batch, input, cell) = Sizes(b, op, x, w);
        Output[] ins = [x, csPrev, hPrev, w, c.In(op, 4), c.In(op, 5), c.In(op, 6), c.In(op, 7),
            c.Out(op, 0), c.Out(op, 1), c.Out(op, 2), c.Out(op, 3), c.Out(op, 4), c.Out(op, 5), g[1]!.Value, g[6]!.Value];
        var grad = b.AddOperation("LSTMBlockCellGrad", ins, GradientContext.CopyAttrs(op, "use_peephole"), "LSTMBlockCellGrad");
        var dicfo = b.OutputOf(grad, 1);
        // Backprop from dicfo to xh, then xh's two column blocks.
        var xhGrad = b.MatMul(dicfo, w, transposeB: true);
        var xGrad = b.Slice(xhGrad, c.Ints([0, 0]), c.Ints([batch, input]));
        var hPrevGrad = b.Slice(xhGrad, c.Ints([0, input]), c.Ints([batch, cell]));
        // Backprop from dicfo to w and b.
        var xh = b.Concat([x, hPrev], 1);
        var wGrad = b.MatMul(xh, dicfo, transposeA: true);
        var bGrad = b.OutputOf(b.AddOperation("BiasAddGrad", [dicfo], null, "BiasAddGrad"));
        return [xGrad, b.OutputOf(grad, 0), hPrevGrad, wGrad, b.OutputOf(grad, 2), b.OutputOf(grad, 3), b.OutputOf(grad, 4), bGrad];
    }

    private static Output?[] GruBlockCell(GradientContext c, Node op, Output?[] g)
    {
        var b = c.Builder;
        Output x = c.In(op, 0), hPrev = c.In(op, 1);
        Output r = c.Out(op, 0);
        Output[] ins = [x, hPrev, c.In(op, 2), c.In(op, 3), c.In(op, 4), c.In(op, 5), r, c.Out(op, 1), c.Out(op, 2), g[3]!.Value];
        var grad = b.AddOperation("GRUBlockCellGrad", ins, null, "GRUBlockCellGrad");
        Output dcBar = b.OutputOf(grad, 2), druBar = b.OutputOf(grad, 3);
        var xhPrev = b.Concat([x, hPrev], 1);
        var dwRu = b.MatMul(xhPrev, druBar, transposeA: true);
        var dbRu = b.OutputOf(b.AddOperation("BiasAddGrad", [druBar], null, "BiasAddGrad"));
        var xhPrevR = b.Concat([x, b.Multiply(hPrev, r, "mul")], 1, "concat_1");
        var dwC = b.MatMul(xhPrevR, dcBar, transposeA: true, name: "MatMul_1");
        var dbC = b.OutputOf(b.AddOperation("BiasAddGrad", [dcBar], null, "BiasAddGrad_1"));
        return [b.OutputOf(grad, 0), b.OutputOf(grad, 1), dwRu, dwC, dbRu, dbC];
    }

    private static Output?[] BlockLstm(GradientContext c, Node op, Output?[] g, string gradOp)
    {
        var b = c.Builder;
        var ins = new List<Output>();
        for (int i = 0; i < 9; i++) ins.Add(c.In(op, i));
        for (int i = 0; i < 7; i++) ins.Add(c.Out(op, i));
        ins.Add(g[1]!.Value);
        ins.Add(g[6]!.Value);
        var grad = b.AddOperation(gradOp, ins, GradientContext.CopyAttrs(op, "use_peephole"), gradOp);
        var result = new Output?[9];
        for (int i = 0; i < 8; i++) result[i + 1] = b.OutputOf(grad, i);
        return result;
    }

    /// <summary>(batch or −1, input_size, cell_size) as _LSTMBlockCellGrad reads them from the static shapes (input and
    /// cell from w = [input + cell, 4·cell] when x or cs_prev have none); TF raises for an unknown input or cell size.</summary>
    private static (int Batch, int Input, int Cell) Sizes(GraphBuilder b, Node op, Output x, Output w)
    {
        var xs = StaticShapes.Of(b, x);
        var ws = StaticShapes.Of(b, w);
        long cell = ws is { Length: 2 } && ws[1] >= 0 ? ws[1] / 4 : -1;
        long input = xs is { Length: 2 } && xs[1] >= 0 ? xs[1] : ws is { Length: 2 } && ws[0] >= 0 && cell >= 0 ? ws[0] - cell : -1;
        if (input < 0 || cell < 0)
            throw new InvalidOperationException($"LSTMBlockCell node '{op.Name}': the gradient needs a static input_size and cell_size (from x or w), as TF's _LSTMBlockCellGrad does.");
        long batch = xs is { Length: 2 } ? xs[0] : -1;
        return ((int)batch, (int)input, (int)cell);
    }
}
