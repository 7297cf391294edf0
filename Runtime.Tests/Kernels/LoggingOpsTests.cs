using System.Text;
using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.Logging;
using TypedGraph.Protos;
using TypedGraph.Tests.Support;
using static TypedGraph.Tests.Support.ExecGraph;
using static TypedGraph.Tests.Support.FunctionDefs;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// C printf's number text and TF's <c>Tensor::SummarizeValue</c> (tensorflow/core/framework/tensor.cc), golden tables
/// derived by hand from the C standard's %e/%f/%g rules and tsl numbers.cc's FloatToBuffer/DoubleToBuffer, plus the cases
/// of TF's own tests (tensor_test.cc <c>SummarizeValue</c> tests, string_format_op_test.py), each cited.
/// </summary>
public class TensorTextTests
{
    // C11 7.21.6.1: %e is d.ddde±dd (at least two exponent digits), %f rounds at the precision, %g picks %f when
    // P > X ≥ −4 (X the exponent after rounding to P digits) and drops trailing zeros; glibc rounds the exact binary
    // value half to even (0.125 is exact, so "%.2f" is 0.12; 0.375 → 0.38).
    [Theory]
    [InlineData(0.125, 'f', 2, "0.12")]
    [InlineData(0.375, 'f', 2, "0.38")]
    [InlineData(2.5, 'f', 0, "2")]
    [InlineData(3.5, 'f', 0, "4")]
    [InlineData(0.1, 'f', 20, "0.10000000000000000555")] // 0.1 is 0.1000000000000000055511151231257827… in binary
    [InlineData(1234.5, 'e', 6, "1.234500e+03")]
    [InlineData(1e100, 'e', 2, "1.00e+100")]
    [InlineData(0.0, 'e', 6, "0.000000e+00")]
    [InlineData(9.9999999, 'e', 2, "1.00e+01")]
    [InlineData(1e-5, 'g', 6, "1e-05")]
    [InlineData(1e6, 'g', 6, "1e+06")]
    [InlineData(123456.0, 'g', 6, "123456")]
    [InlineData(1234567.0, 'g', 6, "1.23457e+06")]
    [InlineData(0.0001, 'g', 6, "0.0001")]
    [InlineData(0.00001234, 'g', 6, "1.234e-05")]
    [InlineData(100.0, 'g', 6, "100")]
    [InlineData(9.9999999, 'g', 6, "10")]
    [InlineData(0.5, 'g', 0, "0.5")]
    [InlineData(-0.0, 'g', 6, "-0")]
    [InlineData(1234565.0, 'g', 6, "1.23456e+06")] // an exact tie: half to even keeps the 6
    [InlineData(double.PositiveInfinity, 'f', 6, "inf")]
    [InlineData(double.NegativeInfinity, 'e', 6, "-inf")]
    public void PrintfConversions(double v, char conv, int precision, string expected)
        => Assert.Equal(expected, CFormat.Format(v, conv, precision));

    [Fact]
    public void PrintfFlagsAndWidth()
    {
        Assert.Equal("000003.5", CFormat.Format(3.5, 'f', 1, 8, CFormat.Flags.Zero));
        Assert.Equal("-00003.5", CFormat.Format(-3.5, 'f', 1, 8, CFormat.Flags.Zero));
        Assert.Equal("3.5     ", CFormat.Format(3.5, 'f', 1, 8, CFormat.Flags.Left | CFormat.Flags.Zero)); // '-' beats '0'
        Assert.Equal("    -3.5", CFormat.Format(-3.5, 'f', 1, 8));
        Assert.Equal("+3.5", CFormat.Format(3.5, 'f', 1, 0, CFormat.Flags.Plus));
        Assert.Equal(" 3.5", CFormat.Format(3.5, 'f', 1, 0, CFormat.Flags.Space));
        Assert.Equal("3.00000", CFormat.Format(3, 'g', -1, 0, CFormat.Flags.Alt)); // '#': %g keeps its zeros
        Assert.Equal("3.", CFormat.Format(3, 'f', 0, 0, CFormat.Flags.Alt));
        Assert.Equal("     inf", CFormat.Format(double.PositiveInfinity, 'f', -1, 8, CFormat.Flags.Zero)); // no zeros for inf
        // C's NAN is positive; .NET's double.NaN has its sign bit set, so the bit patterns are spelled out.
        Assert.Equal("nan", CFormat.Format(BitConverter.Int64BitsToDouble(0x7FF8000000000000), 'f', -1));
        Assert.Equal("-nan", CFormat.Format(BitConverter.Int64BitsToDouble(unchecked((long)0xFFF8000000000000)), 'g', -1));
        Assert.Equal("-007", CFormat.FormatInteger(-7, 4, CFormat.Flags.Zero));
        Assert.Equal("+7", CFormat.FormatInteger(7, 0, CFormat.Flags.Plus));
        Assert.Equal("7", CFormat.FormatInteger(7, 0, CFormat.Flags.Plus, unsigned: true)); // %u has no sign
        Assert.Equal("7   ", CFormat.FormatInteger(7, 4, CFormat.Flags.Left));
    }

    // tsl numbers.cc FloatToBuffer: %.6g (FLT_DIG) if it parses back to the same float, else %.9g; "nan"/"-nan" by sign.
    [Theory]
    [InlineData(0.1f, "0.1")]
    [InlineData(3.14f, "3.14")]
    [InlineData(1f / 3, "0.333333343")] // %.6g "0.333333" is another float
    [InlineData(16777216f, "16777216")] // %.6g "1.67772e+07" is another float
    [InlineData(1e10f, "1e+10")]
    [InlineData(1048576.125f, "1048576.12")] // %.9g of an exact tie rounds to even (.NET's "F" would say .13)
    [InlineData(-0f, "-0")]
    [InlineData(float.PositiveInfinity, "inf")]
    [InlineData(float.NegativeInfinity, "-inf")]
    [InlineData(1e-45f, "1.4013e-45")] // the smallest subnormal: %.6g already parses back to it
    public void FloatToBufferShortestRoundTrip(float v, string expected) => Assert.Equal(expected, CFormat.FloatToBuffer(v));

    private static readonly float s_nan = BitConverter.Int32BitsToSingle(0x7FC00000); // C's NAN (numpy's nan), sign bit clear

    [Fact]
    public void FloatToBufferNanBySignBit()
    {
        Assert.Equal("nan", CFormat.FloatToBuffer(s_nan));
        Assert.Equal("-nan", CFormat.FloatToBuffer(BitConverter.Int32BitsToSingle(unchecked((int)0xFFC00000))));
        Assert.Equal("nan", CFormat.DoubleToBuffer(BitConverter.Int64BitsToDouble(0x7FF8000000000000)));
    }

    // DoubleToBuffer: %.15g (digits10) if it round-trips, else %.17g (max_digits10).
    [Theory]
    [InlineData(0.1, "0.1")]
    [InlineData(1.0 / 3, "0.33333333333333331")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(1e300, "1e+300")]
    [InlineData(123456789012345.0, "123456789012345")]
    [InlineData(1234567890123456789.0, "1.2345678901234568e+18")]
    public void DoubleToBufferShortestRoundTrip(double v, string expected) => Assert.Equal(expected, CFormat.DoubleToBuffer(v));

    private static string V1(Tensor t, long n) => Encoding.UTF8.GetString(TensorSummary.Summarize(t, n, printV2: false));
    private static string V2(Tensor t, long n) => Encoding.UTF8.GetString(TensorSummary.Summarize(t, n, printV2: true));
    private static Tensor I(int[] v, params int[] shape) => Tensor.Create(v, shape);
    private static Tensor Cycle(int[] values, params int[] shape)
    {
        // tensor_test.cc MkTensor: fills the shape by cycling through the values.
        int n = shape.Aggregate(1, (a, d) => a * d);
        return Tensor.Create(Enumerable.Range(0, n).Select(i => values[i % values.Length]).ToArray(), shape);
    }

    // tensor_test.cc TEST_P(SimpleNum, MultiLength), for int32 and float.
    [Fact]
    public void TfTensorTest_SimpleNumMultiLength()
    {
        int[] v = [1, 2, 3, 4, 0];
        Assert.Equal("1 2 3 4 0", V1(Cycle(v, 5), 16));
        Assert.Equal("[1 2][3 4]", V1(Cycle(v, 2, 2), 16));
        Assert.Equal("[[[1]][[2]]][[[3]][[4]]]", V1(Cycle(v, 2, 2, 1, 1), 16));
        Assert.Equal("[[[1]][[2]]][[[3]]]...", V1(Cycle(v, 2, 2, 1, 1), 3));
        Assert.Equal("", V1(Cycle(v, 0), 16));
        var f = Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2, 1, 1);
        Assert.Equal("[[[1]][[2]]][[[3]]]...", V1(f, 3));
        Assert.Equal("[[[1]][[2]]][[[3]][[4]]]", V1(Tensor.Create(new long[] { 1, 2, 3, 4 }, 2, 2, 1, 1), 16));
        Assert.Equal("1 2 3 4 0", V1(Tensor.Create(new double[] { 1, 2, 3, 4, 0 }, 5), 16));
        Assert.Equal("1 2 3 4 0", V1(Tensor.Create(new byte[] { 1, 2, 3, 4, 0 }, 5), 16));
        Assert.Equal("1 2 3 4 0", V1(Tensor.Create(new Half[] { (Half)1, (Half)2, (Half)3, (Half)4, (Half)0 }, 5), 16));
    }

    // tensor_test.cc SummarizeValue INT32Dims, BOOL, STRING.
    [Fact]
    public void TfTensorTest_V1DimsBoolString()
    {
        var x = I([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 3, 4);
        Assert.Equal("[1 2 3...]...", V1(x, 3));
        Assert.Equal("[1 2 3 4][5 6 7 8][9 10...]...", V1(x, 10));
        var b = Tensor.Create(new[] { false, true, true, false, true }, 5);
        Assert.Equal("0 1 1 0 1", V1(b, 16));
        Assert.Equal("0 1 1...", V1(b, 3));
        Assert.Equal("one two three four five", V1(Tensor.FromStrings(["one", "two", "three", "four", "five"], 5), 16));
        string[] words = ["one", "two", "three", "four", "five"];
        var s3 = Tensor.FromStrings(Enumerable.Range(0, 25).Select(i => words[i % 5]).ToArray(), 5, 1, 5);
        Assert.Equal("[[one two three four five]][[one...]]...", V1(s3, 6));
    }

    // tensor_test.cc INT32_PRINT_V2, INT32Dims_PRINT_V2, FLOAT_PRINT_V2, BOOL_PRINT_V2, STRING_PRINT_V2.
    [Fact]
    public void TfTensorTest_PrintV2()
    {
        int[] v = [1, 2, 3, 4, 0];
        foreach (var t in new[] { Cycle(v, 5), Tensor.Create(new float[] { 1, 2, 3, 4, 0 }, 5) })
        {
            Assert.Equal("[1 2 3 4 0]", V2(t, 16));
            Assert.Equal("[1 2 3 4 0]", V2(t, -1));
            Assert.Equal("[1 2 ... 4 0]", V2(t, 2));
            Assert.Equal("[1 ... 0]", V2(t, 1));
        }
        Assert.Equal("[[1 2]\n [3 4]]", V2(Cycle(v, 2, 2), 16));
        Assert.Equal("[[[[1]]\n\n  [[2]]]\n\n\n [[[3]]\n\n  [[4]]]]", V2(Cycle(v, 2, 2, 1, 1), 16));
        Assert.Equal("[[[[1]]\n\n  [[2]]]\n\n\n [[[3]]\n\n  [[4]]]]", V2(Tensor.Create(new float[] { 1, 2, 3, 4 }, 2, 2, 1, 1), 16));
        Assert.Equal("[]", V2(Cycle(v, 0), 16));
        var x = I([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 3, 4);
        Assert.Equal("[[1 ... 4]\n ...\n [9 ... 12]]", V2(x, 1));
        Assert.Equal("[[1 2 3 4]\n [5 6 7 8]\n [9 10 11 12]]", V2(x, 10));
        Assert.Equal("[[1 2 3 4]\n [5 6 7 8]\n [9 10 11 12]]", V2(x, -1));
        var b = Tensor.Create(new[] { false, true, true, false, true }, 5);
        Assert.Equal("[0 1 1 0 1]", V2(b, 16));
        Assert.Equal("[0 1 ... 0 1]", V2(b, 2));
        var s = Tensor.FromStrings(["one", "two", "three", "four", "five"], 5);
        Assert.Equal("[\"one\" \"two\" \"three\" \"four\" \"five\"]", V2(s, -1));
        Assert.Equal("[\"one\" \"two\" ... \"four\" \"five\"]", V2(s, 2));
        Assert.Equal("[[\"one\" \"two\"]\n [\"three\" \"four\"]]", V2(Tensor.FromStrings(["one", "two", "three", "four"], 2, 2), 16));
    }

    // Goldens from tensor.cc's code, by hand: scalars, the limit-0 cases, the "?" types, escapes, extreme integers.
    [Fact]
    public void EdgeCasesFromTheSource()
    {
        Assert.Equal("7", V1(Tensor.FromScalar(7), 3));
        Assert.Equal("7", V2(Tensor.FromScalar(7), 3));
        Assert.Equal("...", V1(Tensor.FromScalar(7), 0)); // limit 0 < 1 element
        Assert.Equal("\"hi\"", V2(Tensor.FromString("hi"), 3));
        Assert.Equal("[ ...]", V2(I([1, 2, 3], 3), 0)); // PrintDimSpacing then "..." with nothing either side
        Assert.Equal("[\n ...]", V2(Tensor.Create(Array.Empty<float>(), 2, 0), 3)); // limit = min(3, 0 elements) = 0
        Assert.Equal("...", V1(I([1, 2, 3], 3), 0));
        Assert.Equal("", V2(Tensor.Create(new[] { true, false }, 2), 0)); // bool with limit 0: tensor.cc returns "" early
        Assert.Equal("", V2(Tensor.Create(Array.Empty<bool>(), 0), 3));
        Assert.Equal("[[[0 1]\n  [2 3]]\n\n [[4 5]\n  [6 7]]]", V2(I([0, 1, 2, 3, 4, 5, 6, 7], 2, 2, 2), -1));
        Assert.Equal("[[0 ... 2]\n ...\n [6 ... 8]]", V2(I([0, 1, 2, 3, 4, 5, 6, 7, 8], 3, 3), 1));
        var c = new Tensor(DataType.DtComplex64, new TensorShape(3), new byte[24]);
        Assert.Equal("[? ?...]", V2(c, 2));
        Assert.Equal("? ?...", V1(c, 2));
        Assert.Equal("[? ? ?]", V2(c, -1));
        Assert.Equal("?", V1(new Tensor(DataType.DtComplex128, TensorShape.Scalar, new byte[16]), 3));
        Assert.Equal("9223372036854775807 -9223372036854775808", V1(Tensor.Create(new[] { long.MaxValue, long.MinValue }, 2), -1));
        Assert.Equal("18446744073709551615", V1(Tensor.Create(new[] { ulong.MaxValue }, 1), -1));
        Assert.Equal("-128 127", V1(Tensor.Create(new sbyte[] { -128, 127 }, 2), -1));
        Assert.Equal("[255 0]", V2(Tensor.Create(new byte[] { 255, 0 }, 2), -1));
        Assert.Equal("-32768 65535", V1(Tensor.Create(new short[] { -32768 }, 1), -1) + " " + V1(Tensor.Create(new ushort[] { 65535 }, 1), -1));
        Assert.Equal("4294967295", V1(Tensor.Create(new[] { uint.MaxValue }, 1), -1));
        // half 0.1 is 0.0999755859375 (%.6g does not round-trip); bfloat16 0x3DCD is 0.10009765625.
        Assert.Equal("0.0999755859", V1(Tensor.Create(new[] { (Half)0.1 }, 1), -1));
        Assert.Equal("0.100097656", V1(new Tensor(DataType.DtBfloat16, new TensorShape(1), new byte[] { 0xCD, 0x3D }), -1));
        Assert.Equal("[0.333333343 -0 inf nan]", V2(Tensor.Create(new[] { 1f / 3, -0f, float.PositiveInfinity, s_nan }, 4), -1));
        Assert.Equal("0.33333333333333331", V1(Tensor.FromScalar(1.0 / 3), 3));
    }

    // absl Utf8SafeCEscape: \n \r \t \" \' \\ by name, other control bytes as octal, bytes ≥ 0x80 untouched.
    [Fact]
    public void StringsAreCEscapedButUtf8PassesThrough()
    {
        byte[] raw = [.. "a\nb\r\t\"c'\\"u8, 0x01, 0x7f, .. "é"u8, 0xff];
        var t = new Tensor(TensorShape.Scalar, [raw]);
        byte[] expected = [.. "a\\nb\\r\\t\\\"c\\'\\\\\\001\\177"u8, .. "é"u8, 0xff];
        Assert.Equal(expected, TensorSummary.Summarize(t, 3, printV2: false));
        Assert.Equal([(byte)'"', .. expected, (byte)'"'], TensorSummary.Summarize(t, 3, printV2: true));
    }
}

/// <summary>The logging ops (StringFormat, PrintV2, Print, Assert) against TF's kernels and tests, with the exact bytes
/// they write captured through <see cref="SessionOptions.PrintOutput"/>.</summary>
public class LoggingOpsTests
{
    /// <summary>A UTF-8 (no BOM) writer whose bytes the test reads.</summary>
    private sealed class Capture
    {
        private readonly MemoryStream _stream = new();
        public Capture() => Writer = new StreamWriter(_stream, new UTF8Encoding(false)) { AutoFlush = true };
        public StreamWriter Writer { get; }
        public byte[] Bytes => _stream.ToArray();
        public string Text => Encoding.UTF8.GetString(Bytes);
    }

    private static AttrValue Bytes(byte[] b) => new() { S = ByteString.CopyFrom(b) };

    private static string Format(string template, Tensor[] inputs, long? summarize = null, string? placeholder = null)
    {
        var attrs = new List<(string, AttrValue)> { ("template", Str(template)), ("placeholder", Str(placeholder ?? "{}")), ("T", Types(inputs.Select(i => i.DType).ToArray())) };
        if (summarize != null) attrs.Add(("summarize", Int(summarize.Value)));
        var o = OpHarness.Run1("StringFormat", inputs, [.. attrs]);
        Assert.Equal(TensorShape.Scalar, o.Shape);
        return Encoding.UTF8.GetString(o.Strings[0]);
    }

    private static Tensor Range(int n, params int[] shape) => Tensor.Create(Enumerable.Range(0, n).ToArray(), shape.Length == 0 ? [n] : shape);

    // string_format_op_test.py (testFormatOneTensorOneDim, …OneDimFloat, …VarySummarize, …AlmostSummarize,
    // …TwoDimLessThanSummarize, …TwoDim, …SummarizeTwo, …TemplatePrefixAndSuffix, NoTensor, MultiTensor, SummarizeOne,
    // Placeholder, TensorAndFormatUnicode, OneVariableScalar).
    [Fact]
    public void StringFormat_TfTests()
    {
        Assert.Equal("[0 1 2 ... 7 8 9]", Format("{}", [Range(10)]));
        Assert.Equal("[0 0.1 0.2 ... 0.5 0.6 0.7]", Format("{}", [Tensor.Create(new[] { 0f, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f }, 8)]));
        Assert.Equal("[0 1 2 3 4 5]", Format("{}", [Range(6)], 3));
        Assert.Equal("[0 1 2 3 4 5]", Format("{}", [Range(6)], -1));
        Assert.Equal("[0 ... 5]", Format("{}", [Range(6)], 1));
        Assert.Equal("[0 1 ... 4 5]", Format("{}", [Range(6)], 2));
        Assert.Equal("[0 1 2 3 4 5]", Format("{}", [Range(6)], 10));
        Assert.Equal("[0 1 2 3 4]", Format("{}", [Range(5)], 3));
        Assert.Equal("[[0 1]\n [2 3]]", Format("{}", [Range(4, 2, 2)], 3));
        const string twoDim = "[[0 1 2 ... 7 8 9]\n [10 11 12 ... 17 18 19]\n [20 21 22 ... 27 28 29]\n ...\n [70 71 72 ... 77 78 79]\n [80 81 82 ... 87 88 89]\n [90 91 92 ... 97 98 99]]";
        Assert.Equal(twoDim, Format("{}", [Range(100, 10, 10)]));
        Assert.Equal("[[0 1 ... 8 9]\n [10 11 ... 18 19]\n ...\n [80 81 ... 88 89]\n [90 91 ... 98 99]]", Format("{}", [Range(100, 10, 10)], 2));
        Assert.Equal("tensor summary: " + twoDim + ", suffix", Format("tensor summary: {}, suffix", [Range(100, 10, 10)]));
        Assert.Equal("No tensor.", Format("No tensor.", []));
        var two = Tensor.Create(Enumerable.Range(0, 100).Select(i => i * 10).ToArray(), 10, 10);
        Assert.Equal("One: " + twoDim + ",\nTwo: [[0 10 20 ... 70 80 90]\n [100 110 120 ... 170 180 190]\n [200 210 220 ... 270 280 290]\n ...\n [700 710 720 ... 770 780 790]\n [800 810 820 ... 870 880 890]\n [900 910 920 ... 970 980 990]]",
            Format("One: {},\nTwo: {}", [Range(100, 10, 10), two]));
        Assert.Equal("tensor summary: [[0 ... 9]\n ...\n [90 ... 99]]", Format("tensor summary: {}", [Range(100, 10, 10)], 1));
        Assert.Equal("tensor summary: " + twoDim, Format("tensor summary: %t%", [Range(100, 10, 10)], placeholder: "%t%"));
        Assert.Equal("😊:\"😊\"", Format("😊:{}", [Tensor.FromString("😊")]));
        Assert.Equal("3.34", Format("{}", [Tensor.FromScalar(3.34f)]));
        Assert.Equal("3.14, [0 1 2 ... 7 8 9]", Format("{}, {}", [Tensor.FromScalar(2.14f + 1f), Range(10)]));
    }

    // string_format_op.cc: the count check when the kernel is built, TF's message; absl::StrSplit semantics.
    [Fact]
    public void StringFormat_PlaceholderCountMustMatch()
    {
        var ex = Assert.Throws<GraphExecutionException>(() => Format("{} {}", [Range(10)]));
        Assert.Contains("num placeholders in template and num inputs must match: 2 vs. 1", ex.Message);
        Assert.Contains("'op'", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => Format("{}", [Range(2), Range(2)]));
        Assert.Contains("must match: 1 vs. 2", ex.Message);
        // Non-overlapping, left to right: "{}}" has one placeholder; "{{}}" one too.
        Assert.Equal("[0 1]}", Format("{}}", [Range(2)]));
        Assert.Equal("{[0 1]}", Format("{{}}", [Range(2)]));
        Assert.Equal(["a", "b", "c"], StringFormatKernel.Split("abc"u8.ToArray(), []).Select(b => Encoding.UTF8.GetString(b)));
        // The OpDef default template and placeholder are both "%s" (string_ops.cc).
        var g = new GraphBuilder();
        var x = g.Placeholder(DataType.DtFloat, [2], "x");
        var node = g.AddOperation("StringFormat", [x]);
        Assert.Equal("%s", node.GetString("template"));
        Assert.Equal("%s", node.GetString("placeholder"));
        Assert.Equal(3, node.GetInt("summarize"));
        Assert.Equal([DataType.DtFloat], node.GetTypes("T"));
        Assert.Empty(StaticShapes.Of(g, g.OutputOf(node))!); // a scalar string
        var print = g.AddOperation("Print", [x, x], new Dictionary<string, AttrValue> { ["U"] = Types(DataType.DtFloat) });
        Assert.Equal([2L], StaticShapes.Of(g, g.OutputOf(print))!);
        Assert.Equal(-1, print.GetInt("first_n"));
        var p2 = g.AddOperation("PrintV2", [g.OutputOf(node)]);
        Assert.Equal("stderr", p2.GetString("output_stream"));
        Assert.Equal("\n", p2.GetString("end"));
    }

    private static Session PrintSession(ExecGraph g, Capture? stdout = null, Capture? stderr = null, Action<PrintLogSeverity, string>? log = null)
        => new(g.Graph, new SessionOptions { PrintOutput = new PrintOutput { Stdout = stdout?.Writer, Stderr = stderr?.Writer, Log = log } });

    private static ExecGraph PrintV2Graph(string stream, byte[]? end = null, Tensor? input = null)
    {
        var g = new ExecGraph();
        g.Const("s", input ?? new Tensor(TensorShape.Scalar, [[.. "héllo\n"u8, 0x41]]));
        var attrs = new List<(string, AttrValue)> { ("output_stream", Str(stream)) };
        if (end != null) attrs.Add(("end", Bytes(end)));
        g.Op("p", "PrintV2", ["s"], [.. attrs]);
        return g;
    }

    // logging_ops.cc PrintV2Op: the input then `end` to the stream; TF's errors.
    [Fact]
    public void PrintV2_WritesTheExactBytesToEachStream()
    {
        var outC = new Capture();
        var errC = new Capture();
        using (var s = PrintSession(PrintV2Graph("stdout"), outC, errC))
        {
            s.RunTargets("p");
            s.RunTargets("p");
        }
        Assert.Equal([.. "héllo\nA\n"u8, .. "héllo\nA\n"u8], outC.Bytes);
        Assert.Empty(errC.Bytes);
        using (var s = PrintSession(PrintV2Graph("stderr", "!!"u8.ToArray()), outC, errC)) s.RunTargets("p");
        Assert.Equal("héllo\nA!!"u8.ToArray(), errC.Bytes);
        var logs = new List<(PrintLogSeverity, string)>();
        foreach (var (stream, sev) in new[] { ("log(info)", PrintLogSeverity.Info), ("log(warning)", PrintLogSeverity.Warning), ("log(error)", PrintLogSeverity.Error) })
            using (var s = PrintSession(PrintV2Graph(stream, []), log: (l, m) => logs.Add((l, m)))) s.RunTargets("p");
        Assert.Equal([(PrintLogSeverity.Info, "héllo\nA"), (PrintLogSeverity.Warning, "héllo\nA"), (PrintLogSeverity.Error, "héllo\nA")], logs);
    }

    [Fact]
    public void PrintV2_DefaultLogLineGoesToStderrInTfsShape()
    {
        var errC = new Capture();
        using (var s = PrintSession(PrintV2Graph("log(warning)", "\n"u8.ToArray()), stderr: errC)) s.RunTargets("p");
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}: W tensorflow/core/kernels/logging_ops\.cc\] héllo\nA\n\n$", errC.Text);
    }

    [Fact]
    public void PrintV2_AppendsToAFileUrl()
    {
        var path = Path.Combine(Path.GetTempPath(), "typedgraph-printv2-" + Guid.NewGuid().ToString("N") + ".txt");
        try
        {
            using (var s = PrintSession(PrintV2Graph("file://" + path)))
            {
                s.RunTargets("p");
                s.RunTargets("p");
            }
            Assert.Equal([.. "héllo\nA\n"u8, .. "héllo\nA\n"u8], File.ReadAllBytes(path));
        }
        finally
        {
            File.Delete(path);
        }
        var missingDir = Path.Combine(Path.GetTempPath(), "typedgraph-no-such-dir-" + Guid.NewGuid().ToString("N"), "x.txt");
        using var bad = PrintSession(PrintV2Graph("file://" + missingDir));
        var ex = Assert.Throws<GraphExecutionException>(() => bad.RunTargets("p"));
        Assert.Contains("PrintV2 node 'p'", ex.Message);
    }

    [Fact]
    public void PrintV2_RejectsUnknownStreamsAndNonScalarInput()
    {
        using (var s = PrintSession(PrintV2Graph("stdnowhere")))
        {
            var ex = Assert.Throws<GraphExecutionException>(() => s.RunTargets("p"));
            Assert.Contains("Unknown output stream: stdnowhere, Valid streams are: stdout stderr log(info) log(warning) log(error)", ex.Message);
        }
        using (var s = PrintSession(PrintV2Graph("stdout", input: Tensor.FromStrings(["a", "b"], 2)), new Capture()))
        {
            var ex = Assert.Throws<GraphExecutionException>(() => s.RunTargets("p"));
            Assert.Contains("Input is expected to be scalar, but got [2]", ex.Message);
        }
    }

    // logging_ops.cc PrintOp: message + "[summary]" per data input + std::endl to stderr, first_n per kernel; forwards input.
    [Fact]
    public void Print_PrintsV1SummariesTheFirstNTimesAndForwardsItsInput()
    {
        var g = new ExecGraph();
        g.Const("x", Tensor.Create(new float[] { 3, 0.5f }, 2));
        g.Const("y", Tensor.Create(new[] { 9, 8, 7, 6 }, 2, 2));
        g.Op("p", "Print", ["x", "x", "y"], ("T", Type(DataType.DtFloat)), ("U", Types(DataType.DtFloat, DataType.DtInt32)),
            ("message", Str("dbg: ")), ("first_n", Int(2)), ("summarize", Int(3)));
        var errC = new Capture();
        using var s = PrintSession(g, stderr: errC);
        for (int i = 0; i < 3; i++) Assert.Equal([3f, 0.5f], s.Run("p:0").ToArray<float>());
        Assert.Equal("dbg: [3 0.5][[9 8][7...]...]\ndbg: [3 0.5][[9 8][7...]...]\n", errC.Text);
    }

    [Fact]
    public void Print_DefaultsPrintEveryTimeWithThreeEntries()
    {
        var g = new ExecGraph();
        g.Const("x", Tensor.Create(new long[] { 1, 2, 3, 4 }, 4));
        g.Op("p", "Print", ["x", "x"], ("T", Type(DataType.DtInt64)), ("U", Types(DataType.DtInt64)));
        var errC = new Capture();
        using var s = PrintSession(g, stderr: errC);
        s.Run("p:0");
        s.Run("p:0");
        Assert.Equal("[1 2 3...]\n[1 2 3...]\n", errC.Text);
    }

    private static void RunAssert(Tensor[] inputs, params (string Key, AttrValue Value)[] attrs)
    {
        var g = new ExecGraph();
        var names = inputs.Select((t, i) => g.Const("in" + i, t)).ToArray();
        g.Op("op", "Assert", names, [("T", Types(inputs.Skip(1).Select(t => t.DType).ToArray())), .. attrs]);
        using var s = new Session(g.Graph);
        s.RunTargets("op");
    }

    // logging_ops.cc AssertOp: "assertion failed: [..] [..]" of V1 summaries; a non-scalar condition is an error.
    [Fact]
    public void Assert_FailsWithTfsMessage()
    {
        RunAssert([Tensor.FromScalar(true), Tensor.FromString("never")]);
        var ex = Assert.Throws<GraphExecutionException>(() => RunAssert(
            [Tensor.FromScalar(false), Tensor.FromString("x must be positive"), Tensor.Create(new float[] { -1, -2, -3, -4 }, 4)]));
        Assert.EndsWith("assertion failed: [x must be positive] [-1 -2 -3...]", ex.Message);
        Assert.Contains("Assert node 'op'", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => RunAssert([Tensor.FromScalar(false), Tensor.Create(new[] { 1, 2, 3, 4 }, 2, 2)], ("summarize", Int(-1))));
        Assert.EndsWith("assertion failed: [[1 2][3 4]]", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => RunAssert([Tensor.FromScalar(false)]));
        Assert.EndsWith("assertion failed: ", ex.Message);
        ex = Assert.Throws<GraphExecutionException>(() => RunAssert([Tensor.Create(new[] { false, true }, 2), Tensor.FromString("m")]));
        Assert.Contains("In[0] should be a scalar: [2]", ex.Message);
    }

    // TF2's layout of `@tf.function def f(x): tf.print("x:", x, output_stream=sys.stdout); return x`, after
    // logging_ops.py print_v2 (template "x: {}" — the string input is its own template, the tensor's pformat placeholder
    // '{}' loses its quotes — placeholder "{}", summarize 3) and auto_control_deps.py (the stateful PrintV2 is a control
    // output; the returned Identity waits on a NoOp marked _acd_function_control_output).
    [Fact]
    public void TfPrintInsideATfFunctionPrintsTheExactText()
    {
        var fn = Function("__inference_f_12", [("x", DataType.DtFloat)], [("identity", DataType.DtFloat, "Identity:output:0")],
            N("StringFormat", "StringFormat", ["x"], ("T", Types(DataType.DtFloat)), ("template", Str("x: {}")), ("placeholder", Str("{}")), ("summarize", Int(3))),
            N("PrintV2", "PrintV2", ["StringFormat:output:0"], ("output_stream", Str("stdout")), ("end", Str("\n"))),
            N("NoOp", "NoOp", ["^PrintV2"], ("_acd_function_control_output", Bool(true))),
            N("Identity", "Identity", ["x", "^NoOp"], ("T", Type(DataType.DtFloat))));
        fn.Signature.IsStateful = true;
        fn.ControlRet["PrintV2"] = "PrintV2";
        var def = new GraphDef { Versions = new VersionDef { Producer = 1286 } };
        def.Node.Add(N("x", "Placeholder", [], ("dtype", Type(DataType.DtFloat)), ("shape", Shape(null))));
        var call = N("StatefulPartitionedCall", "StatefulPartitionedCall", ["x"], ("Tin", Types(DataType.DtFloat)), ("Tout", Types(DataType.DtFloat)), ("f", Fn("__inference_f_12")));
        def.Node.Add(call);
        def.Node.Add(N("Identity", "Identity", ["StatefulPartitionedCall"], ("T", Type(DataType.DtFloat))));
        def.Library = new FunctionDefLibrary();
        def.Library.Function.Add(fn);
        var outC = new Capture();
        using var s = new Session(new Graph(def), new SessionOptions { PrintOutput = new PrintOutput { Stdout = outC.Writer } });
        Assert.Equal([1f, 2.5f, -3f], s.Run("Identity:0", ("x", Tensor.Create(new[] { 1f, 2.5f, -3f }, 3))).ToArray<float>());
        s.Run("Identity:0", ("x", Tensor.Create(new[] { 1f, 2f, 3f, 4f }, 2, 2)));
        s.Run("Identity:0", ("x", Tensor.Create(Enumerable.Range(0, 8).Select(i => i / 10f).ToArray(), 8)));
        s.Run("Identity:0", ("x", Tensor.FromScalar(0.1f + 0.2f)));
        Assert.Equal("x: [1 2.5 -3]\nx: [[1 2]\n [3 4]]\nx: [0 0.1 0.2 ... 0.5 0.6 0.7]\nx: 0.3\n", outC.Text);
    }
}
