using System.Buffers.Binary;
using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Formats;

public class NpyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tg-npy").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    // What numpy.save writes for np.arange(6, dtype=np.float32).reshape(2, 3): version 1.0, a 118-byte header.
    [Fact]
    public void Write_MatchesNumpySaveBytes()
    {
        var path = Path.Combine(_dir, "a.npy");
        Npy.Write(path, Tensor.Create(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, 2, 3));
        var bytes = File.ReadAllBytes(path);
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        var header = dict + new string(' ', 118 - 1 - dict.Length) + "\n";
        var expected = new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 118, 0 }
            .Concat(Encoding.ASCII.GetBytes(header))
            .Concat(new[] { 0f, 1f, 2f, 3f, 4f, 5f }.SelectMany(BitConverter.GetBytes)).ToArray();
        Assert.Equal(expected, bytes);
        Assert.Equal(0, (10 + 118) % 64);
    }

    public static TheoryData<Tensor> Tensors => new()
    {
        Tensor.Create(new[] { 1.5f, -2f }),
        Tensor.Create(new[] { Math.E }, 1, 1),
        Tensor.FromScalar(7),
        Tensor.Create(new[] { long.MaxValue, -1L }),
        Tensor.Create(new[] { true, false, true }),
        Tensor.Create(new[] { (Half)0.5 }),
        Tensor.Create(new byte[] { 1, 255 }),
        Tensor.Create(new sbyte[] { -5 }),
        Tensor.Create(new short[] { -300 }),
        Tensor.Create(new ushort[] { 60000 }),
        Tensor.Create(new uint[] { 4_000_000_000 }),
        Tensor.Create(new ulong[] { ulong.MaxValue }),
        Tensor.Create(new[] { new System.Numerics.Complex(1, 2) }),
        Tensor.Zeros(DataType.DtFloat, new TensorShape(0, 4)),
    };

    [Theory]
    [MemberData(nameof(Tensors))]
    public void RoundTrip_AllNumericDtypesAndBool(Tensor t)
    {
        var path = Path.Combine(_dir, "t.npy");
        Npy.Write(path, t);
        var back = Npy.Read(path);
        Assert.Equal(t.DType, back.DType);
        Assert.Equal(t.Shape, back.Shape);
        Assert.Equal(t.Bytes.ToArray(), back.Bytes.ToArray());
    }

    private static byte[] Build(int major, string header, byte[] data)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var prefix = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0 };
        var len = new byte[major == 1 ? 2 : 4];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)h.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)h.Length);
        return [.. prefix, .. len, .. h, .. data];
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_Version2And3Headers(int major)
    {
        var bytes = Build(major, "{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }\n", [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0]);
        var t = Npy.Parse(bytes, "v.npy");
        Assert.Equal(new[] { 1, 2, 3 }, t.ToArray<int>());
    }

    [Fact]
    public void Read_BigEndianIsSwapped()
    {
        var t = Npy.Parse(Build(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", [0x3F, 0x80, 0, 0]), "be.npy");
        Assert.Equal(1f, t.AsSpan<float>()[0]);
    }

    [Fact]
    public void FortranOrder_IsAClearError()
    {
        var e = Assert.Throws<NpyFormatException>(() => Npy.Parse(Build(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", new byte[16]), "f.npy"));
        Assert.Contains("f.npy", e.Message);
        Assert.Contains("Fortran", e.Message);
    }

    [Theory]
    [InlineData("{'descr': '<U5', 'fortran_order': False, 'shape': (1,), }", "unsupported dtype")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (9,), }", "needs 36")]
    [InlineData("{'fortran_order': False, 'shape': (1,), }", "no 'descr'")]
    public void BadHeaders_AreClearErrors(string header, string expected)
    {
        var e = Assert.Throws<NpyFormatException>(() => Npy.Parse(Build(1, header + "\n", new byte[4]), "bad.npy"));
        Assert.Contains(expected, e.Message);
        Assert.Contains("bad.npy", Assert.Throws<NpyFormatException>(() => Npy.Parse("not numpy"u8.ToArray(), "bad.npy")).Message);
    }

    [Fact]
    public void Write_RejectsDtypesNumpyCannotHold()
        => Assert.Throws<NotSupportedException>(() => Npy.Write(Path.Combine(_dir, "s.npy"), new Tensor(new TensorShape(2, 2), new byte[4][]).Reshape(new TensorShape(4))));
}
