using TypedGraph.Protos;
using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// Select / SelectV2 on random shapes against an element-by-element reference: TF1 Select's scalar, row-picking vector
/// and full-shape conditions (the kernel copies whole rows when one condition covers them), SelectV2's three-way
/// broadcasting, every element width and strings.
/// </summary>
public class SelectKernelTests
{
    private static int[] Strides(int[] dims)
    {
        var s = new int[dims.Length];
        for (int i = dims.Length - 1, acc = 1; i >= 0; acc *= dims[i], i--) s[i] = acc;
        return s;
    }

    /// <summary>The flat index into a tensor of <paramref name="dims"/> broadcast (right-aligned) to <paramref name="outDims"/>.</summary>
    private static int Source(int flat, int[] outDims, int[] dims)
    {
        var os = Strides(outDims);
        var ins = Strides(dims);
        int index = 0;
        for (int d = 0; d < outDims.Length; d++)
        {
            int coord = flat / os[d] % outDims[d];
            int id = d - (outDims.Length - dims.Length);
            if (id >= 0 && dims[id] != 1) index += coord * ins[id];
        }
        return index;
    }

    private static Tensor Values(DataType dtype, int[] dims, Random r)
    {
        int n = dims.Aggregate(1, (a, b) => a * b);
        if (dtype == DataType.DtString)
            return new Tensor(new TensorShape(dims), Enumerable.Range(0, n).Select(_ => System.Text.Encoding.UTF8.GetBytes($"s{r.Next(1000)}")).ToArray());
        var bytes = new byte[n * DataTypes.ElementSize(dtype)];
        r.NextBytes(bytes);
        return new Tensor(dtype, new TensorShape(dims), bytes);
    }

    private static byte[] Element(Tensor t, int i)
        => t.DType == DataType.DtString ? t.Strings[i] : t.Bytes.Slice(i * DataTypes.ElementSize(t.DType), DataTypes.ElementSize(t.DType)).ToArray();

    [Fact]
    public void RandomShapesMatchTheElementwiseReference()
    {
        var r = new Random(2024);
        DataType[] dtypes = [DataType.DtFloat, DataType.DtUint8, DataType.DtHalf, DataType.DtInt64, DataType.DtComplex128, DataType.DtString];
        for (int trial = 0; trial < 300; trial++)
        {
            bool v2 = trial % 2 == 1;
            var dtype = dtypes[trial % dtypes.Length];
            int rank = r.Next(0, 4);
            var outDims = Enumerable.Range(0, rank).Select(_ => r.Next(1, 7)).ToArray();
            int[] condDims, thenDims, elseDims;
            if (v2)
            {
                int[] Squash() => outDims.Skip(r.Next(0, rank + 1)).Select(d => r.Next(3) == 0 ? 1 : d).ToArray();
                condDims = Squash();
                thenDims = Squash();
                elseDims = Squash();
                // The output is the broadcast of the three; make sure one of them carries every dim.
                switch (r.Next(3)) { case 0: condDims = outDims; break; case 1: thenDims = outDims; break; default: elseDims = outDims; break; }
            }
            else
            {
                thenDims = elseDims = outDims;
                int kind = rank == 0 ? 0 : r.Next(3); // scalar, a vector over the first dim, the full shape
                condDims = kind == 0 ? [] : kind == 1 ? [outDims[0]] : outDims;
            }
            var cond = Values(DataType.DtBool, condDims, r);
            var cs = cond.Bytes;
            for (int i = 0; i < cs.Length; i++) cs[i] = (byte)(cs[i] & 1);
            var then = Values(dtype, thenDims, r);
            var @else = Values(dtype, elseDims, r);
            var got = Compute1(v2 ? "SelectV2" : "Select", [cond, then, @else]);
            Assert.Equal(new TensorShape(outDims), got.Shape);
            int n = outDims.Aggregate(1, (a, b) => a * b);
            for (int i = 0; i < n; i++)
            {
                int ci = !v2 && condDims.Length == 1 && rank > 1 ? i / Strides(outDims)[0] : Source(i, outDims, condDims);
                bool pick = cond.AsSpan<bool>()[ci];
                var want = pick ? Element(then, Source(i, outDims, thenDims)) : Element(@else, Source(i, outDims, elseDims));
                Assert.True(want.AsSpan().SequenceEqual(Element(got, i)),
                    $"trial {trial} {(v2 ? "SelectV2" : "Select")} {DataTypes.Name(dtype)} cond [{string.Join(",", condDims)}] then [{string.Join(",", thenDims)}] else [{string.Join(",", elseDims)}]: element {i}");
            }
        }
    }
}
