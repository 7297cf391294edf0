using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Logging;

/// <summary>
/// <c>Assert</c> (tensorflow/core/kernels/logging_ops.cc AssertOp; <c>tf.debugging.Assert</c>): nothing when the scalar
/// bool <c>condition</c> is true; else an error <c>"assertion failed: [d1] [d2] ..."</c>, each data input as its V1
/// <see cref="TensorSummary"/> with <c>summarize</c> entries (default 3; −1 all). A condition that is not a scalar is
/// TF's <c>"In[0] should be a scalar: [2]"</c>.
/// </summary>
internal sealed class AssertKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Assert", node =>
    {
        long summarize = node.GetInt("summarize", 3);
        return new DelegateKernel(node, ctx =>
        {
            var c = ctx.Input(0);
            if (c.Shape.Rank != 0) throw ctx.Error($"In[0] should be a scalar: {PrintKernels.ShapeText(c.Shape)}");
            if (c.DType != DataType.DtBool) throw ctx.Error($"condition must be bool, got {DataTypes.Name(c.DType)}.");
            if (c.Bytes[0] != 0) return;
            var msg = new List<byte>();
            TensorSummary.Ascii(msg, "assertion failed: ");
            for (int i = 1; i < ctx.InputCount; i++)
            {
                msg.Add((byte)'[');
                TensorSummary.Append(msg, ctx.Input(i), summarize, printV2: false);
                msg.Add((byte)']');
                if (i < ctx.InputCount - 1) msg.Add((byte)' ');
            }
            throw ctx.Error(System.Text.Encoding.UTF8.GetString([.. msg]));
        });
    });
}
