using System.Numerics;
using TypedGraph.Building;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using TypedGraph.Training;
using static TypedGraph.Tests.Training.ComplexGradientTests;

namespace TypedGraph.Tests.Training;

/// <summary>
/// Gradients of FFT/IFFT and RFFT/IRFFT (1–3D, TF's fft_ops.py gradients) against central differences in double:
/// complex inputs in their real and imaginary directions (<see cref="ComplexGradientTests.Check"/>), real RFFT inputs
/// through Re(RFFT(x)·c) with a fixed complex c (so both parts of every bin count). Covers batch dims, even and odd
/// innermost lengths (the Nyquist bin exists only for even ones), inputs longer than fft_length (the kernel crops; the
/// cropped elements get zero gradient) and dims unknown to the graph.
/// </summary>
public class FftGradientTests
{
    private static Dictionary<string, AttrValue> RealAttrs() => new() { ["Treal"] = Attrs.Type(DataType.DtDouble), ["Tcomplex"] = Attrs.Type(DataType.DtComplex128) };

    private static Output Transform(GraphBuilder b, string op, Output x, int[]? fftLength)
        => fftLength == null ? Op(b, op, [x])
            : b.OutputOf(b.AddOperation(op, [x, b.Constant(fftLength, "fft_length")], RealAttrs(), op));

    [Theory]
    [InlineData("FFT", new[] { 2, 5 })]
    [InlineData("IFFT", new[] { 2, 4 })]
    [InlineData("FFT2D", new[] { 2, 3, 4 })]
    [InlineData("IFFT2D", new[] { 3, 3 })]
    [InlineData("FFT3D", new[] { 2, 2, 3 })]
    [InlineData("IFFT3D", new[] { 2, 2, 2, 3 })]
    public void Complex_transform_gradient_matches_central_differences(string op, int[] shape)
        => Check((b, x) => Transform(b, op, x, null), Random(shape.Aggregate(1, (p, d) => p * d), 100 + shape.Length), shape);

    // RFFT output dims: the fft lengths with the innermost halved (+1), after the batch dims.
    private static int[] RfftShape(int[] input, int[] fft)
    {
        var o = input.ToArray();
        for (int i = 0; i < fft.Length; i++) o[o.Length - fft.Length + i] = fft[i];
        o[^1] = fft[^1] / 2 + 1;
        return o;
    }

    private static void CheckRfft(string op, int[] shape, int[] fft, long[]? placeholderShape = null)
    {
        var outShape = RfftShape(shape, fft);
        var c = Random(outShape.Aggregate(1, (p, d) => p * d), 7);
        var r = new Random(shape.Sum() + fft.Sum());
        var x0 = Enumerable.Range(0, shape.Aggregate(1, (p, d) => p * d)).Select(_ => r.NextDouble() * 2 - 1).ToArray();
        CentralDifferences.CheckGraphGradient((b, x) => Real(b, b.Multiply(Transform(b, op, x, fft), Const(b, c, outShape))), x0, shape, placeholderShape: placeholderShape);
    }

    [Theory]
    [InlineData("RFFT", new[] { 2, 6 }, new[] { 6 })]
    [InlineData("RFFT", new[] { 2, 5 }, new[] { 5 })]
    [InlineData("RFFT", new[] { 3, 8 }, new[] { 5 })]
    [InlineData("RFFT", new[] { 1 }, new[] { 1 })]
    [InlineData("RFFT2D", new[] { 2, 4, 6 }, new[] { 4, 6 })]
    [InlineData("RFFT2D", new[] { 3, 5 }, new[] { 3, 5 })]
    [InlineData("RFFT2D", new[] { 2, 5, 7 }, new[] { 4, 6 })]
    [InlineData("RFFT3D", new[] { 2, 3, 4 }, new[] { 2, 3, 4 })]
    [InlineData("RFFT3D", new[] { 2, 2, 3, 5 }, new[] { 2, 3, 3 })]
    public void Rfft_gradient_matches_central_differences(string op, int[] shape, int[] fft) => CheckRfft(op, shape, fft);

    [Fact]
    public void Rfft_gradient_with_dims_unknown_to_the_graph_pads_at_run_time()
    {
        CheckRfft("RFFT", [3, 8], [5], placeholderShape: [-1, -1]);
        CheckRfft("RFFT2D", [2, 5, 7], [4, 6], placeholderShape: [2, -1, -1]);
    }

    [Theory]
    [InlineData("IRFFT", new[] { 2, 4 }, new[] { 6 })]
    [InlineData("IRFFT", new[] { 2, 3 }, new[] { 5 })]
    [InlineData("IRFFT", new[] { 2, 6 }, new[] { 6 })]
    [InlineData("IRFFT2D", new[] { 2, 4, 4 }, new[] { 4, 6 })]
    [InlineData("IRFFT2D", new[] { 3, 3 }, new[] { 3, 5 })]
    [InlineData("IRFFT2D", new[] { 5, 4 }, new[] { 4, 5 })]
    [InlineData("IRFFT3D", new[] { 2, 3, 3 }, new[] { 2, 3, 4 })]
    public void Irfft_gradient_matches_central_differences(string op, int[] shape, int[] fft)
        // A complex input in both parts: the DC and Nyquist bins' imaginary parts of the innermost dim do not reach the
        // output (gradient 0), the other bins count twice.
        => Check((b, y) => Transform(b, op, y, fft), Random(shape.Aggregate(1, (p, d) => p * d), 110 + shape.Sum()), shape);

    [Fact]
    public void Real_transform_of_an_empty_input_has_an_empty_gradient()
    {
        // x [2, 0]: RFFT gives zeros [2, 3]; the gradient has x's empty shape, statically known or not.
        foreach (var placeholder in new long[][] { [2, 0], [-1, -1] })
        {
            var b = new GraphBuilder();
            var x = b.Placeholder(DataType.DtDouble, placeholder, "x");
            var y = Transform(b, "RFFT", x, [4]);
            var loss = b.ReduceSum(b.Reshape(Real(b, y), [-1]), [0]);
            var g = Gradients.Compute(b, [loss], [x])[0]!.Value;
            using var s = new Session(b.Graph);
            var grad = s.Run(g.Name, ("x:0", Tensor.Create(Array.Empty<double>(), 2, 0)));
            Assert.Equal([2, 0], grad.Shape.ToArray());
        }
    }

    [Fact]
    public void Real_transform_gradient_needs_a_constant_fft_length()
    {
        var b = new GraphBuilder();
        var x = b.Placeholder(DataType.DtDouble, [2, 4], "x");
        var len = b.Placeholder(DataType.DtInt32, [1], "len");
        var y = b.OutputOf(b.AddOperation("RFFT", [x, len], RealAttrs(), "rfft_node"));
        var e = Assert.Throws<NotSupportedException>(() => Gradients.Compute(b, [b.ReduceSum(b.Reshape(Real(b, y), [-1]), [0])], [x]));
        Assert.Contains("rfft_node", e.Message);
    }
}
