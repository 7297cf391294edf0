using TypedGraph.Protos;

namespace TypedGraph.Tests.Execution;

/// <summary>Feeding an inner (non-placeholder) tensor checks its dtype as TF does, not only its shape.</summary>
public class InnerFeedDTypeTests
{
    private static Graph SquarePlusOne()
    {
        var def = new GraphDef { Versions = new VersionDef { Producer = 27 } };
        def.Node.Add(new NodeDef { Name = "x", Op = "Placeholder", Attr = { ["dtype"] = new AttrValue { Type = DataType.DtFloat } } });
        def.Node.Add(new NodeDef { Name = "y", Op = "Mul", Input = { "x", "x" }, Attr = { ["T"] = new AttrValue { Type = DataType.DtFloat } } });
        def.Node.Add(new NodeDef
        {
            Name = "one", Op = "Const",
            Attr =
            {
                ["dtype"] = new AttrValue { Type = DataType.DtFloat },
                ["value"] = new AttrValue { Tensor = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto(), FloatVal = { 1f } } },
            },
        });
        def.Node.Add(new NodeDef { Name = "z", Op = "Add", Input = { "y", "one" }, Attr = { ["T"] = new AttrValue { Type = DataType.DtFloat } } });
        return new Graph(def);
    }

    [Fact]
    public void FeedingAnInnerTensorWithItsDTypeCutsItsProducers()
    {
        using var session = new Session(SquarePlusOne());
        var z = session.Run("z:0", ("y:0", Tensor.Create(new float[] { 4f, 9f })));
        Assert.Equal(new[] { 5f, 10f }, z.ToArray<float>());
    }

    [Fact]
    public void FeedingAnInnerTensorWithAnotherDTypeIsAnErrorNamingTheNode()
    {
        using var session = new Session(SquarePlusOne());
        var ex = Assert.Throws<GraphExecutionException>(() => session.Run("z:0", ("y:0", Tensor.Create(new int[] { 4, 9 }))));
        Assert.Contains("int32", ex.Message);
        Assert.Contains("'y'", ex.Message);
        Assert.Contains("float32", ex.Message);
        Assert.Equal("y", ex.NodeName);
    }
}
