using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;

using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// ParseExample / ParseExampleV2 / ParseSingleExample against TF's semantics (example_parsing_ops.cc,
/// example_proto_fast_parsing.cc; tf.io.parse_example docs): dense defaults, variable-length padding, sparse
/// indices, ragged splits, last-entry-wins duplicates, and errors that name the example and feature.
/// </summary>
public class ExampleParsingTests
{
    internal static Feature Floats(params float[] v) => new() { FloatList = new FloatList { Value = { v } } };
    internal static Feature Ints(params long[] v) => new() { Int64List = new Int64List { Value = { v } } };
    internal static Feature Bytes(params string[] v) => new() { BytesList = new BytesList { Value = { v.Select(ByteString.CopyFromUtf8) } } };

    internal static byte[] Ex(params (string Key, Feature Value)[] features)
    {
        var e = new Example { Features = new Features() };
        foreach (var (k, v) in features) e.Features.Feature[k] = v;
        return e.ToByteArray();
    }

    internal static Tensor Strings(params byte[][] s) => new(new TensorShape(s.Length), s);

    private static Tensor Str(string s) => Tensor.FromString(s);

    private static AttrValue Shapes(params long[][] shapes)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var s in shapes)
        {
            var p = new TensorShapeProto();
            foreach (var d in s) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d });
            a.List.Shape.Add(p);
        }
        return a;
    }

    private static AttrValue Types(params DataType[] t) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.Type.AddRange(t); return a; }

    private static AttrValue StrList(params string[] s) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.S.AddRange(s.Select(ByteString.CopyFromUtf8)); return a; }

    private static string[] Text(Tensor t) => t.Strings.Select(b => Encoding.UTF8.GetString(b)).ToArray();

    // The three examples every batch test uses: "price" fixed float [2] (default [0.5, 0.5]), "ids" variable-length
    // int64 [-1] (pad -1), "tags" sparse string.
    private static byte[][] Batch() =>
    [
        Ex(("price", Floats(1, 2)), ("ids", Ints(7)), ("tags", Bytes("a", "b"))),
        Ex(("ids", Ints(4, 5, 6)), ("tags", Bytes("c"))),
        Ex(),
    ];

    private static Tensor[] RunV1(byte[][] serialized, Tensor priceDefault, Tensor? names = null) => Compute("ParseExample", [Strings(serialized), names ?? Strings(), Str("tags"), Str("price"), Str("ids"), priceDefault, Tensor.Create(new long[] { -1 }, [])], outputs: 5, def =>
        {
            def.Attr["Nsparse"] = new AttrValue { I = 1 };
            def.Attr["Ndense"] = new AttrValue { I = 2 };
            def.Attr["sparse_types"] = Types(DataType.DtString);
            def.Attr["Tdense"] = Types(DataType.DtFloat, DataType.DtInt64);
            def.Attr["dense_shapes"] = Shapes([2], [-1]);
        });

    [Fact]
    public void ParseExample_DenseDefaultsVarLenPaddingAndSparse_AsTfParseExampleDocs()
    {
        var o = RunV1(Batch(), Tensor.Create(new[] { 0.5f, 0.5f }, 2));
        // sparse "tags": (example, position) pairs, dense shape [batch, longest list].
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 0 }, o[0].ToArray<long>());
        Assert.Equal([3, 2], o[0].Shape.ToArray());
        Assert.Equal(["a", "b", "c"], Text(o[1]));
        Assert.Equal(new long[] { 3, 2 }, o[2].ToArray<long>());
        // fixed dense "price": example 1 and 2 take the default.
        Assert.Equal([3, 2], o[3].Shape.ToArray());
        Assert.Equal(new[] { 1f, 2f, 0.5f, 0.5f, 0.5f, 0.5f }, o[3].ToArray<float>());
        // variable-length "ids": padded to the longest example (3) with the default's element -1.
        Assert.Equal([3, 3], o[4].Shape.ToArray());
        Assert.Equal(new long[] { 7, -1, -1, 4, 5, 6, -1, -1, -1 }, o[4].ToArray<long>());
    }

    [Fact]
    public void ParseExample_EmptyBatch_GivesEmptyOutputs()
    {
        var o = RunV1([], Tensor.Create(new[] { 0.5f, 0.5f }, 2));
        Assert.Equal([0, 2], o[0].Shape.ToArray());
        Assert.Equal(new long[] { 0, 0 }, o[2].ToArray<long>());
        Assert.Equal([0, 2], o[3].Shape.ToArray());
        Assert.Equal([0, 0], o[4].Shape.ToArray());
    }

    [Fact]
    public void ParseExample_MissingRequiredFeature_ErrorNamesExampleAndFeature()
    {
        var names = Strings([.. new[] { "first", "second", "third" }.Select(Encoding.UTF8.GetBytes)]);
        var e = Assert.Throws<GraphExecutionException>(() => RunV1(Batch(), Tensor.Create(Array.Empty<float>(), 0), names));
        // example_proto_fast_parsing.cc: "Name: <name>, Feature: <key> (data type: float) is required but could not be found."
        Assert.Contains("Name: second, Feature: price (data type: float) is required but could not be found", e.Message);
    }

    [Fact]
    public void ParseExample_WrongValueKind_ErrorNamesKeyAndTypes()
    {
        var bad = new[] { Ex(("price", Ints(1, 2)), ("ids", Ints(1))) };
        var e = Assert.Throws<GraphExecutionException>(() => RunV1(bad, Tensor.Create(new[] { 0f, 0f }, 2)));
        Assert.Contains("Key: price, Index: 0", e.Message);
        Assert.Contains("Data types don't match. Data type: int64 but expected type: float", e.Message);

        var badSparse = new[] { Ex(("tags", Floats(1))) };
        e = Assert.Throws<GraphExecutionException>(() => RunV1(badSparse, Tensor.Create(new[] { 0f, 0f }, 2)));
        Assert.Contains("Key: tags", e.Message);
        Assert.Contains("Expected type: string, Actual type: float", e.Message);
    }

    [Fact]
    public void ParseExample_WrongValueCount_ForFixedShape_IsAnError()
    {
        var bad = new[] { Ex(("price", Floats(1, 2, 3))) };
        var e = Assert.Throws<GraphExecutionException>(() => RunV1(bad, Tensor.Create(new[] { 0f, 0f }, 2)));
        Assert.Contains("Key: price", e.Message);
        Assert.Contains("Number of float values != expected.  Values size: 3 but output shape: [2]", e.Message);
    }

    [Fact]
    public void ParseExample_VarLenDefaultMustBeOnePaddingElement()
    {
        var e = Assert.Throws<GraphExecutionException>(() => Compute("ParseExample", [Strings(Batch()), Strings(), Str("ids"), Tensor.Create(new long[] { 0, 0 }, 2)], 4, def =>
            {
                def.Attr["Nsparse"] = new AttrValue { I = 0 };
                def.Attr["Ndense"] = new AttrValue { I = 1 };
                def.Attr["sparse_types"] = Types();
                def.Attr["Tdense"] = Types(DataType.DtInt64);
                def.Attr["dense_shapes"] = Shapes([-1]);
            }));
        Assert.Contains("variable length shape", e.Message);
        Assert.Contains("'ids'", e.Message);
    }

    [Fact]
    public void ParseExample_DuplicateKey_LastEntryWins_AsProtoMapsAndFastParsing()
    {
        // Two concatenated Example messages merge; the second "price" entry replaces the first.
        var concatenated = Ex(("price", Floats(1, 2))).Concat(Ex(("price", Floats(8, 9)))).ToArray();
        var o = RunV1([concatenated], Tensor.Create(new[] { 0f, 0f }, 2));
        Assert.Equal(new[] { 8f, 9f }, o[3].ToArray<float>());
    }

    [Fact]
    public void ParseExample_CorruptFeatureBytes_ErrorNamesTheFeature()
    {
        // Example{features{feature{key:"price", value:<bytes that are not a Feature>}}} built on the wire.
        var value = new byte[] { 0x12, 0x05, 0x0A, 0x09, 0x01, 0x02, 0x03 }; // float_list, inner length 9 > available
        var entry = new List<byte> { 0x0A, 5 };
        entry.AddRange("price"u8.ToArray());
        entry.Add(0x12); entry.Add((byte)value.Length); entry.AddRange(value);
        var features = new List<byte> { 0x0A, (byte)entry.Count }; features.AddRange(entry);
        var example = new List<byte> { 0x0A, (byte)features.Count }; example.AddRange(features);
        var e = Assert.Throws<GraphExecutionException>(() => RunV1([example.ToArray()], Tensor.Create(new[] { 0f, 0f }, 2)));
        Assert.Contains("feature 'price'", e.Message);
        Assert.Contains("example input 0", e.Message);
    }

    [Fact]
    public void ParseExampleV2_ScalarInput_RaggedInt32Splits_AndSparseWithoutBatchDim()
    {
        var one = Ex(("ids", Ints(3, 1, 4)), ("w", Floats(0.25f)), ("tags", Bytes("x", "y")));
        var o = Compute("ParseExampleV2", [new Tensor(TensorShape.Scalar, [one]), Strings(), Tensor.FromStrings(["tags"], 1), Tensor.FromStrings(["w"], 1), Tensor.FromStrings(["ids"], 1), Tensor.Create(new[] { 0f }, 1)], outputs: 6, def =>
            {
                def.Attr["num_sparse"] = new AttrValue { I = 1 };
                def.Attr["sparse_types"] = Types(DataType.DtString);
                def.Attr["Tdense"] = Types(DataType.DtFloat);
                def.Attr["dense_shapes"] = Shapes([1]);
                def.Attr["ragged_value_types"] = Types(DataType.DtInt64);
                def.Attr["ragged_split_types"] = Types(DataType.DtInt32);
            });
        Assert.Equal([2, 1], o[0].Shape.ToArray());
        Assert.Equal(new long[] { 0, 1 }, o[0].ToArray<long>());
        Assert.Equal(new long[] { 2 }, o[2].ToArray<long>());
        Assert.Equal([1], o[3].Shape.ToArray());
        Assert.Equal(new[] { 0.25f }, o[3].ToArray<float>());
        Assert.Equal(new long[] { 3, 1, 4 }, o[4].ToArray<long>());
        Assert.Equal(DataType.DtInt32, o[5].DType);
        Assert.Equal(new[] { 0, 3 }, o[5].ToArray<int>());
    }

    [Fact]
    public void ParseExampleV2_BatchRaggedSplits_CountValuesPerExample()
    {
        var batch = new[] { Ex(("ids", Ints(1, 2))), Ex(), Ex(("ids", Ints(3))) };
        var o = Compute("ParseExampleV2", [Strings(batch), Strings(), Tensor.FromStrings([], 0), Tensor.FromStrings([], 0), Tensor.FromStrings(["ids"], 1)], outputs: 2, def =>
            {
                def.Attr["num_sparse"] = new AttrValue { I = 0 };
                def.Attr["sparse_types"] = Types();
                def.Attr["Tdense"] = Types();
                def.Attr["dense_shapes"] = Shapes();
                def.Attr["ragged_value_types"] = Types(DataType.DtInt64);
                def.Attr["ragged_split_types"] = Types(DataType.DtInt64);
            });
        Assert.Equal(new long[] { 1, 2, 3 }, o[0].ToArray<long>());
        Assert.Equal(new long[] { 0, 2, 2, 3 }, o[1].ToArray<long>());
    }

    [Fact]
    public void ParseSingleExample_KeysFromAttrs_DefaultForMissingAndVarLen()
    {
        var one = Ex(("age", Ints(42)), ("words", Bytes("hi", "there")));
        var o = Compute("ParseSingleExample", [new Tensor(TensorShape.Scalar, [one]), Tensor.Create(new long[] { 0 }, 1), Tensor.Create(new[] { 9f }, 1), Tensor.FromStrings(["<pad>"], [])], outputs: 6, def =>
            {
                def.Attr["num_sparse"] = new AttrValue { I = 1 };
                def.Attr["sparse_keys"] = StrList("words");
                def.Attr["dense_keys"] = StrList("age", "height", "words");
                def.Attr["sparse_types"] = Types(DataType.DtString);
                def.Attr["Tdense"] = Types(DataType.DtInt64, DataType.DtFloat, DataType.DtString);
                def.Attr["dense_shapes"] = Shapes([1], [1], [-1]);
            });
        // sparse "words": indices [N, 1], shape [longest] (no batch dimension for a single example).
        Assert.Equal([2, 1], o[0].Shape.ToArray());
        Assert.Equal(new long[] { 0, 1 }, o[0].ToArray<long>());
        Assert.Equal(["hi", "there"], Text(o[1]));
        Assert.Equal(new long[] { 2 }, o[2].ToArray<long>());
        Assert.Equal(new long[] { 42 }, o[3].ToArray<long>());
        Assert.Equal(new[] { 9f }, o[4].ToArray<float>()); // "height" missing → default
        Assert.Equal([2], o[5].Shape.ToArray());            // variable-length string, no padding needed
        Assert.Equal(["hi", "there"], Text(o[5]));
    }
}
