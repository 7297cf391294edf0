using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Review;

/// <summary>Shapes whose element count overflows a long must be rejected, not wrap to 0 or a negative size.</summary>
public class ShapeOverflowTests
{
    private static byte[] NpyWithShape(string shape)
    {
        var dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        var header = dict.PadRight(128 - 10 - 1) + "\n";
        var bytes = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)header.Length, 0 };
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        return bytes.ToArray();
    }

    [Fact]
    public void NpyShapeWhoseCountWrapsToZeroIsAFormatError()
    {
        // 65536^4 = 2^64 wraps to 0 in unchecked long arithmetic: the file would "fit" with no data.
        var ex = Assert.Throws<NpyFormatException>(() => Npy.Parse(NpyWithShape("(65536, 65536, 65536, 65536)"), "wrap.npy"));
        Assert.Contains("wrap.npy", ex.Message);
    }

    [Fact]
    public void NpyShapeWhoseCountWrapsNegativeIsAFormatError()
    {
        Assert.Throws<NpyFormatException>(() => Npy.Parse(NpyWithShape("(2147483647, 2147483647, 3)"), "neg.npy"));
    }

    [Fact]
    public void TensorProtoShapeWhoseCountWrapsIsAGraphFormatError()
    {
        var proto = new TensorProto { Dtype = DataType.DtFloat, TensorShape = new TensorShapeProto() };
        for (int i = 0; i < 4; i++) proto.TensorShape.Dim.Add(new TensorShapeProto.Types.Dim { Size = 65536 });
        var ex = Assert.Throws<GraphFormatException>(() => TensorProtos.ToTensor(proto, "Const node 'c'"));
        Assert.Contains("'c'", ex.Message);
    }

    [Fact]
    public void TensorShapeRejectsOverflowingElementCount()
    {
        Assert.Throws<ArgumentException>(() => new TensorShape(65536, 65536, 65536, 65536));
        Assert.Equal(0, new TensorShape(0, int.MaxValue, int.MaxValue, int.MaxValue).NumElements);
    }
}
