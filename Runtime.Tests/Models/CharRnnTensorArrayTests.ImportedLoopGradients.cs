using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;

namespace TypedGraph.Tests.Models;

/// <summary>
/// OUR <see cref="Gradients"/> through the fixture's imported TF 1.4 dynamic_rnn loop: the loop's WhileContextDef
/// (the .meta's <c>while_context</c> collection) is rebuilt on import, so a second gradient loop (<c>gradients_1/…</c>)
/// is built next to the one TF wrote, and an optimizer of ours fine-tunes the restored model. Checked against the
/// hand BPTT of this class (double) and central differences of the hand forward.
/// </summary>
public partial class CharRnnTensorArrayTests
{
    private static readonly string[] VariableNames =
        ["embedding_matrix", "W_in", "b_in", "rnn/basic_lstm_cell/kernel", "rnn/basic_lstm_cell/bias", "W_out", "b_out"];

    private static (GraphBuilder Builder, Session Session) ImportedForTraining()
    {
        var meta = MetaGraph.Load(Fixtures.Path("char_rnn_tensorarray", "model.ckpt.meta"));
        var b = GraphBuilder.FromMetaGraph(meta.Proto);
        var session = new Session(b.Graph);
        session.Restore(Fixtures.Path("char_rnn_tensorarray"), meta.SaverDef);
        return (b, session);
    }

    /// <summary>sequence_loss by hand: mean cross entropy over the unmasked steps (Σ over t &lt; length / (Σ lengths + 1e-12)).</summary>
    private static double ReferenceLoss(Weights w, int[] ids, int[] labels, int[] lengths)
    {
        var logits = ReferenceLogits(w, ids, lengths);
        double total = 0;
        for (int b = 0; b < lengths.Length; b++)
            for (int t = 0; t < lengths[b]; t++)
            {
                int at = (b * Steps + t) * Vocab;
                double max = double.NegativeInfinity;
                for (int v = 0; v < Vocab; v++) max = Math.Max(max, logits[at + v]);
                double sum = 0;
                for (int v = 0; v < Vocab; v++) sum += Math.Exp(logits[at + v] - max);
                total += Math.Log(sum) + max - logits[at + labels[b * Steps + t]];
            }
        return total / (lengths.Sum() + 1e-12);
    }

    [Fact]
    public void GradientsComputedByUsThroughTheImportedLoop_EqualTheHandBptt()
    {
        var w = Weights.FromCheckpoint();
        var (b, session) = ImportedForTraining();
        using var _s = session;
        var forward = b.ContextOf("rnn/while/Merge") as WhileContext;
        Assert.NotNull(forward);
        Assert.Equal("rnn/while/while_context", forward!.FrameName);
        // The WhileContextDef's loop_enter_names: the four loop variables and the forward counter TF's own gradient added.
        Assert.Equal(["rnn/while/Enter:0", "rnn/while/Enter_1:0", "rnn/while/Enter_2:0", "rnn/while/Enter_3:0", "gradients/f_count_1:0"], forward.LoopEnters.Select(e => e.Name));
        Assert.Equal("rnn/while/LoopCond:0", forward.Pivot.Name);

        var loss = b.GetTensor("sequence_loss/truediv:0");
        var vars = VariableNames.Select(n => b.TrainableVariables.Single(v => v.Name == n)).ToList();
        var grads = Gradients.Compute(b, [loss], vars.Select(v => v.Ref).ToList());
        Assert.All(grads, g => Assert.NotNull(g));
        // A new gradient loop counting down from a new forward counter, with stacks pushed in the imported loop.
        Assert.Contains(b.Graph.Nodes, n => n.Op == "Enter" && n.GetString("frame_name") == "gradients_1/rnn/while/while_context");
        Assert.Contains(b.Graph.Nodes, n => n.Op == "StackPushV2" && n.Name.StartsWith("gradients_1/", StringComparison.Ordinal)
            && b.ContextOf(n.Name) == forward);

        var rng = new Random(9);
        int[] lengths = [5, 3];
        var ids = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        ids[1 * Steps + 0] = ids[0];
        var labels = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        var r = session.Run([loss.Name, .. grads.Select(g => g!.Value.Name)], TrainFeeds(ids, labels, lengths));
        Assert.Equal(ReferenceLoss(w, ids, labels, lengths), r[0].ToArray<float>()[0], 4);
        var expected = ReferenceGradients(w, ids, labels, lengths);
        for (int k = 0; k < VariableNames.Length; k++)
        {
            var got = r[k + 1].ToArray<float>();
            var want = expected[VariableNames[k]];
            double scale = want.Max(Math.Abs);
            Assert.True(scale > 0, $"{VariableNames[k]}: the reference gradient is zero");
            for (int i = 0; i < got.Length; i++)
                Assert.True(Math.Abs(got[i] - want[i]) <= 1e-3 * Math.Abs(want[i]) + 1e-4 * scale,
                    $"d loss/d {VariableNames[k]}[{i}]: expected {want[i]}, got {got[i]}");
        }

        // Central differences of the hand forward at a few weights inside the loop (kernel, bias) and before it (W_in).
        var fd = new List<(string Var, int Index, float Got)>
        {
            ("rnn/basic_lstm_cell/kernel", 3, r[4].ToArray<float>()[3]),
            ("rnn/basic_lstm_cell/kernel", 700 + 1200 * 450, r[4].ToArray<float>()[700 + 1200 * 450]),
            ("rnn/basic_lstm_cell/bias", 17, r[5].ToArray<float>()[17]),
            ("rnn/basic_lstm_cell/bias", 1100, r[5].ToArray<float>()[1100]),
            ("W_in", 12 * 300 + 5, r[2].ToArray<float>()[12 * 300 + 5]),
        };
        foreach (var (name, index, got) in fd)
        {
            float[] array = name switch { "W_in" => w.WIn, "rnn/basic_lstm_cell/bias" => w.Bias, _ => w.Kernel };
            float saved = array[index];
            array[index] = saved + 1e-3f;
            double plus = ReferenceLoss(w, ids, labels, lengths), up = array[index];
            array[index] = saved - 1e-3f;
            double minus = ReferenceLoss(w, ids, labels, lengths), down = array[index];
            array[index] = saved;
            double numeric = (plus - minus) / (up - down);
            Assert.True(Math.Abs(numeric - got) <= 2e-3 * Math.Abs(numeric) + 2e-6, $"{name}[{index}]: central difference {numeric}, our gradient {got}");
        }
    }

    [Fact]
    public void FineTuningTheImportedLoopWithOurOptimizer_FirstStepIsTheBpttUpdate_AndLossFalls()
    {
        var w = Weights.FromCheckpoint();
        var (b, session) = ImportedForTraining();
        using var _s = session;
        const double lr = 0.001;
        var loss = b.GetTensor("sequence_loss/truediv:0");
        var train = new GradientDescentOptimizer(lr).Minimize(b, loss, name: "FineTune");

        var rng = new Random(13);
        int[] lengths = [12, 9];
        var ids = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        var labels = Enumerable.Range(0, lengths.Length * Steps).Select(_ => rng.Next(Vocab)).ToArray();
        var feeds = TrainFeeds(ids, labels, lengths);
        var expected = ReferenceGradients(w, ids, labels, lengths);
        var losses = new List<float>();
        for (int step = 0; step < 4; step++)
        {
            losses.Add(session.Run([loss.Name], feeds, [train.Name])[0].ToArray<float>()[0]);
            if (step != 0) continue;
            var kernel = session.Run("rnn/basic_lstm_cell/kernel:0").ToArray<float>();
            var bias = session.Run("rnn/basic_lstm_cell/bias:0").ToArray<float>();
            foreach (var (got, before, g, name) in new[] { (kernel, w.Kernel, expected["rnn/basic_lstm_cell/kernel"], "kernel"), (bias, w.Bias, expected["rnn/basic_lstm_cell/bias"], "bias") })
                for (int i = 0; i < got.Length; i++)
                {
                    double want = before[i] - lr * g[i];
                    Assert.True(Math.Abs(got[i] - want) <= 4e-7 * Math.Max(1, Math.Abs(want)) + 1e-3 * lr * Math.Abs(g[i]),
                        $"{name}[{i}] after one step: expected {want}, got {got[i]}");
                }
        }
        for (int i = 1; i < losses.Count; i++) Assert.True(losses[i] < losses[i - 1], $"loss rose at step {i}: {string.Join(", ", losses)}");
    }
}
