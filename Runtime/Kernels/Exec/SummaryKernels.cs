using System.Text;
using Google.Protobuf;
using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// ScalarSummary, HistogramSummary and MergeSummary: each returns a serialized <see cref="Summary"/> proto in
/// a scalar string tensor, as TF's summary kernels do, so logging training graphs run unchanged.
/// Histograms use TF's default exponential buckets (±1e-12·1.1^k up to 1e20, plus ±DBL_MAX and 0).
/// </summary>
internal sealed class SummaryKernels : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry)
    {
        registry.Add("ScalarSummary", node => new DelegateKernel(node, ctx =>
        {
            var tags = ctx.Input(0);
            var values = ctx.Input(1);
            if (tags.Shape != values.Shape) throw ctx.Error($"tags and values must have the same shape, got {tags.Shape} and {values.Shape}.");
            var s = new Summary();
            for (int i = 0; i < values.NumElements; i++)
                s.Value.Add(new Summary.Types.Value { Tag = Encoding.UTF8.GetString(tags.Strings[i]), SimpleValue = (float)ScalarValues.GetDouble(values, i) });
            ctx.SetOutput(0, Serialized(s));
        }));
        registry.Add("HistogramSummary", node => new DelegateKernel(node, ctx =>
        {
            var tagTensor = ctx.Input(0);
            if (tagTensor.DType != DataType.DtString || tagTensor.NumElements != 1) throw ctx.Error("tag must be a string scalar.");
            var tag = Encoding.UTF8.GetString(tagTensor.Strings[0]);
            var values = ctx.Input(1);
            var s = new Summary();
            s.Value.Add(new Summary.Types.Value { Tag = tag, Histo = Histogram(ctx, tag, values) });
            ctx.SetOutput(0, Serialized(s));
        }));
        registry.Add("MergeSummary", node => new DelegateKernel(node, ctx =>
        {
            var merged = new Summary();
            var tags = new HashSet<string>(StringComparer.Ordinal);
            for (int i = 0; i < ctx.InputCount; i++)
            {
                foreach (var bytes in ctx.Input(i).Strings)
                {
                    Summary part;
                    try
                    {
                        part = Summary.Parser.ParseFrom(bytes);
                    }
                    catch (InvalidProtocolBufferException e)
                    {
                        throw ctx.Error($"input {i} is not a serialized Summary: {e.Message}");
                    }
                    foreach (var v in part.Value)
                    {
                        if (!tags.Add(v.Tag)) throw ctx.Error($"Duplicate tag {v.Tag} found in summary inputs.");
                        merged.Value.Add(v);
                    }
                }
            }
            ctx.SetOutput(0, Serialized(merged));
        }));
    }

    private static Tensor Serialized(Summary s) => new(TensorShape.Scalar, [s.ToByteArray()]);

    /// <summary>TF's <c>histogram::Histogram</c> of the tensor's values (see <see cref="Summaries.Histograms"/>).</summary>
    internal static HistogramProto Histogram(Kernels.OpKernelContext ctx, string tag, Tensor values)
    {
        int n = checked((int)values.NumElements);
        var data = new double[n];
        for (int i = 0; i < n; i++) data[i] = ScalarValues.GetDouble(values, i);
        try
        {
            return Summaries.Histograms.Build(data, tag);
        }
        catch (ArgumentException e)
        {
            throw ctx.Error(e.Message);
        }
    }
}
