using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Parsing;

/// <summary>A dense feature list: every step holds exactly <c>Stride</c> values of <see cref="Type"/>.</summary>
internal sealed record DenseListFeature(string Key, DataType Type, int[] Dims, bool MissingAssumedEmpty)
{
    public long Stride { get; } = Dims.Aggregate(1L, (a, d) => a * d);
    public string ShapeText => "[" + string.Join(", ", Dims) + "]";
}

/// <summary>
/// Parses serialized <c>tf.train.SequenceExample</c>s as TF's ParseSequenceExample(V2) / ParseSingleSequenceExample
/// (tensorflow/core/kernels/example_parsing_ops.cc, example_proto_fast_parsing.cc FastParseSequenceExample):
/// context features exactly as <see cref="ExampleParser"/>; dense feature lists → <c>[batch, longest, dims…]</c>
/// zero-padded (<c>[steps, dims…]</c> for one example) with the per-example step counts; a missing dense list is
/// empty only when listed in <c>feature_list_dense_missing_assumed_empty</c>, else an error naming it; sparse lists →
/// indices <c>(example, step, position)</c>; ragged lists → values with outer (steps) and inner (values) splits.
/// </summary>
internal sealed class SequenceExampleParser(
    DenseFeature[] contextDense, ListFeature[] contextSparse, ListFeature[] contextRagged,
    DenseListFeature[] listDense, ListFeature[] listSparse, ListFeature[] listRagged, Func<string, Exception> error)
{
    internal sealed record Result(
        Tensor[] ContextSparseIndices, Tensor[] ContextSparseValues, Tensor[] ContextSparseShapes, Tensor[] ContextDense,
        Tensor[] ContextRaggedValues, Tensor[] ContextRaggedSplits,
        Tensor[] ListSparseIndices, Tensor[] ListSparseValues, Tensor[] ListSparseShapes, Tensor[] ListDense, Tensor[] ListDenseLengths,
        Tensor[] ListRaggedValues, Tensor[] ListRaggedOuterSplits, Tensor[] ListRaggedInnerSplits);

    public Result Parse(byte[][] serialized, byte[][]? names, bool batched)
    {
        if (names is { Length: > 0 } && names.Length != serialized.Length)
            throw error($"Expected len(debug_name) == len(serialized), but got: {names.Length} vs. {serialized.Length}.");
        int batch = serialized.Length;
        var context = new ExampleParser(contextDense, contextSparse, contextRagged, error);
        var fixedBlocks = contextDense.Select(d => d.VariableLength ? null : new DenseBlock(d.Type, batch * d.Stride)).ToArray();
        var varLen = contextDense.Select(d => d.VariableLength ? new FeatureValues(d.Type) : null).ToArray();
        var cSparse = contextSparse.Select(s => new FeatureValues(s.Type)).ToArray();
        var cRagged = contextRagged.Select(s => new FeatureValues(s.Type)).ToArray();
        var dValues = listDense.Select(d => new FeatureValues(d.Type)).ToArray();      // rows = examples
        var lengths = listDense.Select(_ => new long[batch]).ToArray();
        var sValues = listSparse.Select(s => new FeatureValues(s.Type)).ToArray();     // rows = steps
        var sSteps = listSparse.Select(_ => new List<long>()).ToArray();               // running step count per example
        var rValues = listRagged.Select(s => new FeatureValues(s.Type)).ToArray();
        var rSteps = listRagged.Select(_ => new List<long>()).ToArray();

        for (int b = 0; b < batch; b++)
        {
            string name = names is { Length: > 0 } ? Encoding.UTF8.GetString(names[b]) : "<unknown>";
            var (ctx, lists) = ParseOne(serialized[b], name, b);
            for (int d = 0; d < contextDense.Length; d++) context.ParseDense(contextDense[d], ctx, name, b, fixedBlocks[d], varLen[d]);
            for (int s = 0; s < contextSparse.Length; s++) context.ParseList(contextSparse[s], ctx, name, b, cSparse[s]);
            for (int r = 0; r < contextRagged.Length; r++) context.ParseList(contextRagged[r], ctx, name, b, cRagged[r]);

            for (int d = 0; d < listDense.Length; d++)
            {
                var f = listDense[d];
                if (lists.TryGetValue(f.Key, out var list))
                {
                    for (int t = 0; t < list.Feature.Count; t++)
                    {
                        var feature = list.Feature[t];
                        CheckKind(f.Key, f.Type, feature, name, t);
                        int n = FeatureKinds.ValueCount(feature);
                        if (n != f.Stride)
                            throw error($"Name: {name}, Key: {f.Key}, Index: {t}.  Number of {FeatureKinds.CountWord(f.Type)} values != expected.  values size: {n} but output shape: {f.ShapeText}");
                        dValues[d].Append(feature);
                    }
                    lengths[d][b] = list.Feature.Count;
                }
                else if (!f.MissingAssumedEmpty)
                {
                    throw error($"Name: {name}, Feature list '{f.Key}' is required but could not be found.  Did you mean to include it in feature_list_dense_missing_assumed_empty or feature_list_dense_defaults?");
                }
                dValues[d].EndRow();
            }
            for (int s = 0; s < listSparse.Length; s++) AppendSteps(listSparse[s], lists, name, sValues[s], sSteps[s]);
            for (int r = 0; r < listRagged.Length; r++) AppendSteps(listRagged[r], lists, name, rValues[r], rSteps[r]);
        }

        var lead = batched ? new[] { batch } : [];
        var cDenseOut = contextDense.Select((f, d) => f.VariableLength
            ? ExampleParser.PadRows(varLen[d]!, f, batch, lead)
            : fixedBlocks[d]!.ToTensor(new TensorShape([.. lead, .. f.InnerDims]))).ToArray();
        var (csi, csv, css) = ExampleParser.SparseOutputs(cSparse, batched);
        var crv = cRagged.Select(v => v.ValuesTensor()).ToArray();
        var crs = cRagged.Select((v, i) => ExampleParser.RowSplits(v.Ends, contextRagged[i].SplitType)).ToArray();

        var ldOut = listDense.Select((f, d) => DenseSteps(dValues[d], f, lengths[d], batched)).ToArray();
        var llOut = lengths.Select(l => batched ? Tensor.Create(l, l.Length) : Tensor.FromScalar(l.Length > 0 ? l[0] : 0)).ToArray();
        var lsi = new Tensor[listSparse.Length]; var lsv = new Tensor[listSparse.Length]; var lss = new Tensor[listSparse.Length];
        for (int s = 0; s < listSparse.Length; s++) (lsi[s], lsv[s], lss[s]) = SparseSteps(sValues[s], sSteps[s], batched);
        var lrv = rValues.Select(v => v.ValuesTensor()).ToArray();
        var lro = rSteps.Select((steps, i) => ExampleParser.RowSplits(steps, listRagged[i].SplitType)).ToArray();
        var lri = rValues.Select((v, i) => ExampleParser.RowSplits(v.Ends, listRagged[i].SplitType)).ToArray();
        return new Result(csi, csv, css, cDenseOut, crv, crs, lsi, lsv, lss, ldOut, llOut, lrv, lro, lri);
    }

    private (MapField<string, Feature> Context, MapField<string, FeatureList> Lists) ParseOne(byte[] bytes, string name, int index)
    {
        try
        {
            var se = SequenceExample.Parser.ParseFrom(bytes);
            return (se.Context?.Feature ?? new MapField<string, Feature>(), se.FeatureLists?.FeatureList ?? new MapField<string, FeatureList>());
        }
        catch (InvalidProtocolBufferException)
        {
            // SequenceExample.context = 1 → Features.feature = 1; feature_lists = 2 → FeatureLists.feature_list = 1.
            string what = FeatureKinds.DescribeBadProto(bytes, [1, 1], v => ExampleParser.TryParse(Feature.Parser, v));
            if (what.StartsWith("the bytes", StringComparison.Ordinal))
                what = FeatureKinds.DescribeBadProto(bytes, [2, 1], v => ExampleParser.TryParse(FeatureList.Parser, v)).Replace("feature '", "feature list '");
            throw error($"Could not parse example input {index} (name: {name}) as a tf.train.SequenceExample: {what}.");
        }
    }

    private void CheckKind(string key, DataType expected, Feature feature, string name, int step)
    {
        var actual = FeatureKinds.TypeOf(feature);
        if (actual != expected)
            throw error($"Name: {name}, Feature list: {key}, Index: {step}.  Data types don't match. Expected type: {FeatureKinds.TfName(expected)}, Actual type: {(actual == DataType.DtInvalid ? "none (no value list set)" : FeatureKinds.TfName(actual))}");
    }

    private void AppendSteps(ListFeature f, MapField<string, FeatureList> lists, string name, FeatureValues values, List<long> steps)
    {
        if (lists.TryGetValue(f.Key, out var list))
        {
            for (int t = 0; t < list.Feature.Count; t++)
            {
                var feature = list.Feature[t];
                if (FeatureKinds.TypeOf(feature) != DataType.DtInvalid) CheckKind(f.Key, f.Type, feature, name, t);
                values.Append(feature);
                values.EndRow();
            }
        }
        steps.Add(values.Ends.Count);
    }

    private static Tensor DenseSteps(FeatureValues values, DenseListFeature f, long[] lengths, bool batched)
    {
        long longest = lengths.Length == 0 ? 0 : lengths.Max();
        int rows = lengths.Length;
        var block = new DenseBlock(f.Type, rows * longest * f.Stride); // zeros / empty strings pad, as TF
        for (int r = 0; r < rows; r++)
        {
            long start = r == 0 ? 0 : values.Ends[r - 1];
            long n = values.RowLength(r);
            for (long j = 0; j < n; j++) values.CopyTo(block, start + j, r * longest * f.Stride + j);
        }
        return block.ToTensor(batched ? new TensorShape([rows, checked((int)longest), .. f.Dims]) : new TensorShape([checked((int)longest), .. f.Dims]));
    }

    private static (Tensor, Tensor, Tensor) SparseSteps(FeatureValues values, List<long> steps, bool batched)
    {
        int rank = batched ? 3 : 2, n = values.Count;
        var ix = new long[n * rank];
        long maxSteps = 0, maxLen = 0;
        int k = 0, step = 0;
        for (int b = 0; b < steps.Count; b++)
        {
            long firstStep = step;
            maxSteps = Math.Max(maxSteps, steps[b] - firstStep);
            for (; step < steps[b]; step++)
            {
                long len = values.RowLength(step);
                maxLen = Math.Max(maxLen, len);
                for (long j = 0; j < len; j++, k++)
                {
                    int o = k * rank;
                    if (batched) ix[o++] = b;
                    ix[o++] = step - firstStep;
                    ix[o] = j;
                }
            }
        }
        var shape = batched ? new[] { steps.Count, maxSteps, maxLen } : new[] { maxSteps, maxLen };
        return (Tensor.Create(ix, n, rank), values.ValuesTensor(), Tensor.Create(shape, shape.Length));
    }
}
