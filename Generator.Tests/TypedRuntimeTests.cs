using TypedGraph.Protos;
using TypedGraph.Typed;

namespace TypedGraph.Generator.Tests;

/// <summary>The runtime side the generated code calls (Runtime/Typed).</summary>
public class TypedRuntimeTests
{
    [Fact]
    public void TensorValue_ScalarsArraysAndShapes()
    {
        TensorValue<float> scalar = 3f;
        Assert.Equal(0, scalar.Shape.Rank);
        Assert.Equal(3f, scalar.Scalar);
        TensorValue<int> vector = new[] { 1, 2, 3 };
        Assert.Equal([3], vector.Shape.ToArray());
        var matrix = TensorValue<double>.Create([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([2, 3], matrix.Shape.ToArray());
        Assert.Equal([1.0, 2, 3, 4, 5, 6], matrix.ToArray());
        var strings = TensorValue<string>.Create(["a", "ü"], 2);
        Assert.Equal(DataType.DtString, strings.Tensor.DType);
        Assert.Equal(["a", "ü"], strings.ToArray());
        Assert.Throws<InvalidOperationException>(() => vector.Scalar);
        Assert.Throws<ArgumentException>(() => TensorValue<float>.Create([1f, 2f, 3f], 2, 2));
    }

    [Fact]
    public void TensorValue_RejectsAnotherDType()
    {
        var e = Assert.Throws<ArgumentException>(() => new TensorValue<float>(Tensor.FromScalar(1)));
        Assert.Contains("int32", e.Message);
    }

    [Theory]
    [InlineData(new long[] { -1, 21 }, new[] { 4, 21 }, true)]
    [InlineData(new long[] { -1, 21 }, new[] { 4, 20 }, false)]
    [InlineData(new long[] { -1, 21 }, new[] { 21 }, false)]
    [InlineData(new long[0], new int[0], true)]
    [InlineData(new long[0], new[] { 1 }, false)]
    public void FeedShapes_AreCheckedAgainstTheGraph(long[] declared, int[] actual, bool ok)
    {
        var value = Tensor.Zeros(DataType.DtFloat, new TensorShape(actual));
        if (ok)
        {
            Assert.Equal("x:0", FeedValue.Of("x:0", value, declared).TensorName);
            return;
        }
        var e = Assert.Throws<GraphExecutionException>(() => FeedValue.Of("x:0", value, declared));
        Assert.Equal("x", e.NodeName);
        Assert.Contains($"'x:0' has shape {new TensorShape(actual)}", e.Message);
        Assert.Contains(FeedValue.Display(declared), e.Message);
    }

    [Fact]
    public void UnknownRank_AcceptsAnyShape_AndOptionalFeedsMayBeAbsent()
    {
        Assert.False(FeedValue.Of("x:0", Tensor.Zeros(DataType.DtFloat, new TensorShape(2, 3, 4)), null).IsAbsent);
        Assert.True(FeedValue.Optional<float>("keep:0", null, []).IsAbsent);
        Assert.Equal(0.5f, FeedValue.Optional<float>("keep:0", 0.5f, []).Value.Scalar<float>());
        Assert.True(FeedValue.Optional("s:0", (string?)null, []).IsAbsent);
        Assert.False(default(FeedValue).IsAbsent);
    }
}
