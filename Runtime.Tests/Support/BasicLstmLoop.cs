using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Support;

/// <summary>
/// The graph TF 1.x's <c>dynamic_rnn</c> builds around a <c>BasicLSTMCell</c> (rnn_cell_impl.py): a while loop reading
/// its inputs from a TensorArray, one MatMul of [x, h] with the kernel, BiasAdd, Split into i, j, f, o,
/// <c>c' = c·σ(f + 1) + σ(i)·tanh(j)</c>, <c>h' = tanh(c')·σ(o)</c>, the outputs written to a TensorArray and stacked.
/// </summary>
public static class BasicLstmLoop
{
    /// <summary>Builds the loop over <paramref name="inputs"/> ([steps, batch, input]); returns the stacked outputs
    /// [steps, batch, cell] and the loop's exits (time, flow, c, h).</summary>
    public static (Output Outputs, Output[] Exits) Build(GraphBuilder b, Output steps, Output inputs, Output kernel, Output bias, int batch, int input, int cell)
    {
        var inputTa = b.TensorArrayUnstack(b.TensorArray(steps, DataType.DtFloat, [batch, input], tensorArrayName: "input_0"), inputs);
        var outputTa = b.TensorArray(steps, DataType.DtFloat, [batch, cell], tensorArrayName: "output_0");
        var zeros = b.Constant(new float[batch * cell], [batch, cell], "zeros");
        var exits = b.WhileLoop(
            v => b.Less(v[0], steps),
            v =>
            {
                var gates = b.BiasAdd(b.MatMul(b.Concat([b.TensorArrayRead(inputTa, v[0]), v[3]], 1), kernel), bias);
                var parts = b.Split(gates, 4, 1);
                var c = b.Add(b.Multiply(v[2], b.Sigmoid(b.Add(parts[2], 1.0))), b.Multiply(b.Sigmoid(parts[0]), b.Tanh(parts[1])));
                var h = b.Multiply(b.Tanh(c), b.Sigmoid(parts[3]));
                return [b.Add(v[0], 1), b.TensorArrayWrite(outputTa.WithFlow(v[1]), v[0], h).Flow, c, h];
            },
            [b.Constant(0, "time"), outputTa.Flow, zeros, zeros]);
        return (b.TensorArrayStack(outputTa.WithFlow(exits[1])), exits);
    }
}
