using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;
using static TypedGraph.Tests.Kernels.ExampleParsingTests;

using static TypedGraph.Tests.Support.OpHarness;

namespace TypedGraph.Tests.Kernels;

/// <summary>
/// ParseSequenceExample / ParseSequenceExampleV2 / ParseSingleSequenceExample (tf.io.parse_sequence_example docs,
/// example_parsing_ops.cc): context like tf.Example; dense feature lists zero-padded to the longest sequence with
/// lengths; sparse lists indexed (example, step, position); missing dense lists allowed only when assumed empty.
/// </summary>
public class SequenceExampleParsingTests
{
    private static FeatureList Steps(params Feature[] f) => new() { Feature = { f } };

    private static byte[] Seq((string, Feature)[] context, (string, FeatureList)[] lists)
    {
        var s = new SequenceExample { Context = new Features(), FeatureLists = new FeatureLists() };
        foreach (var (k, v) in context) s.Context.Feature[k] = v;
        foreach (var (k, v) in lists) s.FeatureLists.FeatureList[k] = v;
        return s.ToByteArray();
    }

    private static AttrValue L(params string[] s) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.S.AddRange(s.Select(ByteString.CopyFromUtf8)); return a; }
    private static AttrValue T(params DataType[] t) { var a = new AttrValue { List = new AttrValue.Types.ListValue() }; a.List.Type.AddRange(t); return a; }
    private static AttrValue S(params long[][] shapes)
    {
        var a = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var s in shapes) { var p = new TensorShapeProto(); foreach (var d in s) p.Dim.Add(new TensorShapeProto.Types.Dim { Size = d }); a.List.Shape.Add(p); }
        return a;
    }

    private static byte[][] Batch() =>
    [
        Seq([("user", Ints(5))], [("tok", Steps(Ints(1, 2), Ints(3, 4), Ints(5, 6))), ("w", Steps(Bytes("a"), Bytes("b", "c")))]),
        Seq([], [("tok", Steps(Ints(9, 8)))]),
    ];

    private static Tensor[] RunBatch(byte[][] batch, string[] assumedEmpty) => Compute("ParseSequenceExample", [Strings(batch), Strings(), Tensor.Create(new long[] { -1 }, 1)], outputs: 9, def =>
        {
            def.Attr["feature_list_dense_missing_assumed_empty"] = L(assumedEmpty);
            def.Attr["context_sparse_keys"] = L(); def.Attr["context_dense_keys"] = L("user");
            def.Attr["feature_list_sparse_keys"] = L("w"); def.Attr["feature_list_dense_keys"] = L("tok");
            def.Attr["Ncontext_sparse"] = new AttrValue { I = 0 }; def.Attr["Ncontext_dense"] = new AttrValue { I = 1 };
            def.Attr["Nfeature_list_sparse"] = new AttrValue { I = 1 }; def.Attr["Nfeature_list_dense"] = new AttrValue { I = 1 };
            def.Attr["context_sparse_types"] = T(); def.Attr["Tcontext_dense"] = T(DataType.DtInt64);
            def.Attr["feature_list_dense_types"] = T(DataType.DtInt64); def.Attr["feature_list_sparse_types"] = T(DataType.DtString);
            def.Attr["context_dense_shapes"] = S([1]); def.Attr["feature_list_dense_shapes"] = S([2]);
        });

    [Fact]
    public void ParseSequenceExample_PadsDenseListsWithZeros_ReportsLengths_IndexesSparseByExampleStepPosition()
    {
        var o = RunBatch(Batch(), []);
        // outputs: context_dense(user), fl_sparse indices/values/shape(w), fl_dense(tok), fl_dense_lengths
        Assert.Equal(new long[] { 5, -1 }, o[0].ToArray<long>());
        Assert.Equal([3, 3], o[1].Shape.ToArray());
        Assert.Equal(new long[] { 0, 0, 0, 0, 1, 0, 0, 1, 1 }, o[1].ToArray<long>());
        Assert.Equal(["a", "b", "c"], o[2].Strings.Select(b => Encoding.UTF8.GetString(b)));
        Assert.Equal(new long[] { 2, 2, 2 }, o[3].ToArray<long>()); // [batch, longest steps, longest list]
        Assert.Equal([2, 3, 2], o[4].Shape.ToArray());
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6, 9, 8, 0, 0, 0, 0 }, o[4].ToArray<long>());
        Assert.Equal(new long[] { 3, 1 }, o[5].ToArray<long>());
    }

    [Fact]
    public void MissingDenseFeatureList_IsAnErrorNamingIt_UnlessAssumedEmpty()
    {
        var batch = new[] { Seq([("user", Ints(1))], []) };
        var e = Assert.Throws<GraphExecutionException>(() => RunBatch(batch, []));
        Assert.Contains("Feature list 'tok' is required but could not be found", e.Message);
        var o = RunBatch(batch, ["tok"]);
        Assert.Equal([1, 0, 2], o[4].Shape.ToArray());
        Assert.Equal(new long[] { 0 }, o[5].ToArray<long>());
    }

    [Fact]
    public void DenseFeatureListStep_WithWrongCountOrKind_NamesListAndStep()
    {
        var wrongCount = new[] { Seq([], [("tok", Steps(Ints(1, 2), Ints(3)))]) };
        var e = Assert.Throws<GraphExecutionException>(() => RunBatch(wrongCount, []));
        Assert.Contains("Key: tok, Index: 1", e.Message);
        var wrongKind = new[] { Seq([], [("tok", Steps(Floats(1, 2)))]) };
        e = Assert.Throws<GraphExecutionException>(() => RunBatch(wrongKind, []));
        Assert.Contains("Feature list: tok, Index: 0", e.Message);
        Assert.Contains("Expected type: int64, Actual type: float", e.Message);
    }

    [Fact]
    public void ParseSingleSequenceExample_HasNoBatchDimension()
    {
        var one = Batch()[0];
        var o = Compute("ParseSingleSequenceExample", [new Tensor(TensorShape.Scalar, [one]), Tensor.FromStrings([], 0), Tensor.FromString("w"), Tensor.FromString("tok"), Tensor.FromString("")], outputs: 4, def =>
            {
                def.Attr["Ncontext_sparse"] = new AttrValue { I = 0 }; def.Attr["Ncontext_dense"] = new AttrValue { I = 0 };
                def.Attr["Nfeature_list_sparse"] = new AttrValue { I = 1 }; def.Attr["Nfeature_list_dense"] = new AttrValue { I = 1 };
                def.Attr["context_sparse_types"] = T(); def.Attr["Tcontext_dense"] = T();
                def.Attr["feature_list_dense_types"] = T(DataType.DtInt64); def.Attr["feature_list_sparse_types"] = T(DataType.DtString);
                def.Attr["context_dense_shapes"] = S(); def.Attr["feature_list_dense_shapes"] = S([2]);
            });
        Assert.Equal([3, 2], o[0].Shape.ToArray());
        Assert.Equal(new long[] { 0, 0, 1, 0, 1, 1 }, o[0].ToArray<long>());
        Assert.Equal(new long[] { 2, 2 }, o[2].ToArray<long>());
        Assert.Equal([3, 2], o[3].Shape.ToArray());
        Assert.Equal(new long[] { 1, 2, 3, 4, 5, 6 }, o[3].ToArray<long>());
    }

    [Fact]
    public void ParseSequenceExampleV2_RaggedFeatureList_OuterSplitsCountStepsInnerSplitsCountValues()
    {
        var o = Compute("ParseSequenceExampleV2", [Strings(Batch()), Strings(), Tensor.FromStrings([], 0), Tensor.FromStrings([], 0), Tensor.FromStrings([], 0),
             Tensor.FromStrings([], 0), Tensor.FromStrings([], 0), Tensor.FromStrings(["w"], 1), Tensor.Create(Array.Empty<bool>(), 0)], outputs: 3, def =>
            {
                def.Attr["Ncontext_sparse"] = new AttrValue { I = 0 }; def.Attr["Nfeature_list_sparse"] = new AttrValue { I = 0 }; def.Attr["Nfeature_list_dense"] = new AttrValue { I = 0 };
                def.Attr["context_sparse_types"] = T(); def.Attr["Tcontext_dense"] = T(); def.Attr["context_ragged_value_types"] = T(); def.Attr["context_ragged_split_types"] = T();
                def.Attr["feature_list_dense_types"] = T(); def.Attr["feature_list_sparse_types"] = T();
                def.Attr["feature_list_ragged_value_types"] = T(DataType.DtString); def.Attr["feature_list_ragged_split_types"] = T(DataType.DtInt64);
                def.Attr["context_dense_shapes"] = S(); def.Attr["feature_list_dense_shapes"] = S();
            });
        Assert.Equal(["a", "b", "c"], o[0].Strings.Select(b => Encoding.UTF8.GetString(b)));
        Assert.Equal(new long[] { 0, 2, 2 }, o[1].ToArray<long>()); // example 0 has 2 steps of "w", example 1 none
        Assert.Equal(new long[] { 0, 1, 3 }, o[2].ToArray<long>());
    }
}
