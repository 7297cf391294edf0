using TypedGraph.Generator.Tests.Support;
using TypedGraph.Tests.Support;

namespace TypedGraph.Generator.Tests;

/// <summary>
/// The sample (generator as a ProjectReference with OutputItemType="Analyzer") builds and prints the
/// tutorial's values. Builds incrementally first, so it also works when only this test project was built.
/// </summary>
[Collection(DotNetCliCollection.Name)]
public class SampleRunTests
{
    [Fact]
    public void Sample_PrintsTutorialValues_AndSmovePredictions()
    {
        var (code, output) = DotNet.Run(Fixtures.RepoRoot, "build", "sample/sample.csproj", "-c", "Release");
        Assert.True(code == 0, output);
        (code, output) = DotNet.Run(Fixtures.RepoRoot, Path.Combine("sample", "bin", "Release", "net10.0", "sample.dll"));
        Assert.True(code == 0, output);
        var lines = output.Split('\n', StringSplitOptions.TrimEntries);
        Assert.Contains("(4 + 8) * 2 = 24", lines);
        Assert.Contains("(13 + 17) * bias = 60", lines);
        Assert.Contains("op_to_restore * 2 = 120", lines);
        var smove = Assert.Single(lines, l => l.StartsWith("smove_mlp O (first 4 predictions): ", StringComparison.Ordinal));
        var values = smove.Split(": ")[1].Split(", ").Select(v => float.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(4, values.Length);
        Assert.All(values, v => Assert.InRange(v, 0f, 1f)); // sigmoid outputs; exact values are checked in RunGeneratedFixtureTests
        Assert.Contains("smove_mlp sigmoid(MatMul) == O: True", lines); // IncludeNodes="@default;MatMul" reached the generator whole
    }
}
