using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// An image-classifier serving graph as a TF user exports it (<c>tf.io.decode_jpeg</c> / <c>decode_png</c> →
/// <c>tf.cast</c> → <c>tf.expand_dims</c> → <c>tf.image.resize</c> (ResizeBilinear, half_pixel_centers) → a dense
/// softmax head), built node by node with our GraphBuilder and fed the encoded image bytes. Expected values are a
/// plain computation in this file on pixels that do not come from our decoder: libjpeg-turbo's own decode of the
/// JPEG (Kernels/Image/Data), and the original pixels for a PNG this test encodes.
/// </summary>
public class ImageServingGraphTests
{
    private const int Side = 8, Classes = 4;

    private static Graph BuildClassifier(string decodeOp, out int flat)
    {
        var b = new GraphBuilder();
        var bytes = b.Placeholder(DataType.DtString, [], "image_bytes");
        var decode = b.AddOperation(decodeOp, [bytes], new Dictionary<string, AttrValue> { ["channels"] = new AttrValue { I = 3 } }, decodeOp);
        var pixels = b.Cast(new Output(decode.Name, 0, DataType.DtUint8), DataType.DtFloat, "Cast");
        var batch = b.ExpandDims(pixels, 0, "ExpandDims");
        var resize = b.AddOperation("ResizeBilinear", [batch, b.Constant(new[] { Side, Side }, "resize/size")],
            new Dictionary<string, AttrValue> { ["align_corners"] = new AttrValue { B = false }, ["half_pixel_centers"] = new AttrValue { B = true } }, "resize/ResizeBilinear");
        flat = Side * Side * 3;
        var x = b.Reshape(new Output(resize.Name, 0, DataType.DtFloat), [1, flat], "Reshape");
        var w = b.Constant(Weights(flat), [flat, Classes], "dense/kernel");
        var bias = b.Constant(Enumerable.Range(0, Classes).Select(i => 0.1f * i).ToArray(), [Classes], "dense/bias");
        b.Softmax(b.BiasAdd(b.MatMul(x, w, name: "dense/MatMul"), bias, name: "dense/BiasAdd"), "probs");
        return b.Graph;
    }

    private static float[] Weights(int flat) => Enumerable.Range(0, flat * Classes).Select(i => (float)Math.Sin(i * 0.37) * 0.01f).ToArray();

    // TF's half-pixel bilinear resize (resize_bilinear_op.cc) on [h, w, 3] → [Side, Side, 3], then dense + softmax.
    private static float[] Expected(byte[] image, int h, int w)
    {
        var resized = new double[Side * Side * 3];
        (int, int, double) Tap(int o, int size, int outSize)
        {
            double v = (o + 0.5) * ((double)size / outSize) - 0.5;
            int lo = (int)Math.Floor(v);
            return (Math.Max(lo, 0), Math.Min((int)Math.Ceiling(v), size - 1), v - lo);
        }
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                var (y0, y1, ly) = Tap(y, h, Side);
                var (x0, x1, lx) = Tap(x, w, Side);
                for (int c = 0; c < 3; c++)
                {
                    double P(int yy, int xx) => image[(yy * w + xx) * 3 + c];
                    double top = P(y0, x0) + (P(y0, x1) - P(y0, x0)) * lx, bottom = P(y1, x0) + (P(y1, x1) - P(y1, x0)) * lx;
                    resized[(y * Side + x) * 3 + c] = top + (bottom - top) * ly;
                }
            }
        var wts = Weights(resized.Length);
        var logits = new double[Classes];
        for (int k = 0; k < Classes; k++)
        {
            logits[k] = 0.1 * k;
            for (int i = 0; i < resized.Length; i++) logits[k] += resized[i] * wts[i * Classes + k];
        }
        double max = logits.Max(), sum = logits.Sum(l => Math.Exp(l - max));
        return logits.Select(l => (float)(Math.Exp(l - max) / sum)).ToArray();
    }

    private static byte[] Resource(string name)
    {
        using var s = typeof(ImageServingGraphTests).Assembly.GetManifestResourceStream("ImageData." + name)!;
        var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    [Fact]
    public void JpegBytes_DecodeCastResizeDense_EqualsComputationOnLibjpegTurboPixels()
    {
        using var session = new Session(BuildClassifier("DecodeJpeg", out _));
        var probs = session.Run("probs:0", ("image_bytes:0", new Tensor(TensorShape.Scalar, [Resource("photo420.jpg")]))).ToArray<float>();
        // djpeg -dct fast output of the same file = TF's DecodeJpeg defaults; P6 header "P6\n40 24\n255\n" is 13 bytes.
        var reference = Resource("photo420.ifast.ppm")[13..];
        Tests.Support.TestTensors.Close(Expected(reference, 24, 40), probs, 1e-5f);
    }

    [Fact]
    public void PngBytesEncodedHere_DecodeCastResizeDense_EqualsComputationOnOriginalPixels()
    {
        int h = 13, w = 9;
        var rnd = new Random(5);
        var image = Enumerable.Range(0, h * w * 3).Select(_ => (byte)rnd.Next(256)).ToArray();
        using var encodeSession = new Session(EncodeGraph());
        var png = encodeSession.Run("png:0", ("pixels:0", Tensor.Create(image, [h, w, 3])));
        using var session = new Session(BuildClassifier("DecodePng", out _));
        var probs = session.Run("probs:0", ("image_bytes:0", png)).ToArray<float>();
        Tests.Support.TestTensors.Close(Expected(image, h, w), probs, 1e-5f);
        // Corrupt bytes fail with an error naming the decode node.
        var bad = png.Strings[0].ToArray();
        bad[20] ^= 0xFF;
        var e = Assert.ThrowsAny<Exception>(() => session.Run("probs:0", ("image_bytes:0", new Tensor(TensorShape.Scalar, [bad]))));
        Assert.Contains("DecodePng", e.Message);
    }

    private static Graph EncodeGraph()
    {
        var b = new GraphBuilder();
        var pixels = b.Placeholder(DataType.DtUint8, [-1, -1, 3], "pixels");
        b.AddOperation("EncodePng", [pixels], null, "png");
        return b.Graph;
    }
}
