using System.Text;
using Google.Protobuf;
using TypedGraph.Building;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;
using TypedGraph.SavedModels;

namespace TypedGraph.Tests.Compat;

/// <summary>
/// An Estimator-style serving export (TF 1.15 <c>DNNLinearCombinedClassifier.export_saved_model</c> with
/// <c>build_parsing_serving_input_receiver_fn</c>) built node by node with our GraphBuilder in TF's layout:
/// serialized tf.Example strings → <c>ParseExample</c> → a vocabulary-file column (<c>HashTableV2</c> +
/// <c>InitializeTableFromTextFileV2</c> over an asset), a hashed column (<c>StringToHashBucketFast</c>) and a numeric
/// column → DNN (embedding columns through <c>safe_embedding_lookup_sparse</c>, mean) + linear model (sum) →
/// softmax head → classify signature (<c>classes</c> tiled per row, <c>scores</c>). Saved as a SavedModel with the
/// vocabulary in assets/, reloaded with SavedModelBundle and run from serialized Example bytes; the numbers must
/// equal a plain computation in this file.
/// </summary>
public sealed class EstimatorServingExportTests : IDisposable
{
    private static readonly string[] Vocabulary = ["apple", "banana", "cherry", "date"];
    private const int TagBuckets = 5, WordDim = 3, TagDim = 2, Hidden = 4, Classes = 3;
    private static readonly float[] XDefault = [0.5f, -1f];

    private readonly string _dir = Directory.CreateTempSubdirectory("tg-estimator-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // Deterministic, distinct weights: no two entries alike, so a wrong row or column changes the result.
    private static float[] Weights(int n, int seed) => Enumerable.Range(0, n).Select(i => MathF.Round(MathF.Sin(seed * 1.7f + i * 0.913f) * 0.8f, 4)).ToArray();

    private sealed record ModelWeights(float[] WordEmb, float[] TagEmb, float[] H0, float[] H0b, float[] Logits, float[] Logitsb,
        float[] LinWord, float[] LinTag, float[] LinX, float[] LinBias);

    private static ModelWeights MakeWeights() => new(
        Weights(Vocabulary.Length * WordDim, 1), Weights(TagBuckets * TagDim, 2),
        Weights((TagDim + WordDim + 2) * Hidden, 3), Weights(Hidden, 4), Weights(Hidden * Classes, 5), Weights(Classes, 6),
        Weights(Vocabulary.Length * Classes, 7), Weights(TagBuckets * Classes, 8), Weights(2 * Classes, 9), Weights(Classes, 10));

    /// <summary>The graph an Estimator export holds, in TF 1.15's layout and names.</summary>
    private static (GraphBuilder B, Output Examples, Output Probabilities, Output ClassStrings, Output Logits, Node MainOp, LookupTableOutput[] Tables)
        BuildExportGraph(string vocabFile, ModelWeights w)
    {
        var b = new GraphBuilder();
        // build_parsing_serving_input_receiver_fn: placeholder 'input_example_tensor' [None] → parse_example.
        var examples = b.Placeholder(DataType.DtString, [-1], "input_example_tensor");
        var parsed = b.ParseExample(examples,
            [new SparseFeatureSpec("tag", DataType.DtString), new SparseFeatureSpec("word", DataType.DtString)],
            [new DenseFeatureSpec("x", DataType.DtFloat, [2], Tensor.Create(XDefault, 2))]);
        var tables = new List<LookupTableOutput>();

        // categorical_column_with_vocabulary_file('word', vocab, vocabulary_size=4) (default_value -1, no OOV buckets)
        SparseOutput WordIds()
        {
            var table = b.IndexTableFromFile(vocabFile, Vocabulary.Length, -1, "word_lookup");
            tables.Add(table);
            return b.LookupTableFind(table, parsed.Sparse["word"]);
        }
        // categorical_column_with_hash_bucket('tag', 5): string_to_hash_bucket_fast(values, 5, name='lookup').
        SparseOutput TagIds() => parsed.Sparse["tag"] with { Values = b.StringToHashBucketFast(parsed.Sparse["tag"].Values, TagBuckets, "lookup") };
        Output Var(string name, float[] value, params int[] shape) => b.Variable(Tensor.Create(value, shape), name).Snapshot;

        Output dnnLogits;
        using (b.NameScope("dnn"))
        {
            Output input;
            using (b.NameScope("input_from_feature_columns"))
            using (b.NameScope("input_layer"))
            {
                // input_layer: columns sorted by name — tag_embedding, word_embedding, x.
                Output tagEmb, wordEmb, x;
                using (b.NameScope("tag_embedding"))
                {
                    var weights = Var("embedding_weights", w.TagEmb, TagBuckets, TagDim);
                    tagEmb = b.Reshape(b.SafeEmbeddingLookupSparse(weights, TagIds(), "mean", "tag_embedding_weights"), [-1, TagDim]);
                }
                using (b.NameScope("word_embedding"))
                {
                    var weights = Var("embedding_weights", w.WordEmb, Vocabulary.Length, WordDim);
                    wordEmb = b.Reshape(b.SafeEmbeddingLookupSparse(weights, WordIds(), "mean", "word_embedding_weights"), [-1, WordDim]);
                }
                using (b.NameScope("x")) x = b.Reshape(parsed.Dense["x"], [-1, 2]);
                input = b.Concat([tagEmb, wordEmb, x], 1);
            }
            Output h;
            using (b.NameScope("hiddenlayer_0"))
                h = b.Relu(b.BiasAdd(b.MatMul(input, Var("kernel", w.H0, TagDim + WordDim + 2, Hidden)), Var("bias", w.H0b, Hidden)), "Relu");
            using (b.NameScope("logits"))
                dnnLogits = b.BiasAdd(b.MatMul(h, Var("kernel", w.Logits, Hidden, Classes)), Var("bias", w.Logitsb, Classes));
        }

        Output linearLogits;
        using (b.NameScope("linear"))
        using (b.NameScope("linear_model"))
        {
            // linear_model: per column a weighted sum (categorical: safe_embedding_lookup_sparse with combiner 'sum'),
            // add_n of them, then the bias.
            Output tagSum, wordSum, xSum;
            using (b.NameScope("tag"))
                tagSum = b.SafeEmbeddingLookupSparse(Var("weights", w.LinTag, TagBuckets, Classes), TagIds(), "sum", "weighted_sum");
            using (b.NameScope("word"))
                wordSum = b.SafeEmbeddingLookupSparse(Var("weights", w.LinWord, Vocabulary.Length, Classes), WordIds(), "sum", "weighted_sum");
            using (b.NameScope("x"))
                xSum = b.MatMul(b.Reshape(parsed.Dense["x"], [-1, 2]), Var("weights", w.LinX, 2, Classes), name: "weighted_sum");
            var noBias = b.AddN([tagSum, wordSum, xSum], "weighted_sum_no_bias");
            linearLogits = b.BiasAdd(noBias, Var("bias_weights", w.LinBias, Classes), name: "weighted_sum");
        }

        Output logits, probabilities, classStrings;
        logits = b.Add(dnnLogits, linearLogits, "add");
        using (b.NameScope("head"))
        using (b.NameScope("predictions"))
        {
            probabilities = b.Softmax(logits, "probabilities");
            // _all_class_ids_and_strings: the class strings "0".."n-1", tiled to [batch, n_classes].
            var strings = b.Constant(Tensor.FromStrings(Enumerable.Range(0, Classes).Select(i => i.ToString()).ToArray(), Classes), "Const");
            var batch = b.Shape(probabilities);
            var batchSize = b.Gather(batch, b.Constant(0, "batch_index"), 0, "batch_size");
            var multiples = b.Stack([batchSize, b.Constant(1, "one")], 0, "multiples");
            classStrings = b.Tile(b.ExpandDims(strings, 0), multiples, "all_class_strings");
        }

        // Scaffold.default_local_init_op: group(local_variables_initializer(), tables_initializer()).
        var localInit = b.Group([], "init");
        var tablesInit = b.TablesInitializer();
        var mainOp = b.Group([localInit.Name, tablesInit.Name], "group_deps");
        return (b, examples, probabilities, classStrings, logits, mainOp, tables.ToArray());
    }

    private static Feature Bytes(params string[] v) => new() { BytesList = new BytesList { Value = { v.Select(ByteString.CopyFromUtf8) } } };

    private static Feature Floats(params float[] v) => new() { FloatList = new FloatList { Value = { v } } };

    /// <summary>One request row: the features as plain values (null = absent), and its serialized tf.Example.</summary>
    private sealed record Row(string[]? Words, string[]? Tags, float[]? X)
    {
        public byte[] Serialize()
        {
            var e = new Example { Features = new Features() };
            if (Words != null) e.Features.Feature["word"] = Bytes(Words);
            if (Tags != null) e.Features.Feature["tag"] = Bytes(Tags);
            if (X != null) e.Features.Feature["x"] = Floats(X);
            return e.ToByteArray();
        }
    }

    private static readonly Row[] Requests =
    [
        new(["banana", "zebra"], ["red", "blue"], [1f, 2f]), // an out-of-vocabulary word is dropped (id -1)
        new([], ["green"], null), // no words → zero embedding; x missing → its default
        new(["apple", "apple", "date"], null, [-1f, 0.25f]), // a repeated id counts twice in mean and sum
        new(null, null, null), // nothing at all
    ];

    /// <summary>The same model as a plain loop over the rows: lookup by position in the vocabulary, FarmHash bucket,
    /// mean/sum of embedding rows over valid ids (zeros for none), dense layers, softmax.</summary>
    private static float[] Reference(Row r, ModelWeights w)
    {
        int[] wordIds = (r.Words ?? []).Select(s => Array.IndexOf(Vocabulary, s)).Where(i => i >= 0).ToArray();
        int[] tagIds = (r.Tags ?? []).Select(s => (int)(FarmHash.Fingerprint64(Encoding.UTF8.GetBytes(s)) % TagBuckets)).ToArray();
        float[] x = r.X ?? XDefault;
        float[] Combine(int[] ids, float[] table, int dim, bool mean)
        {
            var v = new float[dim];
            foreach (var id in ids) for (int d = 0; d < dim; d++) v[d] += table[id * dim + d];
            if (mean && ids.Length > 0) for (int d = 0; d < dim; d++) v[d] /= ids.Length;
            return v;
        }
        float[] Dense(float[] input, float[] kernel, float[] bias, int outDim)
        {
            var o = (float[])bias.Clone();
            for (int j = 0; j < outDim; j++) for (int i = 0; i < input.Length; i++) o[j] += input[i] * kernel[i * outDim + j];
            return o;
        }
        var input = Combine(tagIds, w.TagEmb, TagDim, true).Concat(Combine(wordIds, w.WordEmb, WordDim, true)).Concat(x).ToArray();
        var h = Dense(input, w.H0, w.H0b, Hidden).Select(v => MathF.Max(v, 0)).ToArray();
        var dnn = Dense(h, w.Logits, w.Logitsb, Classes);
        var lin = Dense(x, w.LinX, w.LinBias, Classes);
        var tagSum = Combine(tagIds, w.LinTag, Classes, false);
        var wordSum = Combine(wordIds, w.LinWord, Classes, false);
        var logits = Enumerable.Range(0, Classes).Select(c => dnn[c] + lin[c] + tagSum[c] + wordSum[c]).ToArray();
        double max = logits.Max(), z = logits.Sum(l => Math.Exp(l - max));
        return logits.Select(l => (float)(Math.Exp(l - max) / z)).ToArray();
    }

    private string Export(ModelWeights w)
    {
        var vocabFile = Path.Combine(_dir, "src", "vocab.txt");
        Directory.CreateDirectory(Path.GetDirectoryName(vocabFile)!);
        File.WriteAllText(vocabFile, string.Join("\n", Vocabulary) + "\n");
        var (b, examples, probabilities, classStrings, logits, mainOp, tables) = BuildExportGraph(vocabFile, w);
        using var session = new Session(b.Graph);
        session.RunTargets(b.GlobalVariablesInitializer().Name);
        var classify = SignatureDefs.Classify(b, examples, classStrings, probabilities);
        var signatures = new Dictionary<string, SignatureDef>
        {
            ["serving_default"] = classify,
            ["classification"] = classify,
            ["predict"] = SignatureDefs.Predict(b, new Dictionary<string, Output> { ["examples"] = examples },
                new Dictionary<string, Output> { ["probabilities"] = probabilities, ["logits"] = logits }),
        };
        var export = Path.Combine(_dir, "export", "1");
        using var builder = new SavedModelBuilder(export);
        builder.AddMetaGraphAndVariables(session, b, [SavedModelBuilder.ServeTag], signatures, new SavedModelMetaGraphOptions
        {
            // The builder's assets_collection = tf.get_collection(ASSET_FILEPATHS): both tables' path Consts.
            Assets = b.Collections.GetNames(GraphBuilder.AssetFilepathsCollection).ToDictionary(t => t, _ => vocabFile),
            MainOp = mainOp.Name,
        });
        builder.Save();
        File.Delete(vocabFile); // the loaded model must read its own assets/ copy
        return export;
    }

    [Fact]
    public void ClassifySignatureFromSerializedExamplesEqualsAPlainComputationOfTheSameModel()
    {
        var w = MakeWeights();
        var export = Export(w);
        using var bundle = SavedModelBundle.Load(export, "serve");
        var input = new Tensor(new TensorShape(Requests.Length), Requests.Select(r => r.Serialize()).ToArray());
        var outputs = bundle.Run("serving_default", new Dictionary<string, Tensor> { ["inputs"] = input });

        var scores = outputs["scores"];
        Assert.Equal([Requests.Length, Classes], scores.Shape.ToArray());
        var got = scores.AsSpan<float>().ToArray();
        for (int r = 0; r < Requests.Length; r++)
        {
            var expected = Reference(Requests[r], w);
            for (int c = 0; c < Classes; c++) Assert.Equal(expected[c], got[r * Classes + c], 5);
        }
        var classes = outputs["classes"];
        Assert.Equal([Requests.Length, Classes], classes.Shape.ToArray());
        Assert.Equal(Enumerable.Repeat(new[] { "0", "1", "2" }, Requests.Length).SelectMany(s => s),
            classes.Strings.Select(s => Encoding.UTF8.GetString(s)));

        // The predict signature of the same graph agrees, one example at a time too (batch independence).
        var single = bundle.Run("predict", new Dictionary<string, Tensor> { ["examples"] = new Tensor(new TensorShape(1), [Requests[2].Serialize()]) });
        var expected2 = Reference(Requests[2], w);
        var got2 = single["probabilities"].AsSpan<float>().ToArray();
        for (int c = 0; c < Classes; c++) Assert.Equal(expected2[c], got2[c], 5);
    }

    [Fact]
    public void ExportHasTheEstimatorLayoutOneVocabularyAssetAndTableInitializersAsMainOp()
    {
        var export = Export(MakeWeights());
        // builder_impl copies the vocabulary once, though two tables (DNN and linear) name it.
        Assert.Equal(["vocab.txt"], Directory.GetFiles(Path.Combine(export, "assets")).Select(Path.GetFileName));
        Assert.Equal(string.Join("\n", Vocabulary) + "\n", File.ReadAllText(Path.Combine(export, "assets", "vocab.txt")));
        var meta = Assert.Single(SavedModel.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(export, "saved_model.pb"))).MetaGraphs);
        Assert.Equal(2, meta.AssetFileDef.Count);
        Assert.All(meta.AssetFileDef, a => Assert.Equal("vocab.txt", a.Filename));
        Assert.Equal(meta.AssetFileDef.Select(a => a.TensorInfo.Name).Order(StringComparer.Ordinal),
            meta.CollectionDef["asset_filepaths"].NodeList.Value.Order(StringComparer.Ordinal));
        Assert.Equal(["dnn/input_from_feature_columns/input_layer/word_embedding/word_lookup/hash_table/table_init/asset_filepath:0",
            "linear/linear_model/word/word_lookup/hash_table/table_init/asset_filepath:0"],
            meta.AssetFileDef.Select(a => a.TensorInfo.Name).Order(StringComparer.Ordinal));
        Assert.Equal(2, meta.CollectionDef["table_initializer"].NodeList.Value.Count);
        Assert.Equal(["group_deps"], meta.CollectionDef["saved_model_main_op"].NodeList.Value);

        var sig = meta.SignatureDef["serving_default"];
        Assert.Equal("tensorflow/serving/classify", sig.MethodName);
        Assert.Equal(("input_example_tensor:0", DataType.DtString), (sig.Inputs["inputs"].Name, sig.Inputs["inputs"].Dtype));
        Assert.Equal(["classes", "scores"], sig.Outputs.Keys.Order(StringComparer.Ordinal));

        var nodes = meta.GraphDef.Node.ToDictionary(n => n.Name);
        var parse = nodes["ParseExample/ParseExample"];
        Assert.Equal("ParseExample", parse.Op);
        Assert.Equal(["input_example_tensor", "ParseExample/ParseExample/names", "ParseExample/ParseExample/sparse_keys_0",
            "ParseExample/ParseExample/sparse_keys_1", "ParseExample/ParseExample/dense_keys_0", "ParseExample/Reshape"], parse.Input);
        Assert.Equal([DataType.DtString, DataType.DtString], parse.Attr["sparse_types"].List.Type);
        var init = nodes["dnn/input_from_feature_columns/input_layer/word_embedding/word_lookup/hash_table/table_init"];
        Assert.Equal("InitializeTableFromTextFileV2", init.Op);
        Assert.Equal((-2L, -1L, 4L), (init.Attr["key_index"].I, init.Attr["value_index"].I, init.Attr["vocab_size"].I));
        Assert.Equal("SparseSegmentMean", nodes["dnn/input_from_feature_columns/input_layer/word_embedding/word_embedding_weights/embedding_lookup_sparse"].Op);
        Assert.Equal("SparseSegmentSum", nodes["linear/linear_model/word/weighted_sum/embedding_lookup_sparse"].Op);
        Assert.Equal("Select", nodes["linear/linear_model/word/weighted_sum"].Op);
        Assert.Equal("StringToHashBucketFast", nodes["dnn/input_from_feature_columns/input_layer/tag_embedding/lookup"].Op);
    }

    [Fact]
    public void ACorruptSerializedExampleIsAnErrorNamingTheParseOp()
    {
        var export = Export(MakeWeights());
        using var bundle = SavedModelBundle.Load(export, "serve");
        var input = new Tensor(new TensorShape(2), [Requests[0].Serialize(), [0x0a, 0x7f, 0x01]]);
        var ex = Assert.Throws<GraphExecutionException>(() => bundle.Run("serving_default", new Dictionary<string, Tensor> { ["inputs"] = input }));
        Assert.Contains("ParseExample/ParseExample", ex.Message);
    }
}
