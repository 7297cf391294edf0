using TypedGraph.Protos;

namespace TypedGraph.Kernels.Exec;

/// <summary>
/// <c>Timestamp</c> (TF's <c>core/kernels/timestamp_op.cc</c>, <c>tf.timestamp</c>): the current wall-clock time as a
/// float64 scalar of seconds since the Unix epoch (microsecond resolution, as TF's <c>EnvTime::NowMicros() / 1e6</c>).
/// </summary>
internal sealed class TimestampKernel : KernelSet
{
    /// <inheritdoc/>
    public override void Register(KernelRegistry registry) => registry.Add("Timestamp", node => new DelegateKernel(node, ctx =>
    {
        long micros = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks / 10;
        ctx.AllocateOutput(0, DataType.DtDouble, TensorShape.Scalar).AsSpan<double>()[0] = micros / 1e6;
    }));
}
