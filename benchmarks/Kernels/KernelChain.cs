using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Benchmarks.Kernels;

/// <summary>
/// Runs a straight-line sequence of TypedGraph kernels the way an executor's steady state does: kernels
/// built once, output buffers allocated on the first run and reused afterwards (so, like ORT with bound
/// outputs, a run does not allocate tensor memory). "ReshapeView" steps re-view a tensor without copying.
/// </summary>
internal sealed class KernelChain
{
    private readonly Graph _graph = new();
    private readonly List<Tensor?> _values = [];
    private readonly List<string> _names = [];
    private readonly List<Step> _steps = [];
    private readonly SessionState _state = new();

    private sealed class Step
    {
        public required Node Node;
        public OpKernel? Kernel;
        public required int[] Inputs;
        public required int FirstOutput;
        public required int OutputCount;
        public TensorShape ReshapeTo;
        public readonly List<Tensor> Cache = [];
        public int Cursor;
    }

    /// <summary>Adds a fed value (input data or weights); returns its slot.</summary>
    public int Feed(string name, Tensor value)
    {
        _graph.AddNode(new NodeDef { Name = name, Op = "Placeholder" });
        _values.Add(value);
        _names.Add(name);
        return _values.Count - 1;
    }

    /// <summary>Adds a kernel node reading the given slots; returns the slot of its first output.</summary>
    public int Add(string op, int[] inputs, Action<NodeDef>? attrs = null, int outputs = 1)
    {
        var def = new NodeDef { Name = $"n{_steps.Count}_{op}", Op = op };
        foreach (var i in inputs) def.Input.Add(_names[i]);
        attrs?.Invoke(def);
        var node = _graph.AddNode(def);
        var factory = KernelRegistry.Default.Find(op) ?? throw new InvalidOperationException($"No kernel for {op}.");
        int first = _values.Count;
        for (int o = 0; o < outputs; o++)
        {
            _values.Add(null);
            _names.Add(o == 0 ? def.Name : $"{def.Name}:{o}");
        }
        _steps.Add(new Step { Node = node, Kernel = factory(node), Inputs = inputs, FirstOutput = first, OutputCount = outputs });
        return first;
    }

    /// <summary>Adds a zero-copy reshape of a slot.</summary>
    public int Reshape(int input, params int[] shape)
    {
        var def = new NodeDef { Name = $"n{_steps.Count}_Reshape", Op = "Identity" };
        def.Input.Add(_names[input]);
        var node = _graph.AddNode(def);
        _values.Add(null);
        _names.Add(def.Name);
        _steps.Add(new Step { Node = node, Inputs = [input], FirstOutput = _values.Count - 1, OutputCount = 1, ReshapeTo = new TensorShape(shape) });
        return _values.Count - 1;
    }

    /// <summary>The value in a slot after <see cref="Run"/>.</summary>
    public Tensor Value(int slot) => _values[slot]!;

    /// <summary>Runs every step once.</summary>
    public void Run() => Run(null);

    /// <summary>Median milliseconds per step over <paramref name="runs"/> runs, as (step name, ms) pairs.</summary>
    public IReadOnlyList<(string Step, double Ms)> Profile(int runs)
    {
        var times = new double[_steps.Count][];
        for (int i = 0; i < times.Length; i++) times[i] = new double[runs];
        // Warm-up first: without it the medians include tier-0 JIT code (tiered compilation re-jits hot methods only
        // after ~30 calls), which once made the fused first conv look 5x slower than it is.
        for (int r = 0; r < Math.Max(runs, 50); r++) Run(null);
        for (int r = 0; r < runs; r++) Run((i, ms) => times[i][r] = ms);
        return _steps.Select((s, i) =>
        {
            Array.Sort(times[i]);
            return (s.Node.Name, times[i][runs / 2]);
        }).ToList();
    }

    private void Run(Action<int, double>? record)
    {
        for (int si = 0; si < _steps.Count; si++)
        {
            var step = _steps[si];
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            RunStep(step);
            record?.Invoke(si, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
    }

    private void RunStep(Step step)
    {
        {
            if (step.Kernel == null)
            {
                _values[step.FirstOutput] = _values[step.Inputs[0]]!.Reshape(step.ReshapeTo);
                return;
            }
            var inputs = new Tensor?[step.Inputs.Length];
            for (int i = 0; i < inputs.Length; i++) inputs[i] = _values[step.Inputs[i]];
            step.Cursor = 0;
            var ctx = new OpKernelContext(step.Node, inputs, step.OutputCount, _state, allocate: (dtype, shape) => Allocate(step, dtype, shape));
            step.Kernel.Compute(ctx);
            for (int o = 0; o < step.OutputCount; o++) _values[step.FirstOutput + o] = ctx.Output(o);
        }
    }

    private static Tensor Allocate(Step step, DataType dtype, TensorShape shape)
    {
        int i = step.Cursor++;
        if (i < step.Cache.Count && step.Cache[i].DType == dtype && step.Cache[i].Shape == shape) return step.Cache[i];
        var t = Tensor.Zeros(dtype, shape);
        if (i < step.Cache.Count) step.Cache[i] = t; else step.Cache.Add(t);
        return t;
    }
}
