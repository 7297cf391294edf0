using System.Text;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;
using static TypedGraph.Kernels.Parsing.ExampleParsingKernels;

namespace TypedGraph.Kernels.Parsing;

/// <summary>
/// ParseSingleSequenceExample, ParseSequenceExample and ParseSequenceExampleV2 over <see cref="SequenceExampleParser"/>,
/// with inputs, attrs and outputs in the order of TF's op registrations (tensorflow/core/ops/parsing_ops.cc).
/// </summary>
internal sealed class SequenceExampleParsingKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ParseSingleSequenceExample", ParseSingle);
        registry.Add("ParseSequenceExample", ParseBatchV1);
        registry.Add("ParseSequenceExampleV2", ParseV2);
    }

    // Inputs: serialized, feature_list_dense_missing_assumed_empty, context_sparse_keys × Ncs, context_dense_keys × Ncd,
    // feature_list_sparse_keys × Nfs, feature_list_dense_keys × Nfd, context_dense_defaults × Ncd, debug_name.
    private static OpKernel ParseSingle(Node node)
    {
        int ncs = (int)node.GetInt("Ncontext_sparse", 0), ncd = (int)node.GetInt("Ncontext_dense", 0);
        int nfs = (int)node.GetInt("Nfeature_list_sparse", 0), nfd = (int)node.GetInt("Nfeature_list_dense", 0);
        var cst = node.GetTypes("context_sparse_types", []); var cdt = node.GetTypes("Tcontext_dense", []);
        var fst = node.GetTypes("feature_list_sparse_types", []); var fdt = node.GetTypes("feature_list_dense_types", []);
        var cds = DenseShapes(node, "context_dense_shapes"); var fds = DenseShapes(node, "feature_list_dense_shapes");
        Check(node, ncs, cst.Length, ncd, cdt.Length, cds.Length, nfs, fst.Length, nfd, fdt.Length, fds.Length);
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.DType != DataType.DtString || input.Shape.Rank != 0) throw ctx.Error($"Expected serialized to be a scalar string, got shape {input.Shape}.");
            var assumedEmpty = ctx.Input(1).Strings.Select(s => Encoding.UTF8.GetString(s)).ToHashSet(StringComparer.Ordinal);
            int at = 2;
            var cs = Enumerable.Range(0, ncs).Select(i => new ListFeature(ScalarString(ctx, at + i, "context_sparse_keys"), cst[i])).ToArray(); at += ncs;
            var cdKeys = Enumerable.Range(0, ncd).Select(i => ScalarString(ctx, at + i, "context_dense_keys")).ToArray(); at += ncd;
            var fs = Enumerable.Range(0, nfs).Select(i => new ListFeature(ScalarString(ctx, at + i, "feature_list_sparse_keys"), fst[i])).ToArray(); at += nfs;
            var fdKeys = Enumerable.Range(0, nfd).Select(i => ScalarString(ctx, at + i, "feature_list_dense_keys")).ToArray(); at += nfd;
            var cd = cdKeys.Select((k, i) => Dense(ctx, k, cdt[i], cds[i], ctx.Input(at + i), i, "context_dense_defaults")).ToArray(); at += ncd;
            var name = ctx.Input(at).Strings;
            var fd = fdKeys.Select((k, i) => ListDense(ctx, k, fdt[i], fds[i], assumedEmpty.Contains(k))).ToArray();
            var r = new SequenceExampleParser(cd, cs, [], fd, fs, [], ctx.Error).Parse(input.Strings, name.Length == 1 && name[0].Length > 0 ? name : null, batched: false);
            int o = 0;
            foreach (var group in new[] { r.ContextSparseIndices, r.ContextSparseValues, r.ContextSparseShapes, r.ContextDense, r.ListSparseIndices, r.ListSparseValues, r.ListSparseShapes, r.ListDense })
                foreach (var t in group) ctx.SetOutput(o++, t);
        });
    }

    // Inputs: serialized [B], debug_name [B], context_dense_defaults × Ncd; keys are attrs.
    private static OpKernel ParseBatchV1(Node node)
    {
        int ncs = (int)node.GetInt("Ncontext_sparse", 0), ncd = (int)node.GetInt("Ncontext_dense", 0);
        int nfs = (int)node.GetInt("Nfeature_list_sparse", 0), nfd = (int)node.GetInt("Nfeature_list_dense", 0);
        var cst = node.GetTypes("context_sparse_types", []); var cdt = node.GetTypes("Tcontext_dense", []);
        var fst = node.GetTypes("feature_list_sparse_types", []); var fdt = node.GetTypes("feature_list_dense_types", []);
        var cds = DenseShapes(node, "context_dense_shapes"); var fds = DenseShapes(node, "feature_list_dense_shapes");
        Check(node, ncs, cst.Length, ncd, cdt.Length, cds.Length, nfs, fst.Length, nfd, fdt.Length, fds.Length);
        var csKeys = node.GetStrings("context_sparse_keys", []); var cdKeys = node.GetStrings("context_dense_keys", []);
        var fsKeys = node.GetStrings("feature_list_sparse_keys", []); var fdKeys = node.GetStrings("feature_list_dense_keys", []);
        if (csKeys.Length != ncs || cdKeys.Length != ncd || fsKeys.Length != nfs || fdKeys.Length != nfd)
            throw Common.KernelAttrs.Err(node, "the key list attrs do not match Ncontext_sparse/Ncontext_dense/Nfeature_list_sparse/Nfeature_list_dense.");
        var assumedEmpty = node.GetStrings("feature_list_dense_missing_assumed_empty", []).ToHashSet(StringComparer.Ordinal);
        var cs = csKeys.Select((k, i) => new ListFeature(k, cst[i])).ToArray();
        var fs = fsKeys.Select((k, i) => new ListFeature(k, fst[i])).ToArray();
        return new DelegateKernel(node, ctx =>
        {
            var serialized = StringVector(ctx, 0, "serialized");
            var cd = cdKeys.Select((k, i) => Dense(ctx, k, cdt[i], cds[i], ctx.Input(2 + i), i, "context_dense_defaults")).ToArray();
            var fd = fdKeys.Select((k, i) => ListDense(ctx, k, fdt[i], fds[i], assumedEmpty.Contains(k))).ToArray();
            var r = new SequenceExampleParser(cd, cs, [], fd, fs, [], ctx.Error).Parse(serialized, ctx.Input(1).Strings, batched: true);
            int o = 0;
            foreach (var group in new[] { r.ContextSparseIndices, r.ContextSparseValues, r.ContextSparseShapes, r.ContextDense, r.ListSparseIndices, r.ListSparseValues, r.ListSparseShapes, r.ListDense, r.ListDenseLengths })
                foreach (var t in group) ctx.SetOutput(o++, t);
        });
    }

    // Inputs: serialized, debug_name, context_sparse_keys, context_dense_keys, context_ragged_keys, feature_list_sparse_keys,
    // feature_list_dense_keys, feature_list_ragged_keys, feature_list_dense_missing_assumed_empty (bool), context_dense_defaults × Ncd.
    private static OpKernel ParseV2(Node node)
    {
        int ncs = (int)node.GetInt("Ncontext_sparse", 0), nfs = (int)node.GetInt("Nfeature_list_sparse", 0), nfd = (int)node.GetInt("Nfeature_list_dense", 0);
        var cst = node.GetTypes("context_sparse_types", []); var cdt = node.GetTypes("Tcontext_dense", []);
        var crt = node.GetTypes("context_ragged_value_types", []); var crs = node.GetTypes("context_ragged_split_types", []);
        var fst = node.GetTypes("feature_list_sparse_types", []); var fdt = node.GetTypes("feature_list_dense_types", []);
        var frt = node.GetTypes("feature_list_ragged_value_types", []); var frs = node.GetTypes("feature_list_ragged_split_types", []);
        var cds = DenseShapes(node, "context_dense_shapes"); var fds = DenseShapes(node, "feature_list_dense_shapes");
        Check(node, ncs, cst.Length, cdt.Length, cdt.Length, cds.Length, nfs, fst.Length, nfd, fdt.Length, fds.Length);
        if (crt.Length != crs.Length || frt.Length != frs.Length)
            throw Common.KernelAttrs.Err(node, "ragged value and split type lists differ in length.");
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.DType != DataType.DtString || input.Shape.Rank > 1) throw ctx.Error($"Expected serialized to be a scalar or vector of strings, got shape {input.Shape}.");
            bool batched = input.Shape.Rank == 1;
            var cs = KeyVector(ctx, 2, "context_sparse_keys", ncs).Select((k, i) => new ListFeature(k, cst[i])).ToArray();
            var cdKeys = KeyVector(ctx, 3, "context_dense_keys", cdt.Length);
            var cr = KeyVector(ctx, 4, "context_ragged_keys", crt.Length).Select((k, i) => new ListFeature(k, crt[i], crs[i])).ToArray();
            var fs = KeyVector(ctx, 5, "feature_list_sparse_keys", nfs).Select((k, i) => new ListFeature(k, fst[i])).ToArray();
            var fdKeys = KeyVector(ctx, 6, "feature_list_dense_keys", nfd);
            var fr = KeyVector(ctx, 7, "feature_list_ragged_keys", frt.Length).Select((k, i) => new ListFeature(k, frt[i], frs[i])).ToArray();
            var missing = ctx.Input(8);
            if (missing.DType != DataType.DtBool || missing.NumElements != nfd)
                throw ctx.Error($"feature_list_dense_missing_assumed_empty must be a bool vector of {nfd} elements, got shape {missing.Shape} ({DataTypes.Name(missing.DType)}).");
            var assumed = missing.ToArray<bool>();
            var cd = cdKeys.Select((k, i) => Dense(ctx, k, cdt[i], cds[i], ctx.Input(9 + i), i, "context_dense_defaults")).ToArray();
            var fd = fdKeys.Select((k, i) => ListDense(ctx, k, fdt[i], fds[i], assumed[i])).ToArray();
            var r = new SequenceExampleParser(cd, cs, cr, fd, fs, fr, ctx.Error).Parse(input.Strings, ctx.Input(1).Strings, batched);
            int o = 0;
            foreach (var group in new[] { r.ContextSparseIndices, r.ContextSparseValues, r.ContextSparseShapes, r.ContextDense, r.ContextRaggedValues, r.ContextRaggedSplits,
                r.ListSparseIndices, r.ListSparseValues, r.ListSparseShapes, r.ListDense, r.ListDenseLengths, r.ListRaggedValues, r.ListRaggedOuterSplits, r.ListRaggedInnerSplits })
                foreach (var t in group) ctx.SetOutput(o++, t);
        });
    }

    private static DenseListFeature ListDense(OpKernelContext ctx, string key, DataType type, TensorShapeProto shape, bool assumedEmpty)
    {
        FeatureKinds.CheckValidType(type, m => ctx.Error(m));
        if (shape.Dim.Any(d => d.Size < 0))
            throw ctx.Error($"feature list '{key}': feature_list_dense_shapes must be fully defined, got [{string.Join(", ", shape.Dim.Select(d => d.Size))}].");
        return new DenseListFeature(key, type, shape.Dim.Select(d => checked((int)d.Size)).ToArray(), assumedEmpty);
    }

    private static void Check(Node node, int ncs, int cst, int ncd, int cdt, int cds, int nfs, int fst, int nfd, int fdt, int fds)
    {
        if (ncs != cst) throw Common.KernelAttrs.Err(node, $"Ncontext_sparse ({ncs}) != len(context_sparse_types) ({cst}).");
        if (ncd != cdt || ncd != cds) throw Common.KernelAttrs.Err(node, $"Ncontext_dense ({ncd}) must match len(Tcontext_dense) ({cdt}) and len(context_dense_shapes) ({cds}).");
        if (nfs != fst) throw Common.KernelAttrs.Err(node, $"Nfeature_list_sparse ({nfs}) != len(feature_list_sparse_types) ({fst}).");
        if (nfd != fdt || nfd != fds) throw Common.KernelAttrs.Err(node, $"Nfeature_list_dense ({nfd}) must match len(feature_list_dense_types) ({fdt}) and len(feature_list_dense_shapes) ({fds}).");
    }
}
