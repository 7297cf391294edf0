using TypedGraph.Protos;

namespace TypedGraph.Tests.Core;

public class TensorTests
{
    [Fact]
    public void CreateViewsElementsRowMajor()
    {
        using var t = Tensor.Create(new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        Assert.Equal(DataType.DtFloat, t.DType);
        Assert.Equal(new TensorShape(2, 3), t.Shape);
        Assert.Equal(24, t.ByteLength);
        Assert.Equal(6f, t.AsSpan<float>()[5]);
        Assert.Equal("float32[2, 3] {1, 2, 3, 4, 5, 6}", t.ToString());
    }

    [Fact]
    public void ScalarAndWrongViewAreChecked()
    {
        var t = Tensor.FromScalar(42L);
        Assert.Equal(0, t.Shape.Rank);
        Assert.Equal(42L, t.Scalar<long>());
        var ex = Assert.Throws<InvalidOperationException>(() => t.AsSpan<float>());
        Assert.Contains("int64", ex.Message);
    }

    [Fact]
    public void ShapeMismatchIsRejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Create(new int[] { 1, 2, 3 }, 2, 2));
        Assert.Contains("[2, 2]", ex.Message);
    }

    [Fact]
    public void EmptyAndStringTensors()
    {
        var empty = Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 3));
        Assert.Equal(0, empty.NumElements);
        var s = Tensor.FromStrings(["a", "bc"]);
        Assert.Equal(DataType.DtString, s.DType);
        Assert.Equal("bc"u8.ToArray(), s.Strings[1]);
    }

    [Fact]
    public void TensorRefParsesTfNames()
    {
        Assert.Equal(new TensorRef("w1", 0), TensorRef.Parse("w1:0"));
        Assert.Equal(new TensorRef("a/b", 2), TensorRef.Parse("a/b:2"));
        Assert.Equal(new TensorRef("op_to_restore", 0), TensorRef.Parse("op_to_restore"));
        Assert.Throws<FormatException>(() => TensorRef.Parse("^init"));
    }
}
