using TypedGraph.Building;
using TypedGraph.Execution;
using TypedGraph.Protos;
using TypedGraph.Training;

namespace TypedGraph.Sample;

/// <summary>
/// Part 1 of the save/restore tutorial, in C#: the graph the Python tutorial builds
/// (<c>w1</c>, <c>w2</c> placeholders, <c>bias</c> = 2.0, <c>op_to_restore = (w1 + w2) * bias</c>), run once,
/// then saved with <c>global_step=1000</c>. The committed <c>models/my_test_model-1000.meta</c>, which the
/// generator compiles into <c>TutorialModel</c>, is exactly what <see cref="BuildRunAndSave"/> writes; a test in
/// Generator.Tests regenerates it and fails on drift (re-accept with <c>TYPEDGRAPH_ACCEPT=1</c>).
/// </summary>
public static class TutorialGraph
{
    /// <summary>Builds the graph, runs it with w1=4, w2=8, and saves it as <c>{directory}/my_test_model-1000</c>.</summary>
    /// <param name="directory">Where the checkpoint, the <c>.meta</c> and the <c>checkpoint</c> file go.</param>
    /// <returns>The value of <c>op_to_restore</c> (24) and the checkpoint prefix written.</returns>
    public static (float Result, string Prefix) BuildRunAndSave(string directory)
    {
        var b = new GraphBuilder();
        var w1 = b.Placeholder(DataType.DtFloat, [], "w1");
        var w2 = b.Placeholder(DataType.DtFloat, [], "w2");
        var bias = b.Variable(Tensor.FromScalar(2f), "bias");
        var w3 = b.Add(w1, w2, "Add");
        var w4 = b.Multiply(w3, bias.Snapshot, "op_to_restore");
        var init = b.GlobalVariablesInitializer();
        var saver = new Saver(b);

        using var session = new Session(b.Graph);
        session.RunTargets(init.Name);
        var result = session.Run(w4.Name, (w1.Name, Tensor.FromScalar(4f)), (w2.Name, Tensor.FromScalar(8f))).Scalar<float>();
        var prefix = saver.Save(session, Path.Combine(directory, "my_test_model"), globalStep: 1000);
        return (result, prefix);
    }
}
