using TypedGraph.Kernels;
using TypedGraph.Tests.Support;

namespace TypedGraph.Tests.Training;

public class FixtureOpCoverageTests
{
    [Fact]
    public void Every_fixture_graph_is_fully_supported_by_the_kernel_registry()
    {
        var problems = new List<string>();
        foreach (var file in new[] { "smove_mlp/my_test_model-1000.meta", "smove_tf/smovetf.ckpt.meta", "smove_tf/frozen_smovetf.pb", "mnist_fc2/fc2.ckpt.meta", "rnn_model/model.ckpt.meta", "mnist_cnn_meta/cnn.ckpt.meta" })
        {
            var g = MetaGraph.Load(Fixtures.Path(file.Split('/')));
            var missing = KernelRegistry.Default.UnsupportedOps(g.Graph);
            if (missing.Count > 0) problems.Add($"{file}: {string.Join(", ", missing)}");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }
}
