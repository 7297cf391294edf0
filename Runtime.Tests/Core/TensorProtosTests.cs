using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Core;

public class TensorProtosTests
{
    private static TensorShapeProto Shape(params long[] dims)
    {
        var p = new TensorShapeProto();
        foreach (var d in dims) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
        return p;
    }

    [Fact]
    public void SplatFloatValFillsTheShape()
    {
        // tf.zeros([784, 10]) is written as one float_val.
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = Shape(3, 2) };
        p.FloatVal.Add(0.5f);
        var t = TensorProtos.ToTensor(p);
        Assert.Equal(new TensorShape(3, 2), t.Shape);
        Assert.Equal(Enumerable.Repeat(0.5f, 6), t.ToArray<float>());
    }

    [Fact]
    public void PartialValsRepeatTheLastValue()
    {
        var p = new TensorProto { Dtype = DataType.DtInt32, TensorShape = Shape(5) };
        p.IntVal.Add([1, 2, 3]);
        Assert.Equal([1, 2, 3, 3, 3], TensorProtos.ToTensor(p).ToArray<int>());
    }

    [Fact]
    public void EmptyValsMeanZeros()
    {
        var p = new TensorProto { Dtype = DataType.DtInt64, TensorShape = Shape(2, 2) };
        Assert.Equal(new long[4], TensorProtos.ToTensor(p).ToArray<long>());
    }

    [Fact]
    public void TensorContentIsRawLittleEndian()
    {
        var p = new TensorProto { Dtype = DataType.DtInt32, TensorShape = Shape(2), TensorContent = ByteString.CopyFrom(1, 0, 0, 0, 0, 1, 0, 0) };
        Assert.Equal([1, 256], TensorProtos.ToTensor(p).ToArray<int>());
    }

    [Fact]
    public void TensorContentOfTheWrongSizeNamesTheProto()
    {
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = Shape(3), TensorContent = ByteString.CopyFrom(new byte[8]) };
        var ex = Assert.Throws<GraphFormatException>(() => TensorProtos.ToTensor(p, "Const node 'c'"));
        Assert.Contains("Const node 'c'", ex.Message);
        Assert.Contains("12", ex.Message);
    }

    [Fact]
    public void TooManyValsAndUnknownShapesAreRejected()
    {
        var p = new TensorProto { Dtype = DataType.DtFloat, TensorShape = Shape(1) };
        p.FloatVal.Add([1, 2]);
        Assert.Throws<GraphFormatException>(() => TensorProtos.ToTensor(p));
        var q = new TensorProto { Dtype = DataType.DtFloat, TensorShape = Shape(-1) };
        Assert.Throws<GraphFormatException>(() => TensorProtos.ToTensor(q));
    }

    [Fact]
    public void HalfAndBfloat16UseRawBitPatterns()
    {
        var p = new TensorProto { Dtype = DataType.DtHalf, TensorShape = Shape(2) };
        p.HalfVal.Add([0x3C00, 0xC000]); // 1.0, -2.0
        var t = TensorProtos.ToTensor(p);
        Assert.Equal([(Half)1, (Half)(-2)], t.ToArray<Half>());
        var b = new TensorProto { Dtype = DataType.DtBfloat16, TensorShape = Shape() };
        b.HalfVal.Add(0x3F80); // bfloat16 1.0
        var bt = TensorProtos.ToTensor(b);
        Assert.Equal((ushort)0x3F80, bt.Scalar<ushort>());
        Assert.Equal([0x3F80], TensorProtos.FromTensor(bt).HalfVal);
    }

    [Fact]
    public void SmallIntegerTypesComeFromIntVal()
    {
        var p = new TensorProto { Dtype = DataType.DtInt8, TensorShape = Shape(3) };
        p.IntVal.Add([-1, 127, -128]);
        Assert.Equal(new sbyte[] { -1, 127, -128 }, TensorProtos.ToTensor(p).ToArray<sbyte>());
        var u = new TensorProto { Dtype = DataType.DtUint16, TensorShape = Shape(2) };
        u.IntVal.Add(65535);
        Assert.Equal(new ushort[] { 65535, 65535 }, TensorProtos.ToTensor(u).ToArray<ushort>());
    }

    [Fact]
    public void ComplexValsArePairs()
    {
        var p = new TensorProto { Dtype = DataType.DtComplex64, TensorShape = Shape(2) };
        p.ScomplexVal.Add([1, 2]);
        Assert.Equal([1f, 2f, 1f, 2f], TensorProtos.ToTensor(p).ToArray<float>());
    }

    [Fact]
    public void StringsSplatAndRoundTrip()
    {
        var p = new TensorProto { Dtype = DataType.DtString, TensorShape = Shape(3) };
        p.StringVal.Add(ByteString.CopyFromUtf8("a"));
        p.StringVal.Add(ByteString.CopyFromUtf8("b"));
        var t = TensorProtos.ToTensor(p);
        Assert.Equal(["a", "b", "b"], t.Strings.Select(s => System.Text.Encoding.UTF8.GetString(s)));
        var back = TensorProtos.FromTensor(t);
        Assert.Equal(3, back.StringVal.Count);
        Assert.Equal("b", back.StringVal[2].ToStringUtf8());
    }

    [Fact]
    public void FromTensorMirrorsMakeTensorProto()
    {
        var scalar = TensorProtos.FromTensor(Tensor.FromScalar(3.5f));
        Assert.Equal([3.5f], scalar.FloatVal);
        Assert.True(scalar.TensorContent.IsEmpty);
        Assert.Empty(scalar.TensorShape.Dim);

        var m = TensorProtos.FromTensor(Tensor.Create(new long[] { 1, -2, 3, 4 }, 2, 2));
        Assert.Equal(32, m.TensorContent.Length);
        Assert.Empty(m.Int64Val);
        Assert.Equal([2L, 2L], m.TensorShape.Dim.Select(d => d.Size));
        Assert.Equal(new long[] { 1, -2, 3, 4 }, TensorProtos.ToTensor(m).ToArray<long>());

        var b = TensorProtos.FromTensor(Tensor.FromScalar(true));
        Assert.Equal([true], b.BoolVal);
        var empty = TensorProtos.FromTensor(Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 4)));
        Assert.Equal(0, TensorProtos.ToTensor(empty).NumElements);
    }

    [Theory]
    [InlineData(DataType.DtFloat)]
    [InlineData(DataType.DtDouble)]
    [InlineData(DataType.DtInt32)]
    [InlineData(DataType.DtInt64)]
    [InlineData(DataType.DtUint8)]
    [InlineData(DataType.DtInt16)]
    [InlineData(DataType.DtUint32)]
    [InlineData(DataType.DtUint64)]
    [InlineData(DataType.DtBool)]
    [InlineData(DataType.DtHalf)]
    [InlineData(DataType.DtComplex128)]
    public void EveryNumericDtypeRoundTripsAsScalarAndArray(DataType dtype)
    {
        int size = DataTypes.ElementSize(dtype);
        foreach (var shape in new[] { TensorShape.Scalar, new TensorShape(2, 3) })
        {
            var bytes = new byte[shape.NumElements * size];
            for (int i = 0; i < bytes.Length; i++) bytes[i] = dtype == DataType.DtBool ? (byte)(i % 2) : (byte)(i * 7 + 1);
            var t = new Tensor(dtype, shape, bytes);
            var back = TensorProtos.ToTensor(TensorProtos.FromTensor(t));
            Assert.Equal(dtype, back.DType);
            Assert.Equal(shape, back.Shape);
            Assert.Equal(bytes, back.Bytes.ToArray());
        }
    }
}
