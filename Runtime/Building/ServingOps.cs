using TypedGraph.Protos;

namespace TypedGraph.Building;

/// <summary>
/// A sparse tensor of a graph being built (TF's <c>tf.SparseTensor</c>): <see cref="Indices"/> [n, rank] int64,
/// <see cref="Values"/> [n], <see cref="DenseShape"/> [rank] int64, and the statically known <see cref="Rank"/>.
/// </summary>
public readonly record struct SparseOutput(Output Indices, Output Values, Output DenseShape, int Rank);

/// <summary>A <c>tf.io.VarLenFeature</c>: parsed into a <see cref="SparseOutput"/> of <paramref name="DType"/>.</summary>
public sealed record SparseFeatureSpec(string Key, DataType DType);

/// <summary>
/// A <c>tf.io.FixedLenFeature</c> of <paramref name="Shape"/>; examples without it take <paramref name="DefaultValue"/>
/// (null: the feature is required and a missing one is an error).
/// </summary>
public sealed record DenseFeatureSpec(string Key, DataType DType, long[] Shape, Tensor? DefaultValue = null);

/// <summary>The outputs of <see cref="ServingOps.ParseExample"/> by feature key.</summary>
public sealed record ParsedFeatures(IReadOnlyDictionary<string, SparseOutput> Sparse, IReadOnlyDictionary<string, Output> Dense);

/// <summary>
/// A string-to-id table built by <see cref="ServingOps.IndexTableFromFile(GraphBuilder, string, long, long, string, long)"/>: the <c>HashTableV2</c> handle,
/// its default value, the <c>InitializeTableFromTextFileV2</c> op and the <c>asset_filepath</c> Const a
/// SavedModel maps to its <c>assets/</c> copy.
/// </summary>
public sealed record LookupTableOutput(Output Handle, Output DefaultValue, string InitializerName, Output AssetPath)
{
    /// <summary>More than 0 makes the table TF's <c>IdTableWithHashBuckets</c>: lookups send out-of-vocabulary keys to
    /// this many hash buckets after the vocabulary.</summary>
    public long NumOovBuckets { get; init; }
}

/// <summary>The ops of a tf.Example serving graph (parse_example, lookup tables, hash buckets,
/// safe_embedding_lookup_sparse) as extension methods of <see cref="GraphBuilder"/>; their OpDefs are in
/// <c>OpDefCatalog.Parsing.cs</c>, <c>.Lookup.cs</c> and <c>.Sparse.cs</c>.</summary>
public static class ServingOps
{
    /// <summary>
    /// <c>tf.io.parse_example</c> in TF 1.x's layout (parsing_ops._parse_example_raw): under scope <paramref name="name"/>,
    /// one <c>ParseExample</c> op with the keys sorted (as <c>_features_to_raw_params</c> sorts them), the key lists as
    /// Consts <c>sparse_keys_i</c>/<c>dense_keys_i</c>/<c>names</c> in the op's scope, a default given as
    /// <c>key_&lt;key&gt;</c> Const + <c>Reshape</c> to the feature shape, an absent default as an empty Const.
    /// </summary>
    /// <exception cref="ArgumentException">No features, a duplicate key, or a dtype other than float, int64 or string.</exception>
    public static ParsedFeatures ParseExample(this GraphBuilder builder, Output serialized, IReadOnlyList<SparseFeatureSpec> sparse, IReadOnlyList<DenseFeatureSpec> dense, string name = "ParseExample")
    {
        if (sparse.Count + dense.Count == 0) throw new ArgumentException("parse_example: must provide at least one feature key.");
        var keys = sparse.Select(s => s.Key).Concat(dense.Select(d => d.Key)).ToList();
        var dup = keys.GroupBy(k => k, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"parse_example: feature '{dup.Key}' is given twice.");
        foreach (var (key, dtype) in sparse.Select(s => (s.Key, s.DType)).Concat(dense.Select(d => (d.Key, d.DType))))
            if (dtype is not (DataType.DtFloat or DataType.DtInt64 or DataType.DtString))
                throw new ArgumentException($"parse_example: feature '{key}' is {DataTypes.Name(dtype)}; tf.Example features are float32, int64 or string.");
        var sortedSparse = sparse.OrderBy(s => s.Key, StringComparer.Ordinal).ToList();
        var sortedDense = dense.OrderBy(d => d.Key, StringComparer.Ordinal).ToList();
        int inputRank = StaticShapes.Of(builder, serialized)?.Length ?? 1;

        var scope = builder.UniqueName(name);
        using var _ = builder.NameScope(scope + "/");
        var defaults = new List<Output>();
        foreach (var d in sortedDense)
        {
            if (d.DefaultValue == null) { defaults.Add(builder.Constant(EmptyVector(d.DType), "Const")); continue; }
            if (d.DefaultValue.DType != d.DType)
                throw new ArgumentException($"parse_example: the default of feature '{d.Key}' is {DataTypes.Name(d.DefaultValue.DType)}, expected {DataTypes.Name(d.DType)}.");
            var keyName = "key_" + string.Concat(d.Key.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' or '/' ? c : '_'));
            defaults.Add(builder.Reshape(builder.Constant(d.DefaultValue, keyName), d.Shape.Select(x => (int)x).ToArray()));
        }
        var opName = scope + "/" + "ParseExample";
        Output names;
        var sparseKeys = new List<Output>();
        var denseKeys = new List<Output>();
        using (builder.NameScope(opName + "/"))
        {
            names = builder.Constant(EmptyVector(DataType.DtString), "names");
            for (int i = 0; i < sortedSparse.Count; i++) sparseKeys.Add(builder.Constant(sortedSparse[i].Key, $"sparse_keys_{i}"));
            for (int i = 0; i < sortedDense.Count; i++) denseKeys.Add(builder.Constant(sortedDense[i].Key, $"dense_keys_{i}"));
        }
        var shapes = new AttrValue { List = new AttrValue.Types.ListValue() };
        foreach (var d in sortedDense) shapes.List.Shape.Add(Attrs.ShapeProto(d.Shape));
        var node = builder.AddOperationExact(opName, "ParseExample", [serialized, names, .. sparseKeys, .. denseKeys, .. defaults], new Dictionary<string, AttrValue>
        {
            ["Nsparse"] = Attrs.Int(sortedSparse.Count),
            ["Ndense"] = Attrs.Int(sortedDense.Count),
            ["sparse_types"] = Attrs.Types(sortedSparse.Select(s => s.DType)),
            ["Tdense"] = Attrs.Types(sortedDense.Select(d => d.DType)),
            ["dense_shapes"] = shapes,
        });
        int ns = sortedSparse.Count;
        var sparseOut = new Dictionary<string, SparseOutput>(StringComparer.Ordinal);
        for (int i = 0; i < ns; i++)
            sparseOut[sortedSparse[i].Key] = new SparseOutput(builder.OutputOf(node, i), builder.OutputOf(node, ns + i), builder.OutputOf(node, 2 * ns + i), inputRank + 1);
        var denseOut = new Dictionary<string, Output>(StringComparer.Ordinal);
        for (int i = 0; i < sortedDense.Count; i++) denseOut[sortedDense[i].Key] = builder.OutputOf(node, 3 * ns + i);
        return new ParsedFeatures(sparseOut, denseOut);
    }

    /// <summary><c>tf.strings.to_hash_bucket_fast</c>: FarmHash Fingerprint64 of each string modulo <paramref name="numBuckets"/>.</summary>
    /// <exception cref="ArgumentException">Not a string input, or fewer than one bucket.</exception>
    public static Output StringToHashBucketFast(this GraphBuilder builder, Output input, long numBuckets, string name = "StringToHashBucketFast")
    {
        if (numBuckets < 1) throw new ArgumentException($"StringToHashBucketFast: num_buckets must be >= 1, got {numBuckets}.", nameof(numBuckets));
        return builder.Op1("StringToHashBucketFast", [input], name, new Dictionary<string, AttrValue> { ["num_buckets"] = Attrs.Int(numBuckets) });
    }

    /// <summary>
    /// <c>tf.contrib.lookup.index_table_from_file</c> (lookup_ops.py, TF 1.15) without OOV buckets: under scope
    /// <paramref name="name"/>, <c>hash_table</c> (<c>HashTableV2</c>, string → int64, shared name
    /// <c>hash_table_&lt;file&gt;_&lt;size&gt;_-2_-1</c> as <c>TextFileInitializer._shared_name</c> builds it),
    /// <c>hash_table/Const</c> (the default id), <c>hash_table/table_init/asset_filepath</c> and
    /// <c>hash_table/table_init</c> (<c>InitializeTableFromTextFileV2</c>, whole line → line number). The initializer
    /// joins the <c>table_initializer</c> collection and the path Const the <c>asset_filepaths</c> collection.
    /// </summary>
    /// <param name="builder">The builder the ops are added to.</param>
    /// <param name="vocabularyFile">The vocabulary, one key per line (id = line number).</param>
    /// <param name="vocabSize">The number of lines used.</param>
    /// <param name="defaultValue">The id of a key not in the vocabulary (must stay -1 with OOV buckets, as in TF).</param>
    /// <param name="name">The scope.</param>
    /// <param name="numOovBuckets">With a value &gt; 0, <see cref="LookupTableFind(GraphBuilder, LookupTableOutput, Output, string)"/>
    /// gives an out-of-vocabulary key the id <c>vocab_size + Fingerprint64(key) % num_oov_buckets</c>
    /// (lookup_ops.py <c>IdTableWithHashBuckets</c> with the default <c>FastHashSpec</c>).</param>
    /// <exception cref="ArgumentException">An empty path, a vocabulary size below 1, negative OOV buckets, or OOV
    /// buckets with a default value other than -1.</exception>
    public static LookupTableOutput IndexTableFromFile(this GraphBuilder builder, string vocabularyFile, long vocabSize, long defaultValue, string name, long numOovBuckets)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabularyFile);
        if (vocabSize < 1) throw new ArgumentException($"index_table_from_file: vocab_size must be >= 1, got {vocabSize}.", nameof(vocabSize));
        if (numOovBuckets < 0) throw new ArgumentException($"index_table_from_file: num_oov_buckets must be >= 0, got {numOovBuckets}.", nameof(numOovBuckets));
        // lookup_ops.index_table_from_file: "The default value must be -1 when num_oov_buckets > 0" (its ValueError).
        if (numOovBuckets > 0 && defaultValue != -1)
            throw new ArgumentException($"index_table_from_file: default_value {defaultValue} must be -1 when num_oov_buckets > 0.", nameof(defaultValue));
        const long WholeLine = -2, LineNumber = -1; // lookup_ops.TextFileIndex
        using var _ = builder.NameScope(name);
        var tableName = builder.UniqueName("hash_table");
        var handle = builder.OutputOf(builder.AddOperationExact(tableName, "HashTableV2", [], new Dictionary<string, AttrValue>
        {
            ["key_dtype"] = Attrs.Type(DataType.DtString),
            ["value_dtype"] = Attrs.Type(DataType.DtInt64),
            ["shared_name"] = Attrs.String($"hash_table_{vocabularyFile}_{vocabSize}_{WholeLine}_{LineNumber}"),
        }));
        using var __ = builder.NameScope(tableName + "/");
        var dflt = builder.Constant(Tensor.FromScalar(defaultValue), "Const");
        var initScope = builder.UniqueName("table_init");
        Output path;
        using (builder.NameScope(initScope + "/")) path = builder.Constant(vocabularyFile, "asset_filepath");
        var init = builder.AddOperationExact(initScope, "InitializeTableFromTextFileV2", [handle, path], new Dictionary<string, AttrValue>
        {
            ["key_index"] = Attrs.Int(WholeLine),
            ["value_index"] = Attrs.Int(LineNumber),
            ["vocab_size"] = Attrs.Int(vocabSize),
            ["delimiter"] = Attrs.String("\t"),
        });
        builder.Collections.Add(GraphBuilder.TableInitializersCollection, init.Name);
        builder.Collections.Add(GraphBuilder.AssetFilepathsCollection, path.Name);
        return new LookupTableOutput(handle, dflt, init.Name, path) { NumOovBuckets = numOovBuckets };
    }

    /// <summary>
    /// <c>tf.contrib.lookup.index_table_from_file</c> without OOV buckets: see
    /// <see cref="IndexTableFromFile(GraphBuilder, string, long, long, string, long)"/> (every key not in the file gets <paramref name="defaultValue"/>).
    /// </summary>
    /// <exception cref="ArgumentException">An empty path or a vocabulary size below 1.</exception>
    public static LookupTableOutput IndexTableFromFile(this GraphBuilder builder, string vocabularyFile, long vocabSize, long defaultValue = -1, string name = "string_to_index")
        => builder.IndexTableFromFile(vocabularyFile, vocabSize, defaultValue, name, numOovBuckets: 0);

    /// <summary>
    /// <c>table.lookup(keys)</c>: <c>LookupTableFindV2</c> under scope <c>hash_table_Lookup</c>. A table with OOV
    /// buckets follows TF 1.15's <c>IdTableWithHashBuckets.lookup</c> under that scope: <c>hash_bucket</c>
    /// (<c>StringToHashBucketFast</c>), the table lookup, <c>Add</c> of the table size (<c>LookupTableSizeV2</c>),
    /// <c>GreaterEqual</c>(ids, 0) and <c>Select</c> — so a key missing from the vocabulary gets
    /// <c>vocab_size + hash % num_oov_buckets</c>.
    /// </summary>
    public static Output LookupTableFind(this GraphBuilder builder, LookupTableOutput table, Output keys, string name = "hash_table_Lookup")
    {
        using var _ = builder.NameScope(name);
        if (table.NumOovBuckets <= 0) return builder.Op1("LookupTableFindV2", [table.Handle, keys, table.DefaultValue], "LookupTableFindV2");
        var buckets = builder.StringToHashBucketFast(keys, table.NumOovBuckets, "hash_bucket");
        Output ids;
        using (builder.NameScope("hash_table_Lookup"))
            ids = builder.Op1("LookupTableFindV2", [table.Handle, keys, table.DefaultValue], "LookupTableFindV2");
        Output size;
        using (builder.NameScope("hash_table_Size"))
            size = builder.Op1("LookupTableSizeV2", [table.Handle], "LookupTableSizeV2");
        var shifted = builder.Add(buckets, size, "Add");
        var known = builder.Binary("GreaterEqual", ids, 0.0, "GreaterEqual");
        return builder.Select(known, ids, shifted, "Select");
    }

    /// <summary><c>table.lookup(sparse_keys)</c>: the values looked up, indices and dense shape kept.</summary>
    public static SparseOutput LookupTableFind(this GraphBuilder builder, LookupTableOutput table, SparseOutput keys, string name = "hash_table_Lookup")
        => keys with { Values = builder.LookupTableFind(table, keys.Values, name) };

    /// <summary><c>tf.tables_initializer()</c>: a NoOp <c>init_all_tables</c> depending on every op of the
    /// <c>table_initializer</c> collection.</summary>
    public static Node TablesInitializer(this GraphBuilder builder, string name = "init_all_tables") => builder.Group(builder.Collections.GetNames(GraphBuilder.TableInitializersCollection), name);

    /// <summary>
    /// <c>tf.nn.safe_embedding_lookup_sparse(weights, sparse_ids, combiner=…)</c> without weights in TF 1.15's layout
    /// (embedding_ops.py): reshape the ids to rank 2 (<c>SparseReshape</c>), drop ids &lt; 0 (<c>GreaterEqual</c> +
    /// sparse_retain's <c>Where</c>/<c>GatherV2</c>), <c>SparseFillEmptyRows</c> with id 0, then
    /// <c>embedding_lookup_sparse</c> (<c>Unique</c>, gather of the unique ids, <c>SparseSegmentMean/Sum/SqrtN</c> by
    /// row), rows that were empty set to zeros (<c>Select</c>), reshaped back to the ids' leading dims + embedding dim.
    /// </summary>
    /// <param name="builder">The builder the ops are added to.</param>
    /// <param name="weights">The embedding matrix [vocab, dim] (a variable's snapshot).</param>
    /// <param name="ids">int64 ids.</param>
    /// <param name="combiner"><c>mean</c>, <c>sum</c> or <c>sqrtn</c>.</param>
    /// <param name="name">The scope; the final <c>Select</c> takes the scope's own name, as in TF.</param>
    /// <exception cref="ArgumentException">An unknown combiner or ids of rank below 2.</exception>
    public static Output SafeEmbeddingLookupSparse(this GraphBuilder builder, Output weights, SparseOutput ids, string combiner = "mean", string name = "embedding_lookup")
    {
        var segmentOp = combiner switch
        {
            "mean" => "SparseSegmentMean",
            "sum" => "SparseSegmentSum",
            "sqrtn" => "SparseSegmentSqrtN",
            _ => throw new ArgumentException($"combiner must be one of 'mean', 'sqrtn' or 'sum', got '{combiner}'.", nameof(combiner)),
        };
        if (ids.Rank < 2) throw new ArgumentException($"safe_embedding_lookup_sparse: sparse ids must have rank >= 2, got {ids.Rank}.", nameof(ids));
        var scope = builder.UniqueName(name);
        using var _ = builder.NameScope(scope + "/");
        int r = ids.Rank;

        // Reshape higher-rank ids to [prod(leading dims), last dim].
        var lead = builder.Slice(ids.DenseShape, builder.Constant(new[] { 0 }, "Slice/begin"), builder.Constant(new[] { r - 1 }, "Slice/size"), "Slice");
        var rows = builder.Reduce("Prod", lead, [0], false, "Prod");
        var last = builder.Gather(ids.DenseShape, builder.Constant(r - 1, "GatherV2/indices"), 0, "GatherV2");
        Output newShape;
        var reshapeScope = builder.UniqueName("SparseReshape");
        using (builder.NameScope(reshapeScope + "/")) newShape = builder.Stack([rows, last], 0, "shape");
        var reshaped = builder.AddOperationExact(reshapeScope, "SparseReshape", [ids.Indices, ids.DenseShape, newShape]);
        var indices = builder.OutputOf(reshaped, 0);
        var shape = builder.OutputOf(reshaped, 1);

        // _prune_invalid_ids → sparse_retain(ids, ids >= 0).
        var valid = builder.Binary("GreaterEqual", ids.Values, 0, "GreaterEqual");
        var keep = builder.Reshape(builder.Op1("Where", [valid], "Where"), [-1]);
        indices = builder.Gather(indices, keep, 0, "GatherV2_1");
        var values = builder.Gather(ids.Values, keep, 0, "GatherV2_2");
        shape = builder.Identity(shape);

        // sparse_fill_empty_rows(ids, 0).
        Node filled;
        var fillScope = builder.UniqueName("SparseFillEmptyRows");
        using (builder.NameScope(fillScope + "/"))
        {
            var zero = builder.Constant(Tensor.FromScalar(0L), "Const");
            filled = builder.AddOperationExact(fillScope + "/SparseFillEmptyRows", "SparseFillEmptyRows", [indices, values, shape, zero]);
        }
        indices = builder.OutputOf(filled, 0);
        values = builder.OutputOf(filled, 1);
        var isRowEmpty = builder.OutputOf(filled, 2);

        // embedding_lookup_sparse: segment = row, unique ids gathered once, combined per row.
        Output result;
        var elsScope = builder.UniqueName("embedding_lookup_sparse");
        using (builder.NameScope(elsScope + "/"))
        {
            var segment = builder.StridedSliceColumn0(indices);
            var segmentIds = builder.Cast(segment, DataType.DtInt32, "Cast");
            var unique = builder.AddOperation("Unique", [values], new Dictionary<string, AttrValue> { ["out_idx"] = Attrs.Type(DataType.DtInt32) }, "Unique");
            Output embeddings;
            var lookupScope = builder.UniqueName("embedding_lookup");
            using (builder.ColocateWith(weights.NodeName.EndsWith("/read", StringComparison.Ordinal) ? weights.NodeName[..^5] : weights.NodeName))
            using (builder.NameScope(lookupScope + "/"))
            {
                var axis = builder.Constant(0, "axis");
                embeddings = builder.OutputOf(builder.AddOperationExact(lookupScope, "GatherV2", [weights, builder.OutputOf(unique, 0), axis]));
            }
            using (builder.NameScope(lookupScope + "/")) embeddings = builder.Identity(embeddings, "Identity");
            result = builder.OutputOf(builder.AddOperationExact(elsScope, segmentOp, [embeddings, builder.OutputOf(unique, 1), segmentIds]));
        }

        // Rows without any valid id come out as zeros, not as the embedding of the filled-in id 0.
        var emptyColumn = builder.Reshape(isRowEmpty, [-1, 1]);
        var dim = builder.StridedSliceScalar(builder.Shape(result), 1);
        var multiples = builder.Stack([builder.Constant(1, "stack/0"), dim], 0, "stack");
        var emptyMask = builder.Tile(emptyColumn, multiples);
        var zeros = builder.ZerosLike(result);
        result = builder.OutputOf(builder.AddOperationExact(scope, "Select", [emptyMask, zeros, result]));

        // Back to the ids' leading dims + the embedding dim.
        var leadDims = builder.Slice(builder.Cast(ids.DenseShape, DataType.DtInt32), builder.Constant(new[] { 0 }, "Slice_1/begin"), builder.Constant(new[] { r - 1 }, "Slice_1/size"), "Slice_1");
        var tail = builder.Slice(builder.Shape(result, "Shape_1"), builder.Constant(new[] { 1 }, "Slice_2/begin"), builder.Constant(new[] { -1 }, "Slice_2/size"), "Slice_2");
        return builder.Reshape(result, builder.Concat([leadDims, tail], 0));
    }

    // x[:, 0] of an [n, k] tensor, as Python's slicing emits it: StridedSlice with begin/end/strides Consts
    // stack, stack_1, stack_2, begin_mask = end_mask = 1, shrink_axis_mask = 2.
    private static Output StridedSliceColumn0(this GraphBuilder builder, Output x)
    {
        var scope = builder.UniqueName("strided_slice");
        Output b, e, s;
        using (builder.NameScope(scope + "/"))
        {
            b = builder.Constant(new[] { 0, 0 }, "stack");
            e = builder.Constant(new[] { 0, 1 }, "stack_1");
            s = builder.Constant(new[] { 1, 1 }, "stack_2");
        }
        return builder.OutputOf(builder.AddOperationExact(scope, "StridedSlice", [x, b, e, s], new Dictionary<string, AttrValue>
        {
            ["begin_mask"] = Attrs.Int(1),
            ["end_mask"] = Attrs.Int(1),
            ["shrink_axis_mask"] = Attrs.Int(2),
        }));
    }

    // x[i] of a rank-1 tensor: StridedSlice [i:i+1:1] with shrink_axis_mask = 1.
    private static Output StridedSliceScalar(this GraphBuilder builder, Output x, int i)
    {
        var scope = builder.UniqueName("strided_slice");
        Output b, e, s;
        using (builder.NameScope(scope + "/"))
        {
            b = builder.Constant(new[] { i }, "stack");
            e = builder.Constant(new[] { i + 1 }, "stack_1");
            s = builder.Constant(new[] { 1 }, "stack_2");
        }
        return builder.OutputOf(builder.AddOperationExact(scope, "StridedSlice", [x, b, e, s], new Dictionary<string, AttrValue> { ["shrink_axis_mask"] = Attrs.Int(1) }));
    }

    private static Tensor EmptyVector(DataType dtype) => dtype switch
    {
        DataType.DtFloat => Tensor.Create(Array.Empty<float>(), [0]),
        DataType.DtInt64 => Tensor.Create(Array.Empty<long>(), [0]),
        DataType.DtString => new Tensor(new TensorShape(0), Array.Empty<byte[]>()),
        _ => throw new ArgumentException($"No empty default for {DataTypes.Name(dtype)}."),
    };
}
