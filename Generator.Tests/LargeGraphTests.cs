extern alias gen;
using Google.Protobuf;
using GraphFileOptions = gen::TypedGraph.Generator.Model.GraphFileOptions;
using TypedGraphGenerator = gen::TypedGraph.Generator.TypedGraphGenerator;

namespace TypedGraph.Generator.Tests;

/// <summary>The benchmark's ~5 MB graph generates completely (its speed is measured in benchmarks/).</summary>
public class LargeGraphTests
{
    [Fact]
    public void FiveMegabyteGraph_GeneratesEveryBlock_WithLazyMembers()
    {
        var meta = TypedGraph.Benchmarks.LargeGraph.Build(600);
        var bytes = meta.ToByteArray();
        Assert.InRange(bytes.Length, 5_000_000, 7_000_000);
        // The Relu outputs are consumed (not end points) and auto-named, so only an include list brings them in.
        var r = TypedGraphGenerator.Parser.Parse(bytes, "/m/big.meta", new GraphFileOptions("Big", "B", "internal", "@default|*/Relu", ""), CancellationToken.None);
        Assert.DoesNotContain(r.Diagnostics, d => d.Id is "TG0001" or "TG0006");
        var spec = r.Spec!;
        Assert.Equal(meta.GraphDef.Node.Count, spec.NodeCount);
        // 600 blocks → block1…block200, each with conv1…conv3.
        var blocks = spec.Members.Where(m => m.Identifier.StartsWith("Block", StringComparison.Ordinal)).ToList();
        Assert.Equal(200, blocks.Count);
        Assert.All(blocks, b => Assert.Equal(["Conv1", "Conv2", "Conv3"], b.Children.Select(c => c.Identifier)));
        Assert.All(blocks.SelectMany(b => b.Children), c => Assert.Equal(["Biases", "Relu", "Weights"], c.Children.Select(m => m.Identifier)));
        var relu = blocks.Single(b => b.Identifier == "Block200").Children.Single(c => c.Identifier == "Conv3").Children.Single(c => c.Identifier == "Relu");
        Assert.Equal(["images"], relu.RequiredFeeds.Select(f => f.ParameterName));
        Assert.Equal(["keepProb"], spec.Members.Single(m => m.Identifier == "Logits").OptionalFeeds.Select(f => f.ParameterName));

        var source = TypedGraphGenerator.Emitter.Emit(spec);
        // Members are created lazily (`??=`), never by initializers that would run for every node up front.
        Assert.DoesNotContain("} = new ", source);
        Assert.Matches(@"public Signatures\.Fetch\d+ Logits => __Logits \?\?= new Signatures\.Fetch\d+\(this, ""logits:0"", __S\[\d+\]\);", source);
        // Members share their types: a handful of signatures for ~2,000 members, no class per node.
        Assert.InRange(System.Text.RegularExpressions.Regex.Matches(source, @"public class Fetch\d+ ").Count, 1, 10);
    }
}
