using System.Text;
using TypedGraph.Kernels.Exec;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Parsing;

/// <summary>
/// ParseExample, ParseExampleV2 and ParseSingleExample (tensorflow/core/kernels/example_parsing_ops.cc over
/// <see cref="ExampleParser"/>). Attrs are read and the defaults' dtypes/shapes checked as TF's op kernels do:
/// a variable-length dense feature's default must hold exactly one element (the padding element); a fixed one's
/// default is empty (required) or has the dense shape.
/// </summary>
internal sealed class ExampleParsingKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ParseExample", ParseExampleV1);
        registry.Add("ParseExampleV2", ParseExampleV2);
        registry.Add("ParseSingleExample", ParseSingleExample);
    }

    // Inputs: serialized [B], names [B] or [0], sparse_keys × Nsparse, dense_keys × Ndense, dense_defaults × Ndense.
    private static OpKernel ParseExampleV1(Node node)
    {
        int nSparse = (int)node.GetInt("Nsparse"), nDense = (int)node.GetInt("Ndense");
        var sparseTypes = node.GetTypes("sparse_types", []);
        var denseTypes = node.GetTypes("Tdense", []);
        var shapes = DenseShapes(node, "dense_shapes");
        CheckCounts(node, nSparse, sparseTypes.Length, nDense, denseTypes.Length, shapes.Length);
        return new DelegateKernel(node, ctx =>
        {
            var serialized = StringVector(ctx, 0, "serialized");
            var names = ctx.Input(1).Strings;
            var sparse = Enumerable.Range(0, nSparse).Select(i => new ListFeature(ScalarString(ctx, 2 + i, "sparse_keys"), sparseTypes[i])).ToArray();
            var dense = Enumerable.Range(0, nDense).Select(i => Dense(ctx, ScalarString(ctx, 2 + nSparse + i, "dense_keys"), denseTypes[i], shapes[i], ctx.Input(2 + nSparse + nDense + i), i)).ToArray();
            var r = new ExampleParser(dense, sparse, [], ctx.Error).Parse(serialized, names, batched: true);
            Emit(ctx, r, nSparse, nDense, 0);
        });
    }

    // Inputs: serialized (scalar or [B]), names, sparse_keys [Ns], dense_keys [Nd], ragged_keys [Nr], dense_defaults × Nd.
    private static OpKernel ParseExampleV2(Node node)
    {
        int nSparse = (int)node.GetInt("num_sparse");
        var sparseTypes = node.GetTypes("sparse_types", []);
        var denseTypes = node.GetTypes("Tdense", []);
        var raggedTypes = node.GetTypes("ragged_value_types", []);
        var splitTypes = node.GetTypes("ragged_split_types", []);
        var shapes = DenseShapes(node, "dense_shapes");
        CheckCounts(node, nSparse, sparseTypes.Length, denseTypes.Length, denseTypes.Length, shapes.Length);
        if (raggedTypes.Length != splitTypes.Length)
            throw Common.KernelAttrs.Err(node, $"len(ragged_value_types) ({raggedTypes.Length}) != len(ragged_split_types) ({splitTypes.Length}).");
        int nDense = denseTypes.Length, nRagged = raggedTypes.Length;
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.DType != DataType.DtString || input.Shape.Rank > 1)
                throw ctx.Error($"Expected serialized to be a scalar or vector of strings, got shape {input.Shape} ({DataTypes.Name(input.DType)}).");
            bool batched = input.Shape.Rank == 1;
            var sparseKeys = KeyVector(ctx, 2, "sparse_keys", nSparse);
            var denseKeys = KeyVector(ctx, 3, "dense_keys", nDense);
            var raggedKeys = KeyVector(ctx, 4, "ragged_keys", nRagged);
            var sparse = sparseKeys.Select((k, i) => new ListFeature(k, sparseTypes[i])).ToArray();
            var ragged = raggedKeys.Select((k, i) => new ListFeature(k, raggedTypes[i], splitTypes[i])).ToArray();
            var dense = denseKeys.Select((k, i) => Dense(ctx, k, denseTypes[i], shapes[i], ctx.Input(5 + i), i)).ToArray();
            var r = new ExampleParser(dense, sparse, ragged, ctx.Error).Parse(input.Strings, ctx.Input(1).Strings, batched);
            Emit(ctx, r, nSparse, nDense, nRagged);
        });
    }

    // Inputs: serialized (scalar), dense_defaults × len(Tdense); keys are attrs.
    private static OpKernel ParseSingleExample(Node node)
    {
        int nSparse = (int)node.GetInt("num_sparse");
        var sparseKeys = node.GetStrings("sparse_keys", []);
        var denseKeys = node.GetStrings("dense_keys", []);
        var sparseTypes = node.GetTypes("sparse_types", []);
        var denseTypes = node.GetTypes("Tdense", []);
        var shapes = DenseShapes(node, "dense_shapes");
        CheckCounts(node, nSparse, sparseTypes.Length, denseKeys.Length, denseTypes.Length, shapes.Length);
        if (sparseKeys.Length != nSparse) throw Common.KernelAttrs.Err(node, $"len(sparse_keys) ({sparseKeys.Length}) != num_sparse ({nSparse}).");
        var sparse = sparseKeys.Select((k, i) => new ListFeature(k, sparseTypes[i])).ToArray();
        return new DelegateKernel(node, ctx =>
        {
            var input = ctx.Input(0);
            if (input.DType != DataType.DtString || input.Shape.Rank != 0)
                throw ctx.Error($"Expected serialized to be a scalar string, got shape {input.Shape} ({DataTypes.Name(input.DType)}).");
            var dense = denseKeys.Select((k, i) => Dense(ctx, k, denseTypes[i], shapes[i], ctx.Input(1 + i), i)).ToArray();
            var r = new ExampleParser(dense, sparse, [], ctx.Error).Parse(input.Strings, null, batched: false);
            Emit(ctx, r, nSparse, denseKeys.Length, 0);
        });
    }

    private static void Emit(OpKernelContext ctx, ExampleParser.Result r, int nSparse, int nDense, int nRagged)
    {
        int o = 0;
        foreach (var t in r.SparseIndices) ctx.SetOutput(o++, t);
        foreach (var t in r.SparseValues) ctx.SetOutput(o++, t);
        foreach (var t in r.SparseShapes) ctx.SetOutput(o++, t);
        foreach (var t in r.Dense) ctx.SetOutput(o++, t);
        foreach (var t in r.RaggedValues) ctx.SetOutput(o++, t);
        foreach (var t in r.RaggedSplits) ctx.SetOutput(o++, t);
    }

    private static void CheckCounts(Node node, int nSparse, int sparseTypes, int nDense, int denseTypes, int denseShapes)
    {
        if (nSparse != sparseTypes) throw Common.KernelAttrs.Err(node, $"len(sparse_keys) ({nSparse}) != len(sparse_types) ({sparseTypes}).");
        if (nDense != denseTypes) throw Common.KernelAttrs.Err(node, $"len(dense_keys) ({nDense}) != len(dense_types) ({denseTypes}).");
        if (nDense != denseShapes) throw Common.KernelAttrs.Err(node, $"len(dense_keys) ({nDense}) != len(dense_shapes) ({denseShapes}).");
    }

    /// <summary>The <c>list(shape)</c> attr <paramref name="name"/>; unknown rank or inner dims are rejected as TF does.</summary>
    internal static TensorShapeProto[] DenseShapes(Node node, string name)
    {
        var list = node.Attr(name)?.List?.Shape.ToArray() ?? [];
        for (int i = 0; i < list.Length; i++)
        {
            var s = list[i];
            if (s.UnknownRank || s.Dim.Skip(1).Any(d => d.Size < 0))
                throw Common.KernelAttrs.Err(node, $"{name}[{i}] has unknown rank or unknown inner dimensions.");
        }
        return list;
    }

    /// <summary>A dense feature config with its default checked against the dtype and shape.</summary>
    internal static DenseFeature Dense(OpKernelContext ctx, string key, DataType type, TensorShapeProto shape, Tensor def, int index, string defaultsName = "dense_defaults")
    {
        FeatureKinds.CheckValidType(type, m => ctx.Error(m));
        bool varLen = shape.Dim.Count > 0 && shape.Dim[0].Size == -1;
        var inner = shape.Dim.Skip(varLen ? 1 : 0).Select(d => checked((int)d.Size)).ToArray();
        if (def.DType != type)
            throw ctx.Error($"{defaultsName}[{index}].dtype() == {DataTypes.Name(def.DType)} != dense_types[{index}] == {DataTypes.Name(type)} (feature '{key}').");
        var f = new DenseFeature(key, type, inner, varLen, def);
        if (varLen)
        {
            if (def.NumElements != 1)
                throw ctx.Error($"dense_shape[{index}] is a variable length shape: {f.ShapeText}, therefore {defaultsName}[{index}] must contain a single element (the padding element). But its shape is: {def.Shape} (feature '{key}').");
        }
        else if (def.NumElements > 0 && !def.Shape.Dims.SequenceEqual(inner))
        {
            throw ctx.Error($"{defaultsName}[{index}].shape() == {def.Shape} is not compatible with dense_shapes[{index}] == {f.ShapeText} (feature '{key}').");
        }
        return f;
    }

    internal static byte[][] StringVector(OpKernelContext ctx, int input, string what)
    {
        var t = ctx.Input(input);
        if (t.DType != DataType.DtString || t.Shape.Rank != 1)
            throw ctx.Error($"Expected {what} to be a vector of strings, got shape {t.Shape} ({DataTypes.Name(t.DType)}).");
        return t.Strings;
    }

    internal static string ScalarString(OpKernelContext ctx, int input, string what)
    {
        var t = ctx.Input(input);
        if (t.DType != DataType.DtString || t.NumElements != 1)
            throw ctx.Error($"Expected {what} (input {input}) to be a scalar string, got shape {t.Shape} ({DataTypes.Name(t.DType)}).");
        return Encoding.UTF8.GetString(t.Strings[0]);
    }

    internal static string[] KeyVector(OpKernelContext ctx, int input, string what, int expected)
    {
        var t = ctx.Input(input);
        if (t.DType != DataType.DtString || t.Shape.Rank > 1)
            throw ctx.Error($"Expected {what} to be a vector of strings, got shape {t.Shape}.");
        if (t.NumElements != expected)
            throw ctx.Error($"Expected len({what}) == {expected} (from the attrs), got {t.NumElements}.");
        return t.Strings.Select(s => Encoding.UTF8.GetString(s)).ToArray();
    }
}
