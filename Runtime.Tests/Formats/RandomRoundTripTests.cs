using System.Text;
using TypedGraph.Formats;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Formats;

/// <summary>
/// Seeded random bundles (names with shared prefixes and non-ASCII, every dtype, empty and scalar shapes,
/// strings): what is written reads back equal, and re-saving what was read reproduces both files byte for byte.
/// </summary>
public class RandomRoundTripTests : IDisposable
{
    private static readonly DataType[] s_dtypes =
    [
        DataType.DtFloat, DataType.DtDouble, DataType.DtInt32, DataType.DtUint8, DataType.DtInt16, DataType.DtInt8,
        DataType.DtString, DataType.DtComplex64, DataType.DtInt64, DataType.DtBool, DataType.DtBfloat16, DataType.DtUint16,
        DataType.DtComplex128, DataType.DtHalf, DataType.DtUint32, DataType.DtUint64,
    ];

    private readonly string _dir = Directory.CreateTempSubdirectory("tg-random").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    private static Tensor RandomTensor(Random rng)
    {
        var dtype = s_dtypes[rng.Next(s_dtypes.Length)];
        var shape = new TensorShape(Enumerable.Range(0, rng.Next(4)).Select(_ => rng.Next(10) == 0 ? 0 : rng.Next(1, 6)).ToArray());
        if (dtype == DataType.DtString)
        {
            var strings = Enumerable.Range(0, (int)shape.NumElements).Select(_ =>
            {
                var b = new byte[rng.Next(4) == 0 ? rng.Next(200, 400) : rng.Next(8)];
                rng.NextBytes(b);
                return b;
            }).ToArray();
            return new Tensor(shape, strings);
        }
        var bytes = new byte[shape.NumElements * DataTypes.ElementSize(dtype)];
        rng.NextBytes(bytes);
        if (dtype == DataType.DtBool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        return new Tensor(dtype, shape, bytes);
    }

    private static string RandomName(Random rng)
    {
        string[] parts = ["layer", "dense", "kernel", "bias", "Adam", "Adam_1", "w", "Ωmega", "β1", "conv2d"];
        var sb = new StringBuilder(parts[rng.Next(parts.Length)]);
        for (int i = rng.Next(4); i > 0; i--) sb.Append('/').Append(parts[rng.Next(parts.Length)]).Append(rng.Next(3) == 0 ? "_" + rng.Next(20) : "");
        return sb.ToString();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void RandomBundles_RoundTripAndResaveIdentically(int seed)
    {
        var rng = new Random(seed);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        int count = rng.Next(1, 60);
        while (tensors.Count < count) tensors.TryAdd(RandomName(rng), RandomTensor(rng));
        var first = Path.Combine(_dir, "a");
        using (var w = new CheckpointWriter(first))
        {
            foreach (var (n, t) in tensors.OrderBy(_ => rng.Next())) w.Add(n, t); // any add order
            w.Finish();
        }
        var second = Path.Combine(_dir, "b");
        using (var r = CheckpointReader.Open(first))
        using (var w = new CheckpointWriter(second))
        {
            Assert.Equal(tensors.Keys.OrderBy(k => Encoding.UTF8.GetBytes(k), BytewiseComparer.Instance), r.Entries.Select(e => e.Name));
            foreach (var (name, t) in tensors)
            {
                var back = r.Read(name);
                Assert.Equal(t.DType, back.DType);
                Assert.Equal(t.Shape, back.Shape);
                if (t.DType == DataType.DtString) Assert.Equal(t.Strings, back.Strings);
                else Assert.Equal(t.Bytes.ToArray(), back.Bytes.ToArray());
                w.Add(name, back);
            }
            w.Finish();
        }
        Assert.Equal(File.ReadAllBytes(first + ".index"), File.ReadAllBytes(second + ".index"));
        Assert.Equal(File.ReadAllBytes(first + ".data-00000-of-00001"), File.ReadAllBytes(second + ".data-00000-of-00001"));
    }
}
