using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Parsing;

/// <summary>
/// Parses serialized <c>tf.train.Example</c>s into dense, sparse and ragged outputs with the semantics of TF's
/// <c>FastParseExample</c> (tensorflow/core/util/example_proto_fast_parsing.cc):
/// <list type="bullet">
/// <item>a key that appears twice in one example: the last entry wins (proto map semantics);</item>
/// <item>fixed-length dense: exactly <c>Stride</c> values, else "Number of … values != expected"; a missing feature
/// (or one with no kind set) takes the default, and is "required but could not be found" when the default is empty;</item>
/// <item>variable-length dense (shape <c>[-1, …]</c>): a multiple of the stride, rows padded to the longest example
/// with the default's single element;</item>
/// <item>sparse: indices <c>(example, position)</c>, dense shape <c>[batch, longest]</c>; ragged: values + row splits;</item>
/// <item>a value list of the wrong kind: "Data types don't match", naming the example and key.</item>
/// </list>
/// </summary>
internal sealed class ExampleParser(DenseFeature[] dense, ListFeature[] sparse, ListFeature[] ragged, Func<string, Exception> error)
{
    /// <summary>Per-batch outputs in op order.</summary>
    internal sealed record Result(Tensor[] SparseIndices, Tensor[] SparseValues, Tensor[] SparseShapes, Tensor[] Dense, Tensor[] RaggedValues, Tensor[] RaggedSplits);

    /// <summary>
    /// Parses <paramref name="serialized"/>. <paramref name="batched"/> false means a single example (scalar input):
    /// outputs have no batch dimension (sparse indices <c>[N, 1]</c>, dense shape <c>[longest]</c>).
    /// </summary>
    public Result Parse(byte[][] serialized, byte[][]? names, bool batched)
    {
        if (names is { Length: > 0 } && names.Length != serialized.Length)
            throw error($"Expected len(names) == len(serialized), but got: {names.Length} vs. {serialized.Length}.");
        int batch = serialized.Length;
        var fixedBlocks = new DenseBlock?[dense.Length];
        var varLen = new FeatureValues?[dense.Length];
        for (int d = 0; d < dense.Length; d++)
        {
            if (dense[d].VariableLength) varLen[d] = new FeatureValues(dense[d].Type);
            else fixedBlocks[d] = new DenseBlock(dense[d].Type, batch * dense[d].Stride);
        }
        var sparseValues = sparse.Select(s => new FeatureValues(s.Type)).ToArray();
        var raggedValues = ragged.Select(r => new FeatureValues(r.Type)).ToArray();

        for (int b = 0; b < batch; b++)
        {
            string name = names is { Length: > 0 } ? Encoding.UTF8.GetString(names[b]) : "<unknown>";
            var features = ParseOne(serialized[b], name, b);
            for (int d = 0; d < dense.Length; d++)
                ParseDense(dense[d], features, name, b, fixedBlocks[d], varLen[d]);
            for (int s = 0; s < sparse.Length; s++) ParseList(sparse[s], features, name, b, sparseValues[s]);
            for (int r = 0; r < ragged.Length; r++) ParseList(ragged[r], features, name, b, raggedValues[r]);
        }

        var denseOut = new Tensor[dense.Length];
        for (int d = 0; d < dense.Length; d++)
        {
            var f = dense[d];
            var lead = batched ? new[] { batch } : [];
            denseOut[d] = f.VariableLength
                ? PadRows(varLen[d]!, f, batch, lead)
                : fixedBlocks[d]!.ToTensor(new TensorShape([.. lead, .. f.InnerDims]));
        }
        var (si, sv, ss) = SparseOutputs(sparseValues, batched);
        var rv = raggedValues.Select(v => v.ValuesTensor()).ToArray();
        var rs = raggedValues.Select((v, i) => RowSplits(v.Ends, ragged[i].SplitType)).ToArray();
        return new Result(si, sv, ss, denseOut, rv, rs);
    }

    private MapField<string, Feature> ParseOne(byte[] bytes, string name, int index)
    {
        try
        {
            return Example.Parser.ParseFrom(bytes).Features?.Feature ?? new MapField<string, Feature>();
        }
        catch (InvalidProtocolBufferException)
        {
            // Example.features = 1 → Features.feature = 1 (map entries).
            string what = FeatureKinds.DescribeBadProto(bytes, [1, 1], v => TryParse(Feature.Parser, v));
            throw error($"Could not parse example input {index} (name: {name}) as a tf.train.Example: {what}.");
        }
    }

    internal static bool TryParse<T>(MessageParser<T> parser, ByteString bytes) where T : IMessage<T>
    {
        try { parser.ParseFrom(bytes); return true; }
        catch (InvalidProtocolBufferException) { return false; }
    }

    internal void ParseDense(DenseFeature f, MapField<string, Feature> features, string name, int index, DenseBlock? fixedBlock, FeatureValues? varLen)
    {
        bool present = features.TryGetValue(f.Key, out var feature) && FeatureKinds.TypeOf(feature) != DataType.DtInvalid;
        if (present)
        {
            var actual = FeatureKinds.TypeOf(feature!);
            if (actual != f.Type)
                throw ExampleError(name, f.Key, index, $"Data types don't match. Data type: {FeatureKinds.TfName(actual)} but expected type: {FeatureKinds.TfName(f.Type)}");
            int n = FeatureKinds.ValueCount(feature!);
            if (fixedBlock != null)
            {
                if (n != f.Stride)
                    throw ExampleError(name, f.Key, index, $"Number of {FeatureKinds.CountWord(f.Type)} values != expected.  Values size: {n} but output shape: {f.ShapeText}");
                fixedBlock.Write(feature!, index * f.Stride);
            }
            else
            {
                if (f.Stride == 0 ? n != 0 : n % f.Stride != 0)
                    throw ExampleError(name, f.Key, index, $"Number of {FeatureKinds.CountWord(f.Type)} values is not a multiple of stride length. Saw {n} values but output shape is: {f.ShapeText}");
                varLen!.Append(feature!);
            }
        }
        else if (fixedBlock != null)
        {
            if (f.Default.NumElements == 0)
                throw error($"Name: {name}, Feature: {f.Key} (data type: {FeatureKinds.TfName(f.Type)}) is required but could not be found.");
            fixedBlock.Write(f.Default, index * f.Stride);
        }
        varLen?.EndRow();
    }

    internal void ParseList(ListFeature f, MapField<string, Feature> features, string name, int index, FeatureValues values)
    {
        if (features.TryGetValue(f.Key, out var feature))
        {
            var actual = FeatureKinds.TypeOf(feature);
            if (actual != DataType.DtInvalid && actual != f.Type)
                throw ExampleError(name, f.Key, index, $"Data types don't match. Expected type: {FeatureKinds.TfName(f.Type)}, Actual type: {FeatureKinds.TfName(actual)}");
            values.Append(feature);
        }
        values.EndRow();
    }

    private Exception ExampleError(string name, string key, int index, string suffix) => error($"Name: {name}, Key: {key}, Index: {index}.  {suffix}");

    /// <summary>Variable-length dense rows → <c>[lead…, longest, inner…]</c> padded with the default's element.</summary>
    internal static Tensor PadRows(FeatureValues values, DenseFeature f, int rows, int[] lead)
    {
        long stride = Math.Max(f.Stride, 1);
        long longest = 0;
        for (int r = 0; r < rows; r++) longest = Math.Max(longest, values.RowLength(r) / stride);
        var block = new DenseBlock(f.Type, rows * longest * f.Stride);
        block.Fill(f.Default);
        for (int r = 0; r < rows; r++)
        {
            long start = r == 0 ? 0 : values.Ends[r - 1];
            long n = values.RowLength(r);
            for (long j = 0; j < n; j++) values.CopyTo(block, start + j, r * longest * f.Stride + j);
        }
        return block.ToTensor(new TensorShape([.. lead, checked((int)longest), .. f.InnerDims]));
    }

    /// <summary>Sparse outputs from per-example rows: indices <c>(example, position)</c> or <c>(position)</c>.</summary>
    internal static (Tensor[] Indices, Tensor[] Values, Tensor[] Shapes) SparseOutputs(FeatureValues[] all, bool batched)
    {
        var indices = new Tensor[all.Length];
        var values = new Tensor[all.Length];
        var shapes = new Tensor[all.Length];
        for (int s = 0; s < all.Length; s++)
        {
            var v = all[s];
            int rows = v.Ends.Count, n = v.Count, rank = batched ? 2 : 1;
            var ix = new long[n * rank];
            long longest = 0;
            int k = 0;
            for (int r = 0; r < rows; r++)
            {
                long len = v.RowLength(r);
                longest = Math.Max(longest, len);
                for (long j = 0; j < len; j++, k++)
                {
                    if (batched) { ix[2 * k] = r; ix[2 * k + 1] = j; }
                    else ix[k] = j;
                }
            }
            indices[s] = Tensor.Create(ix, n, rank);
            values[s] = v.ValuesTensor();
            shapes[s] = batched ? Tensor.Create(new[] { (long)rows, longest }, 2) : Tensor.Create(new[] { longest }, 1);
        }
        return (indices, values, shapes);
    }

    /// <summary>Row splits <c>[0, end₀, end₁, …]</c> in <paramref name="type"/> (int32 or int64).</summary>
    internal static Tensor RowSplits(List<long> ends, DataType type)
    {
        if (type == DataType.DtInt32)
        {
            var s = new int[ends.Count + 1];
            for (int i = 0; i < ends.Count; i++) s[i + 1] = checked((int)ends[i]);
            return Tensor.Create(s, s.Length);
        }
        var l = new long[ends.Count + 1];
        for (int i = 0; i < ends.Count; i++) l[i + 1] = ends[i];
        return Tensor.Create(l, l.Length);
    }
}
