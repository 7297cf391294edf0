using System.Buffers;
using TypedGraph.Kernels.Common;
using TypedGraph.Kernels.NN;
using TypedGraph.Kernels.Simd;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Linalg;

/// <summary>
/// <c>_FusedMatMulChain</c>: a row-wise chain of float dense layers — MatMul(x, W₁) [+ bias, activation] → MatMul(·, W₂)
/// [+ bias, activation] → … → optional Softmax/LogSoftmax — that the plan builds from separate nodes whose intermediate
/// tensors nothing else sees (see <c>PlanFusion</c>). There is no TF op of this name; TF runs such a graph node by node.
/// </summary>
/// <remarks>
/// Every op of the chain computes row i of its output from row i of its input only, so each core can run the whole
/// chain on its own rows: one fork/join per run instead of one per op, the small second layer and the softmax split
/// across the cores with the first layer, and the intermediate rows still in that core's cache. The row parts are the
/// packed GEMM's own (whole MR-row panels, <see cref="Gemm.RowParts"/>) and every kernel in a part computes each row
/// exactly as the separate op does, so the outputs are bit-identical to the unfused plan. When that cannot be
/// guaranteed — a weight without its packing yet (its first run, a fed weight), a part of at most 4 rows — the chain
/// runs layer after layer through the separate ops' own code (<see cref="MatMulKernel.Float"/>,
/// <see cref="SoftmaxKernel.RunParallel{T}"/>).
/// Attrs: <c>layer_fused_ops</c> (per layer, "" or <c>fused_ops</c> joined by ','), <c>layer_transpose_b</c> (0/1),
/// <c>layer_leakyrelu_alpha</c>, <c>layer_names</c> (the graph nodes, for errors), <c>softmax</c> ("", "Softmax" or
/// "LogSoftmax"). Inputs: x, then each layer's weight and, when it has an epilogue, its bias.
/// </remarks>
internal sealed class MatMulChainKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("_FusedMatMulChain", n => new MatMulChainKernel(n));
}

/// <summary>One <c>_FusedMatMulChain</c> node (see <see cref="MatMulChainKernels"/>).</summary>
internal sealed class MatMulChainKernel : OpKernel
{
    private sealed record Layer(string Name, bool TransB, Epilogue? Epilogue, int WeightInput, int BiasInput, PackedWeights Packing);

    private readonly Layer[] _layers;
    private readonly bool _softmax, _log;

    public MatMulChainKernel(Node node) : base(node)
    {
        var ops = node.GetStrings("layer_fused_ops");
        var transB = node.GetInts("layer_transpose_b");
        var names = node.GetStrings("layer_names");
        var alphas = node.Attr("layer_leakyrelu_alpha")?.List?.F.ToArray() ?? [];
        string softmax = node.HasAttr("softmax") ? node.GetString("softmax") : "";
        if (ops.Length == 0 || transB.Length != ops.Length || names.Length != ops.Length || (alphas.Length != 0 && alphas.Length != ops.Length))
            throw KernelAttrs.Err(node, $"layer_fused_ops, layer_transpose_b, layer_names (and layer_leakyrelu_alpha if set) must list the same layers, got {ops.Length}, {transB.Length}, {names.Length}, {alphas.Length}.");
        if (softmax is not ("" or "Softmax" or "LogSoftmax")) throw KernelAttrs.Err(node, $"softmax must be \"\", \"Softmax\" or \"LogSoftmax\", got \"{softmax}\".");
        _softmax = softmax.Length > 0;
        _log = softmax == "LogSoftmax";
        _layers = new Layer[ops.Length];
        int input = 1;
        for (int i = 0; i < ops.Length; i++)
        {
            var epilogue = ops[i].Length == 0 ? null : Epilogue.Parse(ops[i].Split(','), 1, alphas.Length > 0 ? alphas[i] : 0.2f, node);
            int weight = input++;
            int bias = epilogue != null ? input++ : -1;
            _layers[i] = new Layer(names[i], transB[i] != 0, epilogue, weight, bias, new PackedWeights());
        }
        if (node.Inputs.Count != input) throw KernelAttrs.Err(node, $"expects {input} inputs (x, then each layer's weight and bias), got {node.Inputs.Count}.");
    }

    private int _rowPartRuns;

    /// <summary>How many runs split the chain into several row parts (tests: the fused path really ran).</summary>
    internal int RowPartRuns => Volatile.Read(ref _rowPartRuns);

    /// <summary>Layer <paramref name="layer"/>'s weight-packing cache (tests: how often it was packed).</summary>
    internal PackedWeights PackingOf(int layer) => _layers[layer].Packing;

    public override void Compute(OpKernelContext context)
    {
        var x = context.Input(0);
        if (x.DType != DataType.DtFloat || x.Shape.Rank != 2)
            throw LayerError(0, $"In[0] must be a float matrix, got {DataTypes.Name(x.DType)}{x.Shape}.");
        int m = x.Shape[0], k = x.Shape[1];
        int count = _layers.Length;
        var packings = ArrayPool<PackedB?>.Shared.Rent(count);
        float[]? scratch = null;
        try
        {
            // Shapes first (every layer checked before anything runs), the packings the separate MatMuls would use, and
            // where each intermediate lives in one scratch block.
            long macs = 0, scratchFloats = 0;
            int kIn = k;
            for (int i = 0; i < count; i++)
            {
                var (w, n) = Weight(context, i, kIn);
                packings[i] = Gemm.UsesPackedB(m, n, kIn) ? _layers[i].Packing.For(w, _layers[i].TransB, kIn, n) : null;
                macs += (long)m * n * kIn;
                if (i < count - 1) scratchFloats += (long)m * n;
                kIn = n;
            }
            if (scratchFloats > Array.MaxLength || AllocationLimits.Exceeds(AllocationLimits.Product(scratchFloats, sizeof(float))))
                throw LayerError(0, $"the chain's intermediate tensors {AllocationLimits.Describe(scratchFloats * sizeof(float))}.");
            var y = context.AllocateOutput(0, DataType.DtFloat, [m, kIn]);
            scratch = ArrayPool<float>.Shared.Rent((int)Math.Max(1, scratchFloats));
            int parts = Gemm.RowParts(m, macs, out int mr, out int units);
            if (SplitsByRows(context, m, parts, mr, units, packings))
            {
                // Counted only when the rows really split: a one-part run (batch 1) would otherwise make concurrent
                // runs of one session write the same cache line on every run.
                if (parts > 1) Interlocked.Increment(ref _rowPartRuns);
                var job = new RowJob(this, context, x, y, scratch, packings, m, mr, units, parts);
                Workers.For(parts, 1, job, static (j, first, last) =>
                {
                    for (long p = first; p < last; p++) j.Kernel.RunRows(j, (int)p);
                });
            }
            else RunLayers(context, x, y, scratch, packings, m);
        }
        finally
        {
            Array.Clear(packings, 0, count);
            ArrayPool<PackedB?>.Shared.Return(packings);
            if (scratch != null) ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>The checked weight of layer <paramref name="i"/> whose input has <paramref name="k"/> columns, and its output width.</summary>
    private (Tensor W, int N) Weight(OpKernelContext context, int i, int k)
    {
        var layer = _layers[i];
        var w = context.Input(layer.WeightInput);
        if (w.DType != DataType.DtFloat) throw LayerError(i, $"inputs must have the same dtype, got float and {DataTypes.Name(w.DType)}.");
        if (w.Shape.Rank != 2) throw LayerError(i, $"In[1] must be a matrix, got shape {w.Shape}.");
        int kb = layer.TransB ? w.Shape[1] : w.Shape[0], n = layer.TransB ? w.Shape[0] : w.Shape[1];
        if (kb != k) throw LayerError(i, $"Matrix size-incompatible: In[0] has {k} columns, In[1]: {w.Shape} (transpose_b={layer.TransB}).");
        if (layer.BiasInput >= 0)
        {
            var bias = context.Input(layer.BiasInput);
            if (bias.DType != DataType.DtFloat || bias.Shape.Rank != 1 || bias.Shape[0] != n)
                throw LayerError(i, $"the fused bias must be a float vector of {n} values, got {DataTypes.Name(bias.DType)}{bias.Shape}.");
        }
        return (w, n);
    }

    /// <summary>True when running every layer part by part gives each row what the separate op gives it: with several
    /// parts, each layer reads the packing the separate op would use and computes a row the same way in any range of
    /// more than 4 rows (<see cref="Gemm.RowsIndependentOfSplit"/>); with one part, no layer would have split its own
    /// rows or columns across the cores without a packing.</summary>
    private bool SplitsByRows(OpKernelContext context, int m, int parts, int mr, int units, PackedB?[] packings)
    {
        if (m == 0) return false;
        int kIn = context.Input(0).Shape[1];
        for (int i = 0; i < _layers.Length; i++)
        {
            var w = context.Input(_layers[i].WeightInput);
            int n = _layers[i].TransB ? w.Shape[0] : w.Shape[1];
            if (n == 0 || kIn == 0) return false;
            bool packed = packings[i] != null;
            if (parts > 1 && (Gemm.UsesPackedB(m, n, kIn) != packed || !Gemm.RowsIndependentOfSplit(n, _layers[i].TransB, packings[i]))) return false;
            if (parts == 1 && !packed && Workers.Count > 1 && (long)m * n * kIn >= Gemm.ParallelThreshold) return false;
            kIn = n;
        }
        for (int p = 0; p < parts && parts > 1; p++)
        {
            var (s, e) = Gemm.PartRows(m, mr, units, parts, p);
            if (e - s <= Gemm.ShortRows) return false;
        }
        return true;
    }

    /// <summary>One run's row-part job.</summary>
    private readonly record struct RowJob(MatMulChainKernel Kernel, OpKernelContext Context, Tensor X, Tensor Y, float[] Scratch, PackedB?[] Packings,
        int M, int Mr, int Units, int Parts);

    /// <summary>Every layer, then the softmax, on the rows of part <paramref name="part"/>.</summary>
    private void RunRows(in RowJob job, int part)
    {
        var (s, e) = Gemm.PartRows(job.M, job.Mr, job.Units, job.Parts, part);
        if (s >= e) return;
        int m = job.M, k = job.X.Shape[1];
        ReadOnlySpan<float> a = job.X.AsSpan<float>();
        long offset = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            var w = job.Context.Input(layer.WeightInput);
            int n = layer.TransB ? w.Shape[0] : w.Shape[1];
            Span<float> c = i == _layers.Length - 1 ? job.Y.AsSpan<float>() : job.Scratch.AsSpan((int)offset, m * n);
            Gemm.SgemmRows(false, layer.TransB, m, n, k, a, w.AsSpan<float>(), job.Packings[i], c, s, e);
            layer.Epilogue?.Apply(c.Slice(s * n, (e - s) * n), job.Context.Input(layer.BiasInput).AsSpan<float>());
            offset += (long)m * n;
            a = c;
            k = n;
        }
        if (_softmax)
        {
            var rows = job.Y.AsSpan<float>().Slice(s * k, (e - s) * k);
            SoftmaxKernel.Rows<float>(rows, rows, k, _log);
        }
    }

    /// <summary>Layer after layer over all rows, through the separate ops' code.</summary>
    private void RunLayers(OpKernelContext context, Tensor x, Tensor y, float[] scratch, PackedB?[] packings, int m)
    {
        ReadOnlySpan<float> a = x.AsSpan<float>();
        int k = x.Shape[1];
        long offset = 0;
        for (int i = 0; i < _layers.Length; i++)
        {
            var layer = _layers[i];
            var w = context.Input(layer.WeightInput);
            int n = layer.TransB ? w.Shape[0] : w.Shape[1];
            Span<float> c = i == _layers.Length - 1 ? y.AsSpan<float>() : scratch.AsSpan((int)offset, m * n);
            MatMulKernel.Float(false, layer.TransB, m, n, k, a, w.AsSpan<float>(), packings[i], c, layer.Epilogue, layer.BiasInput >= 0 ? context.Input(layer.BiasInput) : null);
            offset += (long)m * n;
            a = c;
            k = n;
        }
        if (_softmax && y.NumElements > 0) SoftmaxKernel.RunParallel<float>(y, y, k, _log);
    }

    /// <summary>An error about layer <paramref name="i"/>, naming its graph node and this fused node.</summary>
    private GraphExecutionException LayerError(int i, string message)
        => new($"MatMul node '{_layers[i].Name}' (fused into {Node.Op} node '{Node.Name}'): {message}", _layers[i].Name);
}
