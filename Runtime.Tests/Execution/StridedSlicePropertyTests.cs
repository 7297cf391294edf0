using static TypedGraph.Tests.Execution.ExecutionTestValues;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.ExecGraph;

namespace TypedGraph.Tests.Execution;

/// <summary>StridedSlice against a naive reference built on Python's slice.indices rules, on random 3-D specs.</summary>
public class StridedSlicePropertyTests
{
    private static List<int> Indices(int length, int? begin, int? end, int step)
    {
        int lower = step > 0 ? 0 : -1, upper = step > 0 ? length : length - 1;
        int Clamp(int? v, int fallback)
        {
            if (v == null) return fallback;
            int x = v.Value < 0 ? v.Value + length : v.Value;
            return x < lower ? lower : Math.Min(x, upper);
        }
        int start = Clamp(begin, step > 0 ? lower : upper), stop = Clamp(end, step > 0 ? upper : lower);
        var r = new List<int>();
        for (int i = start; step > 0 ? i < stop : i > stop; i += step) r.Add(i);
        return r;
    }

    [Fact]
    public void RandomSlicesMatchTheNaiveReference()
    {
        var rng = new Random(2024);
        for (int trial = 0; trial < 150; trial++)
        {
            var dims = Enumerable.Range(0, 3).Select(_ => rng.Next(1, 6)).ToArray();
            var x = Iota(dims[0] * dims[1] * dims[2], dims);
            var begin = new int[3];
            var end = new int[3];
            var stride = new int[3];
            long beginMask = 0, endMask = 0, shrinkMask = 0;
            var picks = new List<int>[3];
            var shrink = new bool[3];
            for (int d = 0; d < 3; d++)
            {
                begin[d] = rng.Next(-7, 8);
                end[d] = rng.Next(-7, 8);
                stride[d] = rng.Next(1, 4) * (rng.Next(2) == 0 ? 1 : -1);
                bool bm = rng.Next(4) == 0, em = rng.Next(4) == 0;
                if (bm) beginMask |= 1L << d;
                if (em) endMask |= 1L << d;
                if (rng.Next(5) == 0 && begin[d] >= -dims[d] && begin[d] < dims[d])
                {
                    shrink[d] = true;
                    shrinkMask |= 1L << d;
                    picks[d] = [begin[d] < 0 ? begin[d] + dims[d] : begin[d]];
                    continue;
                }
                picks[d] = Indices(dims[d], bm ? null : begin[d], em ? null : end[d], stride[d]);
            }
            var y = Run1("StridedSlice", [x, I(begin), I(end), I(stride)],
                ("begin_mask", Int(beginMask)), ("end_mask", Int(endMask)), ("shrink_axis_mask", Int(shrinkMask)));
            var expectedShape = Enumerable.Range(0, 3).Where(d => !shrink[d]).Select(d => picks[d].Count).ToArray();
            Assert.Equal(new TensorShape(expectedShape), y.Shape);
            var expected = new List<float>();
            foreach (var i in picks[0])
                foreach (var j in picks[1])
                    foreach (var k in picks[2])
                        expected.Add((i * dims[1] + j) * dims[2] + k);
            Assert.Equal(expected, y.ToArray<float>());
        }
    }
}
