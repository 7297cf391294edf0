using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Training;
using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.Image;

/// <summary>
/// ResizeBilinearGrad / ResizeNearestNeighborGrad / ResizeBicubicGrad (TF's resize_*_op.cc gradient kernels) and the
/// gradients image_grad.py registers for the resize ops. Every resize is linear in the image, so the exact gradient is
/// the transpose of the forward map: column i of it is the forward applied to the i-th basis image, which the tests
/// compute with the (separately TF-checked) forward kernels. Naive scatter loops written here from TF's formulas, dtype
/// rules, errors, central differences through <see cref="Gradients.Compute"/> and a training run complete the checks.
/// </summary>
public class ResizeGradientTests
{
    private static (string Name, AttrValue Value)[] Flags(bool align, bool half) => Attrs(("align_corners", align), ("half_pixel_centers", half));

    public static TheoryData<string, int, int, int, int, bool, bool> Cases()
    {
        var d = new TheoryData<string, int, int, int, int, bool, bool>();
        foreach (var op in new[] { "ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic" })
            foreach (var (inH, inW, outH, outW) in new[] { (3, 4, 5, 7), (5, 6, 2, 3), (4, 4, 4, 4), (1, 3, 3, 1), (3, 2, 7, 5) })
            {
                d.Add(op, inH, inW, outH, outW, false, false);
                d.Add(op, inH, inW, outH, outW, true, false);
                d.Add(op, inH, inW, outH, outW, false, true);
            }
        return d;
    }

    /// <summary>The gradient kernel applied to g equals Aᵀg, A being the forward resize (column by column).</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void GradKernel_IsTransposeOfForwardResize(string op, int inH, int inW, int outH, int outW, bool align, bool half)
    {
        const int batch = 2, ch = 2;
        var r = new Random(inH * 100 + outW * 7 + (align ? 1 : 0) + (half ? 2 : 0));
        var g = RandomFloats(r, batch * outH * outW * ch);
        var gradT = F(g, batch, outH, outW, ch);
        var original = F(new float[batch * inH * inW * ch], batch, inH, inW, ch);
        var grad = op == "ResizeNearestNeighbor"
            ? Compute1(op + "Grad", [gradT, I([inH, inW])], Flags(align, half))
            : Compute1(op + "Grad", [gradT, original], Flags(align, half));
        Assert.Equal(new TensorShape(batch, inH, inW, ch), grad.Shape);
        var actual = grad.ToArray<float>();
        for (int i = 0; i < actual.Length; i++)
        {
            var basis = new float[actual.Length];
            basis[i] = 1;
            var column = Compute1(op, [F(basis, batch, inH, inW, ch), I([outH, outW])], Flags(align, half)).ToArray<float>();
            double expected = 0;
            for (int k = 0; k < column.Length; k++) expected += (double)column[k] * g[k];
            Assert.True(Math.Abs(expected - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{op} element {i}: Aᵀg = {expected}, kernel {actual[i]}");
        }
    }

    /// <summary>TF's ResizeGradCore written as a plain scatter: every resized pixel sends (1−ly)(1−lx)… of its gradient to
    /// its four source pixels (coordinates in float, as image_resizer_state.h's scalers).</summary>
    private static float[] BilinearScatterReference(float[] g, int batch, int rh, int rw, int ch, int oh, int ow, bool align, bool half)
    {
        var o = new float[batch * oh * ow * ch];
        float Scale(int orig, int resized) => align && resized > 1 ? (orig - 1) / (float)(resized - 1) : orig / (float)resized;
        float sy = Scale(oh, rh), sx = Scale(ow, rw);
        for (int b = 0; b < batch; b++)
            for (int y = 0; y < rh; y++)
                for (int x = 0; x < rw; x++)
                    for (int c = 0; c < ch; c++)
                    {
                        float iy = half ? (y + 0.5f) * sy - 0.5f : y * sy, ix = half ? (x + 0.5f) * sx - 0.5f : x * sx;
                        int top = Math.Max((int)MathF.Floor(iy), 0), bottom = Math.Min((int)MathF.Ceiling(iy), oh - 1);
                        int left = Math.Max((int)MathF.Floor(ix), 0), right = Math.Min((int)MathF.Ceiling(ix), ow - 1);
                        float ly = iy - MathF.Floor(iy), lx = ix - MathF.Floor(ix);
                        float v = g[((b * rh + y) * rw + x) * ch + c];
                        o[((b * oh + top) * ow + left) * ch + c] += v * (1 - ly) * (1 - lx);
                        o[((b * oh + top) * ow + right) * ch + c] += v * (1 - ly) * lx;
                        o[((b * oh + bottom) * ow + left) * ch + c] += v * ly * (1 - lx);
                        o[((b * oh + bottom) * ow + right) * ch + c] += v * ly * lx;
                    }
        return o;
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void ResizeBilinearGrad_EqualsNaiveScatter_FloatDoubleHalfBfloat16(bool align, bool half)
    {
        const int batch = 2, rh = 5, rw = 7, ch = 3, oh = 3, ow = 4;
        var g = RandomFloats(new Random(5), batch * rh * rw * ch);
        var expected = BilinearScatterReference(g, batch, rh, rw, ch, oh, ow, align, half);
        Tensor Run(DataType t) => Compute1("ResizeBilinearGrad", [F(g, batch, rh, rw, ch), Tensor.Zeros(t, new TensorShape(batch, oh, ow, ch))], Flags(align, half));
        var f = Run(DataType.DtFloat);
        Assert.Equal(DataType.DtFloat, f.DType);
        Close(expected, f.ToArray<float>(), 1e-6f);
        var d = Run(DataType.DtDouble);
        Assert.Equal(DataType.DtDouble, d.DType);
        Close(expected, Array.ConvertAll(d.ToArray<double>(), v => (float)v), 1e-6f);
        // half and bfloat16: TF accumulates in float and casts once, so each element is the float result rounded once.
        var h = Run(DataType.DtHalf);
        Assert.Equal(DataType.DtHalf, h.DType);
        var fl = f.ToArray<float>();
        Assert.Equal(fl.Select(v => (Half)v), h.ToArray<Half>());
        var bf = Run(DataType.DtBfloat16);
        Assert.Equal(DataType.DtBfloat16, bf.DType);
        var bits = bf.ToArray<ushort>();
        for (int i = 0; i < fl.Length; i++)
        {
            uint u = BitConverter.SingleToUInt32Bits(fl[i]);
            Assert.Equal((ushort)((u + 0x7FFF + ((u >> 16) & 1)) >> 16), bits[i]); // round to nearest even
        }
    }

    [Fact]
    public void ResizeNearestNeighborGrad_SumsIntoChosenPixels_InTheGradDtype()
    {
        // 2 -> 5 legacy: resized x picks floor(x·0.4) = 0,0,0,1,1, so pixel 0 gets three gradients, pixel 1 two.
        var g = I([1, 2, 3, 4, 5], 1, 1, 5, 1);
        Assert.Equal([6, 9], Compute1("ResizeNearestNeighborGrad", [g, I([1, 2])], Flags(false, false)).ToArray<int>());
        // align_corners 2 -> 5: round(x·0.25) = 0,0,1,1,1 (roundf(0.5) = 1).
        Assert.Equal([3, 12], Compute1("ResizeNearestNeighborGrad", [g, I([1, 2])], Flags(true, false)).ToArray<int>());
        // half_pixel_centers 2 -> 5: floor((x + 0.5)·0.4) = 0,0,1,1,1.
        Assert.Equal([3, 12], Compute1("ResizeNearestNeighborGrad", [g, I([1, 2])], Flags(false, true)).ToArray<int>());
        // TF's gradient kernel accepts both flags (only the forward rejects them): round((x + 0.5)·0.25) = 0,0,1,1,1.
        Assert.Equal([3, 12], Compute1("ResizeNearestNeighborGrad", [g, I([1, 2])], Flags(true, true)).ToArray<int>());
        // uint8 wraps as C++ does: 200 + 100 = 44 (mod 256).
        var bytes = Tensor.Create(new byte[] { 200, 100 }, 1, 1, 2, 1);
        Assert.Equal([(byte)44], Compute1("ResizeNearestNeighborGrad", [bytes, I([1, 1])], Flags(false, false)).ToArray<byte>());
        // half accumulates in half: 2048 + 1 + 1 stays 2048 when rounded after each add (ulp(2048) = 2), not 2050.
        var halves = Tensor.Create(new[] { (Half)2048, (Half)1, (Half)1 }, 1, 1, 3, 1);
        Assert.Equal([(Half)2048], Compute1("ResizeNearestNeighborGrad", [halves, I([1, 1])], Flags(false, false)).ToArray<Half>());
    }

    [Fact]
    public void ResizeGradKernels_RejectWhatTfRejects()
    {
        var g = F(new float[8], 1, 2, 2, 2);
        var image = F(new float[4], 1, 1, 2, 2);
        Assert.Contains("If half_pixel_centers is True, align_corners must be False",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBilinearGrad", [g, image], Flags(true, true))).Message);
        Assert.Contains("input_grad must be of type float",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBicubicGrad", [Tensor.Zeros(DataType.DtDouble, new TensorShape(1, 2, 2, 2)), image])).Message);
        Assert.Contains("original_image must be 4-dimensional",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBilinearGrad", [g, F(new float[4], 2, 2)])).Message);
        Assert.Contains("original dimensions must be positive",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBilinearGrad", [g, F([], 1, 0, 2, 2)])).Message);
        Assert.Contains("ResizeBicubicGrad is registered for float and double",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeBicubicGrad", [g, Tensor.Zeros(DataType.DtHalf, new TensorShape(1, 1, 2, 2))])).Message);
        Assert.Contains("shape_t's elements must be positive",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeNearestNeighborGrad", [g, I([0, 2])])).Message);
        Assert.Contains("shape_t must have two elements",
            Assert.Throws<GraphExecutionException>(() => Compute1("ResizeNearestNeighborGrad", [g, I([1, 2, 3])])).Message);
    }

    /// <summary>Central differences of L = Σ w·resize(x) through the registered gradient (float and double images).</summary>
    [Theory]
    [InlineData("ResizeBilinear", DataType.DtFloat, false, false)]
    [InlineData("ResizeBilinear", DataType.DtDouble, false, true)]
    [InlineData("ResizeBilinear", DataType.DtFloat, true, false)]
    [InlineData("ResizeNearestNeighbor", DataType.DtFloat, false, true)]
    [InlineData("ResizeNearestNeighbor", DataType.DtDouble, true, false)]
    [InlineData("ResizeBicubic", DataType.DtFloat, false, true)]
    [InlineData("ResizeBicubic", DataType.DtDouble, false, false)]
    public void RegisteredGradient_MatchesCentralDifferences(string op, DataType dtype, bool align, bool half)
    {
        int[] shape = [2, 3, 4, 2];
        var b = new GraphBuilder();
        var x = b.Placeholder(dtype, shape.Select(v => (long)v).ToArray(), "x");
        var y = b.OutputOf(b.AddOperation(op, [x, b.Constant(new[] { 5, 3 })], new Dictionary<string, AttrValue>
            { ["align_corners"] = TypedGraph.Building.Attrs.Bool(align), ["half_pixel_centers"] = TypedGraph.Building.Attrs.Bool(half) }, op));
        var yd = y.BaseType == DataType.DtDouble ? y : b.Cast(y, DataType.DtDouble);
        var w = b.Placeholder(DataType.DtDouble, null, "w");
        var loss = b.ReduceSum(b.Reshape(b.Multiply(yd, w), [-1]), [0]);
        var gx = Gradients.Compute(b, [loss], [x])[0]!.Value;
        Assert.Equal(dtype, gx.BaseType);
        using var s = new Session(b.Graph);
        var x0 = Enumerable.Range(0, 48).Select(i => Math.Sin(i * 0.7)).ToArray();
        Tensor Feed(double[] v) => dtype == DataType.DtDouble ? Tensor.Create(v, shape) : Tensor.Create(Array.ConvertAll(v, d => (float)d), shape);
        var wv = Tensor.Create(Enumerable.Range(0, 2 * 5 * 3 * 2).Select(i => Math.Cos(i * 1.3)).ToArray(), 2, 5, 3, 2);
        var analytic = FiniteDiff.Doubles(s.Run(gx.Name, ("x:0", Feed(x0)), ("w:0", wv)));
        const double h = 0.25; // the map is linear in x, so a wide step is exact up to float rounding
        for (int i = 0; i < x0.Length; i++)
        {
            var p = (double[])x0.Clone();
            var m = (double[])x0.Clone();
            p[i] += h;
            m[i] -= h;
            double numeric = (s.Run(loss.Name, ("x:0", Feed(p)), ("w:0", wv)).Scalar<double>() - s.Run(loss.Name, ("x:0", Feed(m)), ("w:0", wv)).Scalar<double>()) / (2 * h);
            Assert.True(Math.Abs(numeric - analytic[i]) <= 1e-5 * Math.Max(1, Math.Abs(numeric)), $"{op} element {i}: numeric {numeric}, analytic {analytic[i]}");
        }
    }

    [Fact]
    public void ResizeGradients_AsImageGradPy_DtypeGuardsAndNearestSizeInput()
    {
        var b = new GraphBuilder();
        var ints = b.Placeholder(DataType.DtInt32, [1, 2, 2, 1], "ints");
        var bicubicHalf = b.Placeholder(DataType.DtHalf, [1, 2, 2, 1], "h");
        var f = b.Placeholder(DataType.DtFloat, [1, -1, -1, 1], "f");
        var size = b.Constant(new[] { 3, 3 });
        Output Resize(string op, Output x) => b.OutputOf(b.AddOperation(op, [x, size], null, op));
        var r1 = Resize("ResizeBilinear", ints);
        var r2 = Resize("ResizeBicubic", bicubicHalf);
        var r3 = Resize("ResizeNearestNeighbor", f);
        var grads = Gradients.Compute(b, [b.ReduceSum(b.Reshape(r1, [-1]), [0]), b.ReduceSum(b.Reshape(r2, [-1]), [0]), b.ReduceSum(b.Reshape(r3, [-1]), [0])], [ints, bicubicHalf, f]);
        Assert.Null(grads[0]); // integer images carry no gradient
        Assert.Null(grads[1]); // image_grad.py: bicubic only for float32/float64
        var nn = b.Graph.GetNode(grads[2]!.Value.NodeName)!;
        Assert.Equal("ResizeNearestNeighborGrad", nn.Op);
        // H and W unknown statically, so the size is Shape(images)[1:3].
        Assert.Equal("StridedSlice", b.Graph.GetNode(nn.Inputs[1].NodeName)!.Op);
        using var s = new Session(b.Graph);
        var img = F([1, 2, 3, 4, 5, 6], 1, 2, 3, 1);
        var g = s.Run(grads[2]!.Value.Name, ("f:0", img));
        Assert.Equal(new TensorShape(1, 2, 3, 1), g.Shape);
        // 2x3 -> 3x3 legacy nearest: rows floor(y·2/3) = 0,0,1; columns identity, so row 0 gets 2, row 1 gets 1.
        Assert.Equal([2f, 2, 2, 1, 1, 1], g.ToArray<float>());
    }

    [Fact]
    public void GraphWithHalfPixelResizeLayer_Trains_FirstStepIsMinusLrTimesScatteredResidual()
    {
        // v [1,3,3,1] -> ResizeBilinear(half_pixel) to 5x5 -> mean squared error to a target; plain gradient descent.
        var b = new GraphBuilder();
        var v = b.Variable([1, 3, 3, 1], new ZerosInitializer(), "v");
        var y = b.OutputOf(b.AddOperation("ResizeBilinear", [v.Snapshot, b.Constant(new[] { 5, 5 })],
            new Dictionary<string, AttrValue> { ["half_pixel_centers"] = TypedGraph.Building.Attrs.Bool(true) }, "resize"));
        // A reachable target: the same resize of a known 3x3 image.
        var targetValues = Compute1("ResizeBilinear", [F([1, -2, 3, 0.5f, 4, -1, 2, 2, -3], 1, 3, 3, 1), I([5, 5])], Flags(false, true)).ToArray<float>();
        var target = b.Constant(targetValues, [1, 5, 5, 1]);
        var loss = b.ReduceMean(b.Square(b.Subtract(y, target)), [0, 1, 2, 3]);
        const float lr = 2f;
        var train = new GradientDescentOptimizer(lr).Minimize(b, loss);
        b.GlobalVariablesInitializer();
        using var s = new Session(b.Graph);
        s.Initialize();
        float first = s.Run(loss.Name).Scalar<float>();
        s.Run([], new Dictionary<string, Tensor>(), [train.Name]);
        // d loss / d y = 2 (y − t) / 25 with y = 0 at the start; scattered back by TF's bilinear rule.
        var residual = targetValues.Select(t => 2 * (0 - t) / 25f).ToArray();
        var expectedStep = BilinearScatterReference(residual, 1, 5, 5, 1, 3, 3, false, true).Select(gv => -lr * gv).ToArray();
        Close(expectedStep, s.Run(v.Snapshot.Name).ToArray<float>(), 1e-6f);
        for (int i = 0; i < 300; i++) s.Run([], new Dictionary<string, Tensor>(), [train.Name]);
        float last = s.Run(loss.Name).Scalar<float>();
        Assert.True(last < first * 1e-3f, $"loss {first} -> {last}");
    }

    private static class FiniteDiff
    {
        public static double[] Doubles(Tensor t) => t.DType == DataType.DtDouble ? t.ToArray<double>() : Array.ConvertAll(t.ToArray<float>(), v => (double)v);
    }
}
