using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;

using static TypedGraph.Tests.Support.OpHarness;
using static TypedGraph.Tests.Support.TestTensors;

namespace TypedGraph.Tests.Kernels.StringKernels;

/// <summary>DecodeCSV against the cases of TF's decode_csv_op_test.py (expected values and error texts from there).</summary>
public class DecodeCsvKernelTests
{
    private static Tensor S(params string[] s) => Tensor.FromStrings(s, s.Length);
    private static string[] Text(Tensor t) => t.Strings.Select(b => Encoding.UTF8.GetString(b)).ToArray();
    private static Tensor NoDefault(DataType t) => t switch
    {
        DataType.DtInt32 => Tensor.Create(Array.Empty<int>(), 0),
        DataType.DtInt64 => Tensor.Create(Array.Empty<long>(), 0),
        DataType.DtFloat => Tensor.Create(Array.Empty<float>(), 0),
        DataType.DtDouble => Tensor.Create(Array.Empty<double>(), 0),
        _ => Tensor.FromStrings([], 0),
    };

    private static Tensor[] Decode(Tensor records, Tensor[] defaults, Action<NodeDef>? more = null)
        => Compute("DecodeCSV", [records, .. defaults], defaults.Length, d =>
        {
            var types = new AttrValue { List = new AttrValue.Types.ListValue() };
            types.List.Type.AddRange(defaults.Select(x => x.DType));
            d.Attr["OUT_TYPE"] = types;
            more?.Invoke(d);
        });

    private static Action<NodeDef> Attr(string name, object value) => d => d.Attr[name] = ToAttr(value);

    [Fact]
    public void QuotedNumbersAndScalarDefaults_ParseAsTf()
    {
        // testSimple: ["1", "2", "\"3\""] with default [1] → [1, 2, 3]; testSimpleWithScalarDefaults: two columns.
        Assert.Equal([1, 2, 3], Decode(S("1", "2", "\"3\""), [I([1])])[0].ToArray<int>());
        var two = Decode(S("1,4", "2,5", "3,6"), [Tensor.FromScalar(1), Tensor.FromScalar(2)]);
        Assert.Equal([1, 2, 3], two[0].ToArray<int>());
        Assert.Equal([4, 5, 6], two[1].ToArray<int>());
        // testScalar: a scalar record '1,""' → [1, 4] (the empty quoted field takes its default), outputs are scalars.
        var scalar = Decode(Tensor.FromString("1,\"\""), [I([3]), I([4])]);
        Assert.Equal(TensorShape.Scalar, scalar[0].Shape);
        Assert.Equal(1, scalar[0].Scalar<int>());
        Assert.Equal(4, scalar[1].Scalar<int>());
        // test2D: the outputs keep the records' [2, 2] shape.
        var twoD = Decode(Tensor.FromStrings(["1", "2", "\"\"", "4"], 2, 2), [I([5])])[0];
        Assert.Equal(new TensorShape(2, 2), twoD.Shape);
        Assert.Equal([1, 2, 5, 4], twoD.ToArray<int>());
    }

    [Fact]
    public void QuoteHandling_MatchesTfComplexStringCases()
    {
        // testComplexString: quoted commas and newlines stay, "" is a literal quote, unquoted spaces are kept.
        var o = Decode(S("\"1.0\"", "\"ab , c\"", "\"a\nbc\"", "\"ab\"\"c\"", " abc "), [S("1")])[0];
        Assert.Equal(["1.0", "ab , c", "a\nbc", "ab\"c", " abc "], Text(o));
        // testSimpleNoQuoteDelimiter / test2DNoQuoteDelimiter: quotes are ordinary bytes when use_quote_delim=false.
        var raw = Decode(S("1", "2", "\"3\"", "\"\"", "\""), [S("")], Attr("use_quote_delim", false))[0];
        Assert.Equal(["1", "2", "\"3\"", "\"\"", "\""], Text(raw));
    }

    [Fact]
    public void MixedTypes_NaValue_DefaultsAndTabDelimiter()
    {
        // testMultiRecords.
        var m = Decode(S("1.0,4,aa", "0.2,5,bb", "3,6,cc"), [F([1f]), I([1]), S("aa")]);
        Assert.Equal([1f, 0.2f, 3f], m[0].ToArray<float>());
        Assert.Equal([4, 5, 6], m[1].ToArray<int>());
        Assert.Equal(["aa", "bb", "cc"], Text(m[2]));
        // testNA: "NA" fields take the defaults.
        var na = Decode(S("2.0,NA,aa", "NA,5,bb", "3,6,NA"), [F([0f]), I([0]), S("")], Attr("na_value", "NA"));
        Assert.Equal([2f, 0f, 3f], na[0].ToArray<float>());
        Assert.Equal([0, 5, 6], na[1].ToArray<int>());
        Assert.Equal(["aa", "bb", ""], Text(na[2]));
        // testWithDefaults: empty fields, including a trailing delimiter's empty last field.
        var d = Decode(S(",1,", "0.2,3,bcd", "3.0,,"), [F([1f]), I([0]), S("a")]);
        Assert.Equal([1f, 0.2f, 3f], d[0].ToArray<float>());
        Assert.Equal([1, 3, 0], d[1].ToArray<int>());
        Assert.Equal(["a", "bcd", "a"], Text(d[2]));
        // testWithTabDelim.
        var tab = Decode(S("1\t1", "0.2\t3", "3.0\t"), [F([1f]), I([0])], Attr("field_delim", "\t"));
        Assert.Equal([1f, 0.2f, 3f], tab[0].ToArray<float>());
        Assert.Equal([1, 3, 0], tab[1].ToArray<int>());
    }

    [Fact]
    public void Int64AndDouble_KeepTheirRange()
    {
        // testInt64 / testDouble: 2147483648 needs int64; ±1.79e308 parse as doubles.
        Assert.Equal([1L, 2, 2147483648L], Decode(S("1", "2", "\"2147483648\""), [NoDefault(DataType.DtInt64)])[0].ToArray<long>());
        Assert.Equal([1.0, -1.79e308, 1.79e308], Decode(S("1.0", "-1.79e+308", "\"1.79e+308\""), [NoDefault(DataType.DtDouble)])[0].ToArray<double>());
    }

    [Fact]
    public void SelectCols_KeepsOnlyThoseColumns_IncludingAnEmptyLast()
    {
        // testSelectCols / testSelectColsInclLast.
        var s = Decode(S(",,", "4,5,6"), [I([1]), I([2])], Attr("select_cols", new[] { 0, 1 }));
        Assert.Equal([1, 4], s[0].ToArray<int>());
        Assert.Equal([2, 5], s[1].ToArray<int>());
        var all = Decode(S(",,", "4,5,6"), [I([0]), I([1]), I([2])], Attr("select_cols", new[] { 0, 1, 2 }));
        Assert.Equal([0, 4], all[0].ToArray<int>());
        Assert.Equal([1, 5], all[1].ToArray<int>());
        Assert.Equal([2, 6], all[2].ToArray<int>());
        var skip = Decode(S("a,\"b,c\",d"), [S(""), S("")], Attr("select_cols", new[] { 1, 2 }));
        Assert.Equal(["b,c"], Text(skip[0]));
        Assert.Equal(["d"], Text(skip[1]));
        // testWrongSelectColsInclLast / testWrongSelectColsIndicesTooHigh.
        Assert.Contains("Expect 3 fields but have 2 in record 0", Assert.Throws<GraphExecutionException>(
            () => Decode(S(",,", "4,5,6"), [I([0]), I([1]), I([2])], Attr("select_cols", new[] { 0, 1, 3 }))).Message);
        Assert.Contains("Expect 2 fields but have 1 in record 0", Assert.Throws<GraphExecutionException>(
            () => Decode(S("1,2,3"), [I([0]), I([1])], Attr("select_cols", new[] { 0, 3 }))).Message);
        Assert.Contains("strictly increasing", Assert.Throws<GraphExecutionException>(
            () => Decode(S("1,2,3"), [I([0]), I([1])], Attr("select_cols", new[] { 1, 0 }))).Message);
    }

    [Theory]
    [InlineData(new[] { ",1", "0.2,3", "3.0," }, "Field 1 is required but missing in record 2!")] // testWithoutDefaultsError
    [InlineData(new[] { ",1", "0.2,234a", "3.0,2" }, "Field 1 in record 1 is not a valid int32: 234a")] // testWrongFieldIntError
    [InlineData(new[] { ",1", "0.2,2", "3.0adf,3" }, "Field 0 in record 2 is not a valid float: 3.0adf")] // testWrongFieldFloatError
    [InlineData(new[] { "1,9999999999", "1,2" }, "Field 1 in record 0 is not a valid int32: 9999999999")] // testOutOfRangeError
    [InlineData(new[] { "1,2,3" }, "Expect 2 fields but have 3 in record 0")] // testWrongDefaults
    [InlineData(new[] { "1,a\"b" }, "Unquoted fields cannot have quotes/CRLFs inside")] // testWrongFieldStringError
    [InlineData(new[] { "1,\"" }, "Quoted field has to end with quote followed by delim or end")] // testShortQuotedString
    [InlineData(new[] { "1,\"a\"b\"" }, "Quote inside a string has to be escaped by another quote")]
    public void BadRecords_FailWithTfMessage_NamingTheNode(string[] records, string message)
    {
        // Through a Session, so the error also names the node.
        var ex = Assert.ThrowsAny<GraphExecutionException>(() => Run("DecodeCSV", [S(records), F([1f]), NoDefault(DataType.DtInt32)], 2,
            ("OUT_TYPE", new AttrValue { List = new AttrValue.Types.ListValue { Type = { DataType.DtFloat, DataType.DtInt32 } } })));
        Assert.Contains(message, ex.Message);
        Assert.Contains($"'{SessionNodeName}'", ex.Message);
    }

    [Fact]
    public void BadDefaults_AndBadAttrs_AreRejected()
    {
        Assert.Contains("There should only be 1 default per field but field 0 has 2",
            Assert.Throws<GraphExecutionException>(() => Decode(S("1"), [I([1, 2])])).Message);
        Assert.Contains("at most rank 1", Assert.Throws<GraphExecutionException>(() => Decode(S("1"), [I([1], 1, 1)])).Message);
        Assert.Contains("field_delim should be only 1 char",
            Assert.Throws<GraphExecutionException>(() => Decode(S("1"), [I([1])], Attr("field_delim", "::"))).Message);
        Assert.Contains("not supported in field 0", Assert.Throws<GraphExecutionException>(
            () => Decode(S("1"), [B([true])])).Message);
    }

    [Fact]
    public void EmptyRecordsTensor_GivesEmptyOutputs_AndFloatsParseLikeAbsl()
    {
        var empty = Decode(Tensor.FromStrings([], 0), [F([0f]), S("x")]);
        Assert.Equal(new TensorShape(0), empty[0].Shape);
        Assert.Equal(new TensorShape(0), empty[1].Shape);
        // absl::SimpleAtof: surrounding whitespace, a leading '+', inf/nan words; overflow becomes inf.
        var f = Decode(S(" 2.5 ", "+1e2", "-INF", "nan", "1e39"), [F([0f])])[0].ToArray<float>();
        Assert.Equal(2.5f, f[0]);
        Assert.Equal(100f, f[1]);
        Assert.Equal(float.NegativeInfinity, f[2]);
        Assert.True(float.IsNaN(f[3]));
        Assert.Equal(float.PositiveInfinity, f[4]);
        Assert.Contains("not a valid float: 1,5", Assert.Throws<GraphExecutionException>(() => Decode(S("\"1,5\""), [F([0f])])).Message);
    }
}
