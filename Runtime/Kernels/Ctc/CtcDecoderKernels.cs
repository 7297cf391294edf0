using System.Numerics;
using TypedGraph.Kernels.Common;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Ctc;

/// <summary>
/// CTCGreedyDecoder and CTCBeamSearchDecoder (tensorflow/core/kernels/ctc_decoder_ops.cc), float and double as TF
/// registers them. Inputs are logits [max_time, batch, num_classes] and sequence_length int32 [batch]; outputs per path
/// are TF's sparse layout (decoded_indices int64 [n, 2] of (batch, position), decoded_values int64 [n],
/// decoded_shape int64 [2] = (batch, longest decoded)) and log_probability [batch, top_paths].
/// </summary>
internal sealed class CtcDecoderKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("CTCGreedyDecoder", n => new CtcGreedyDecoderKernel(n));
        registry.Add("CTCBeamSearchDecoder", n => new CtcBeamSearchDecoderKernel(n));
    }

    /// <summary>CTCDecodeHelper::ValidateInputsGenerateOutputs' checks; returns (max_time, batch, classes, lengths).</summary>
    internal static (int Time, int Batch, int Classes, int[] Lengths) Validate(Func<string, GraphExecutionException> error, Tensor inputs, Tensor seqLen)
    {
        if (inputs.Shape.Rank != 3) throw error("inputs is not a 3-Tensor");
        if (inputs.NumElements == 0) throw error("inputs must not be empty");
        int time = inputs.Shape[0], batch = inputs.Shape[1], classes = inputs.Shape[2];
        if (seqLen.Shape.Rank != 1) throw error("sequence_length is not a vector");
        if (seqLen.DType != DataType.DtInt32) throw error($"sequence_length must be int32, got {DataTypes.Name(seqLen.DType)}.");
        if (seqLen.Shape[0] != batch) throw error($"len(sequence_length) != batch_size.  len(sequence_length):  {seqLen.Shape[0]} batch_size: {batch}");
        var lengths = seqLen.ToArray<int>();
        for (int b = 0; b < batch; b++)
            if (!(lengths[b] <= time)) throw error($"sequence_length({b}) <= {time}");
        return (time, batch, classes, lengths);
    }

    /// <summary>StoreAllDecodedSequences: outputs p, top_paths + p and 2·top_paths + p for path p.</summary>
    internal static void Store(OpKernelContext context, List<int>[][] sequences, int topPaths)
    {
        int batch = sequences.Length;
        for (int p = 0; p < topPaths; p++)
        {
            int n = sequences.Sum(s => s[p].Count);
            var indices = context.AllocateOutput(p, DataType.DtInt64, [n, 2]).AsSpan<long>();
            var values = context.AllocateOutput(topPaths + p, DataType.DtInt64, [n]).AsSpan<long>();
            var shape = context.AllocateOutput(2 * topPaths + p, DataType.DtInt64, [2]).AsSpan<long>();
            int offset = 0, longest = 0;
            for (int b = 0; b < batch; b++)
            {
                var seq = sequences[b][p];
                longest = Math.Max(longest, seq.Count);
                for (int t = 0; t < seq.Count; t++, offset++)
                {
                    indices[2 * offset] = b;
                    indices[2 * offset + 1] = t;
                    values[offset] = seq[t];
                }
            }
            shape[0] = batch;
            shape[1] = longest;
        }
    }
}

/// <summary>
/// CTCGreedyDecoder: per step the first class with the largest logit; the blank (blank_index, negative counts from the
/// end; default the last class) is dropped and, with merge_repeated, a class equal to the previous step's is too.
/// log_probability[b] = −Σ_t max logit (CTCGreedyDecoderOp), one path.
/// </summary>
internal sealed class CtcGreedyDecoderKernel(Node node) : OpKernel(node)
{
    private readonly bool _merge = node.GetBool("merge_repeated", false);
    private readonly long _blankIndex = node.GetInt("blank_index", -1);

    public override void Compute(OpKernelContext context)
    {
        var inputs = context.Input(0);
        var (time, batch, classes, lengths) = CtcDecoderKernels.Validate(Error, inputs, context.Input(1));
        long blank = _blankIndex < 0 ? classes + _blankIndex : _blankIndex;
        if (blank < 0 || blank >= classes)
            throw Error($"blank_index expected to be between {-classes} and {classes - 1} but was {_blankIndex}");
        var logProb = context.AllocateOutput(3, inputs.DType, [batch, 1]);
        switch (inputs.DType)
        {
            case DataType.DtFloat: Decode<float>(context, inputs, logProb, time, batch, classes, lengths, (int)blank); break;
            case DataType.DtDouble: Decode<double>(context, inputs, logProb, time, batch, classes, lengths, (int)blank); break;
            default: throw KernelAttrs.BadType(Node, inputs.DType);
        }
    }

    private void Decode<T>(OpKernelContext context, Tensor inputs, Tensor logProb, int time, int batch, int classes, int[] lengths, int blank)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = inputs.AsSpan<T>();
        var lp = logProb.AsSpan<T>();
        var sequences = new List<int>[batch][];
        for (int b = 0; b < batch; b++)
        {
            var seq = new List<int>();
            T score = T.Zero;
            int prev = -1;
            for (int t = 0; t < lengths[b]; t++)
            {
                var row = x.Slice((t * batch + b) * classes, classes);
                int arg = 0;
                for (int c = 1; c < classes; c++) if (row[c] > row[arg]) arg = c;
                score += -row[arg];
                if (arg != blank && !(_merge && arg == prev)) seq.Add(arg);
                prev = arg;
            }
            lp[b] = score;
            sequences[b] = [seq];
        }
        CtcDecoderKernels.Store(context, sequences, 1);
    }
}

/// <summary>CTCBeamSearchDecoder: <see cref="CtcBeamSearch{T}"/> per batch entry over its sequence_length steps;
/// log_probability[b, p] is path p's log probability.</summary>
internal sealed class CtcBeamSearchDecoderKernel : OpKernel
{
    private readonly int _beamWidth, _topPaths;
    private readonly bool _merge;

    public CtcBeamSearchDecoderKernel(Node node) : base(node)
    {
        _beamWidth = (int)node.GetInt("beam_width");
        _topPaths = (int)node.GetInt("top_paths");
        _merge = node.GetBool("merge_repeated", true);
        if (_beamWidth < 1) throw Error($"beam_width must be >= 1, got {_beamWidth}.");
        if (_topPaths < 1) throw Error($"top_paths must be >= 1, got {_topPaths}.");
    }

    public override void Compute(OpKernelContext context)
    {
        var inputs = context.Input(0);
        var (time, batch, classes, lengths) = CtcDecoderKernels.Validate(Error, inputs, context.Input(1));
        var logProb = context.AllocateOutput(3 * _topPaths, inputs.DType, [batch, _topPaths]);
        switch (inputs.DType)
        {
            case DataType.DtFloat: Decode<float>(context, inputs, logProb, batch, classes, lengths); break;
            case DataType.DtDouble: Decode<double>(context, inputs, logProb, batch, classes, lengths); break;
            default: throw KernelAttrs.BadType(Node, inputs.DType);
        }
    }

    private void Decode<T>(OpKernelContext context, Tensor inputs, Tensor logProb, int batch, int classes, int[] lengths)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = inputs.AsSpan<T>();
        var lp = logProb.AsSpan<T>();
        var search = new CtcBeamSearch<T>(classes, _beamWidth);
        var sequences = new List<int>[batch][];
        for (int b = 0; b < batch; b++)
        {
            for (int t = 0; t < lengths[b]; t++) search.Step(x.Slice((t * batch + b) * classes, classes));
            (List<int> Path, T LogProb)[] top;
            try
            {
                top = search.TopPaths(_topPaths, _merge);
            }
            catch (InvalidOperationException e)
            {
                throw Error(e.Message);
            }
            search.Reset();
            sequences[b] = top.Select(p => p.Path).ToArray();
            for (int p = 0; p < _topPaths; p++) lp[b * _topPaths + p] = top[p].LogProb;
        }
        CtcDecoderKernels.Store(context, sequences, _topPaths);
    }
}
