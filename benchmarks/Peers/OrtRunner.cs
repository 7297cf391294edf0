using Microsoft.ML.OnnxRuntime;

namespace TypedGraph.Benchmarks.Peers;

// TypedGraph.SessionOptions (executor) would otherwise win the lookup from inside namespace TypedGraph.*.
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

/// <summary>
/// One ONNX Runtime session measured the way the project compares engines: as many intra-op threads as
/// TypedGraph's own worker pool uses (<see cref="TypedGraph.Kernels.Common.Workers.Count"/> = the machine's
/// processor count, 2 here), sequential execution, full graph optimisation, inputs and outputs bound once to pre-allocated
/// buffers (so a run allocates nothing).
/// </summary>
internal sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _run = new();
    private readonly List<OrtValue> _values = [];

    public OrtRunner(byte[] model, (string Name, float[] Data, long[] Shape)[] inputs, (string Name, float[] Buffer, long[] Shape)[] outputs)
    {
        using var options = new Microsoft.ML.OnnxRuntime.SessionOptions
        {
            IntraOpNumThreads = TypedGraph.Kernels.Common.Workers.Count, // same thread count for both engines
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        _session = new InferenceSession(model, options);
        _binding = _session.CreateIoBinding();
        foreach (var (name, data, shape) in inputs)
        {
            var v = OrtValue.CreateTensorValueFromMemory(data, shape);
            _values.Add(v);
            _binding.BindInput(name, v);
        }
        foreach (var (name, buffer, shape) in outputs)
        {
            var v = OrtValue.CreateTensorValueFromMemory(buffer, shape);
            _values.Add(v);
            _binding.BindOutput(name, v);
        }
    }

    /// <summary>One inference into the bound output buffers.</summary>
    public void Run() => _session.RunWithBinding(_run, _binding);

    public void Dispose()
    {
        _binding.Dispose();
        foreach (var v in _values) v.Dispose();
        _run.Dispose();
        _session.Dispose();
    }
}
