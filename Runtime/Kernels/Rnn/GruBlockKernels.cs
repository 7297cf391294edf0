using System.Numerics.Tensors;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Rnn;

/// <summary>
/// TF's fused GRU cell (tensorflow/core/kernels/rnn/gru_ops.cc, gru_ops.h <c>GRUBlockCellFprop</c> /
/// <c>GRUBlockCellBprop</c>; tf.contrib.rnn.GRUBlockCell), float only as TF registers it:
/// <code>
/// [r̄, ū] = [x, h_prev] · w_ru + b_ru      r = σ(r̄), u = σ(ū)
/// c = tanh([x, h_prev ⊙ r] · w_c + b_c)   h = u ⊙ (h_prev − c) + c
/// </code>
/// GRUBlockCell outputs (r, u, c, h); GRUBlockCellGrad outputs (d_x, d_h_prev, d_c_bar, d_r_bar_u_bar) — the
/// weight and bias gradients are built from the last two by the Python gradient (contrib gru_ops.py).
/// </summary>
internal sealed class GruBlockKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("GRUBlockCell", n => new GruBlockCellKernel(n));
        registry.Add("GRUBlockCellGrad", n => new GruBlockCellGradKernel(n));
    }

    /// <summary>GRUCellBlockOp's shape checks (with its messages); returns (batch, input, cell).</summary>
    internal static (int Batch, int Input, int Cell) Check(Func<string, GraphExecutionException> error, OpKernelContext context)
    {
        for (int k = 0; k < context.InputCount; k++)
            if (context.Input(k).DType != DataType.DtFloat)
                throw error($"input {k} must be float (TF registers GRUBlockCell for float only), got {DataTypes.Name(context.Input(k).DType)}.");
        Tensor x = context.Input(0), h = context.Input(1), wru = context.Input(2), wc = context.Input(3), bru = context.Input(4), bc = context.Input(5);
        if (x.Shape.Rank != 2) throw error($"Rank of x must be 2, got {x.Shape.Rank}");
        int batch = x.Shape[0], input = x.Shape[1];
        if (h.Shape.Rank != 2) throw error($"Rank of h_prev must be 2, got {h.Shape.Rank}");
        if (h.Shape[0] != batch) throw error($"h_prev.dims(0) != batch_size: {h.Shape[0]} vs. {batch}");
        int cell = h.Shape[1];
        if (wru.Shape.Rank != 2) throw error($"Rank of w_ru_ must be 2, got {wru.Shape.Rank}");
        if (wru.Shape[0] != input + cell) throw error($"w_ru.dim_size(0) != input_size + cell_size: {wru.Shape[0]} vs. {input + cell}");
        if (wru.Shape[1] != cell * 2) throw error($"w_ru.dim_size(1) != cell_size * 2: {wru.Shape[1]} vs. {cell * 2}");
        if (wc.Shape.Rank != 2) throw error($"Rank of w_c must be 2, got {wc.Shape.Rank}");
        if (wc.Shape[0] != input + cell) throw error($"w_c.dim_size(0) != input_size + cell_size: {wc.Shape[0]} vs. {input + cell}");
        if (wc.Shape[1] != cell) throw error($"w_c.dim_size(1) != cell_size: {wc.Shape[1]} vs. {cell}");
        if (bru.Shape.Rank != 1) throw error($"Rank of b_ru must be 1, got {bru.Shape.Rank}");
        if (bru.Shape[0] != cell * 2) throw error($"b_ru.dim_size(0) != cell_size * 2: {bru.Shape[0]} vs. {cell * 2}");
        if (bc.Shape.Rank != 1) throw error($"Rank of b_c must be 1, got {bc.Shape.Rank}");
        if (bc.Shape[0] != cell) throw error($"b_c.dim_size(0) != cell_size: {bc.Shape[0]} vs. {cell}");
        return (batch, input, cell);
    }
}

/// <summary>GRUBlockCell: one step, outputs (r, u, c, h), each [batch, cell].</summary>
internal sealed class GruBlockCellKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var (batch, input, cell) = GruBlockKernels.Check(Error, context);
        var x = context.Input(0).AsSpan<float>();
        var hPrev = context.Input(1).AsSpan<float>();
        var bru = context.Input(4).AsSpan<float>();
        var bc = context.Input(5).AsSpan<float>();
        var rT = context.AllocateOutput(0, DataType.DtFloat, [batch, cell]);
        var uT = context.AllocateOutput(1, DataType.DtFloat, [batch, cell]);
        var cT = context.AllocateOutput(2, DataType.DtFloat, [batch, cell]);
        var hT = context.AllocateOutput(3, DataType.DtFloat, [batch, cell]);
        Span<float> r = rT.AsSpan<float>(), u = uT.AsSpan<float>(), c = cT.AsSpan<float>(), h = hT.AsSpan<float>();
        int ih = input + cell;
        var xh = new float[batch * ih];
        var ru = new float[batch * 2 * cell];
        LstmBlockMath.ConcatRows(x, input, hPrev, cell, xh, batch);
        Gemm.Sgemm(false, false, batch, 2 * cell, ih, xh, context.Input(2).AsSpan<float>(), ru);
        for (int b = 0; b < batch; b++)
        {
            var row = ru.AsSpan(b * 2 * cell, 2 * cell);
            TensorPrimitives.Add(row, bru, row);
            TensorPrimitives.Sigmoid(row[..cell], r.Slice(b * cell, cell));
            TensorPrimitives.Sigmoid(row[cell..], u.Slice(b * cell, cell));
            // x_h_prevr = [x, h_prev ⊙ r]
            TensorPrimitives.Multiply(hPrev.Slice(b * cell, cell), r.Slice(b * cell, cell), xh.AsSpan(b * ih + input, cell));
        }
        Gemm.Sgemm(false, false, batch, cell, ih, xh, context.Input(3).AsSpan<float>(), c);
        for (int b = 0; b < batch; b++)
        {
            var row = c.Slice(b * cell, cell);
            TensorPrimitives.Add(row, bc, row);
            TensorPrimitives.Tanh(row, row);
        }
        for (int k = 0; k < batch * cell; k++) h[k] = u[k] * (hPrev[k] - c[k]) + c[k];
    }
}

/// <summary>GRUBlockCellGrad (GRUBlockCellGradOp): inputs (x, h_prev, w_ru, w_c, b_ru, b_c, r, u, c, d_h).</summary>
internal sealed class GruBlockCellGradKernel(Node node) : OpKernel(node)
{
    public override void Compute(OpKernelContext context)
    {
        var (batch, input, cell) = GruBlockKernels.Check(Error, context);
        string[] names = ["r", "u", "c", "d_h"];
        for (int k = 0; k < 4; k++)
        {
            var t = context.Input(6 + k);
            if (t.Shape.Rank != 2) throw Error($"Rank of {names[k]} must be 2, got {t.Shape.Rank}");
            if (t.Shape[0] != batch) throw Error($"{names[k]}.dims(0) != batch_size: {t.Shape[0]} vs. {batch}");
            if (t.Shape[1] != cell) throw Error($"{names[k]}.dims(1) != cell_size: {t.Shape[1]} vs. {cell}");
        }
        var hPrev = context.Input(1).AsSpan<float>();
        ReadOnlySpan<float> r = context.Input(6).AsSpan<float>(), u = context.Input(7).AsSpan<float>(), c = context.Input(8).AsSpan<float>(), dh = context.Input(9).AsSpan<float>();
        var dx = context.AllocateOutput(0, DataType.DtFloat, [batch, input]).AsSpan<float>();
        var dhPrev = context.AllocateOutput(1, DataType.DtFloat, [batch, cell]).AsSpan<float>();
        var dcBar = context.AllocateOutput(2, DataType.DtFloat, [batch, cell]).AsSpan<float>();
        var druBar = context.AllocateOutput(3, DataType.DtFloat, [batch, 2 * cell]).AsSpan<float>();
        int ih = input + cell;
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < cell; j++)
            {
                int k = b * cell + j;
                dcBar[k] = dh[k] * (1f - u[k]) * (1f - c[k] * c[k]);
                druBar[b * 2 * cell + cell + j] = dh[k] * (hPrev[k] - c[k]) * u[k] * (1f - u[k]);
            }
        // [d_x component 2, d(h_prev ⊙ r)] = d_c_bar · w_cᵀ
        var comp2 = new float[batch * ih];
        Gemm.Sgemm(false, true, batch, ih, cell, dcBar, context.Input(3).AsSpan<float>(), comp2);
        for (int b = 0; b < batch; b++)
            for (int j = 0; j < cell; j++)
            {
                int k = b * cell + j;
                druBar[b * 2 * cell + j] = comp2[b * ih + input + j] * hPrev[k] * r[k] * (1f - r[k]);
            }
        // [d_x component 1, d_h_prev component 1] = [d_r_bar, d_u_bar] · w_ruᵀ
        var comp1 = new float[batch * ih];
        Gemm.Sgemm(false, true, batch, ih, 2 * cell, druBar, context.Input(2).AsSpan<float>(), comp1);
        for (int b = 0; b < batch; b++)
        {
            for (int j = 0; j < input; j++) dx[b * input + j] = comp1[b * ih + j] + comp2[b * ih + j];
            for (int j = 0; j < cell; j++)
            {
                int k = b * cell + j;
                dhPrev[k] = comp1[b * ih + input + j] + comp2[b * ih + input + j] * r[k] + dh[k] * u[k];
            }
        }
    }
}
