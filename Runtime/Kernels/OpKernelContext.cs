using TypedGraph.Protos;

namespace TypedGraph.Kernels;

/// <summary>
/// What a kernel sees during one <see cref="OpKernel.Compute"/> call: its input values, where to put its
/// outputs, the variables its ref inputs point at, and the session's state. Built by the executor.
/// </summary>
/// <remarks>
/// The executor builds one context per plan step and reuses it on every run (so a steady-state run
/// allocates nothing); kernels must not keep a context beyond <see cref="OpKernel.Compute"/>.
/// </remarks>
public sealed class OpKernelContext
{
    private readonly Tensor?[] _inputs;
    private readonly VariableSlot?[]? _refInputs;
    private Tensor?[] _outputs;
    private TensorShape[] _shapeCache = [];
    private VariableSlot?[]? _outputRefs;
    private Func<DataType, TensorShape, Tensor>? _allocate;

    /// <summary>Creates a context (the executor does this; tests may too).</summary>
    public OpKernelContext(Node node, Tensor?[] inputs, int outputCount, SessionState state,
        VariableSlot?[]? refInputs = null, Func<DataType, TensorShape, Tensor>? allocate = null)
    {
        Node = node;
        _inputs = inputs;
        _refInputs = refInputs;
        _outputs = new Tensor?[outputCount];
        State = state;
        _allocate = allocate;
    }

    /// <summary>The node being run.</summary>
    public Node Node { get; }

    /// <summary>Session-wide state: variables, resources, random generators.</summary>
    public SessionState State { get; }

    /// <summary>Number of data inputs.</summary>
    public int InputCount => _inputs.Length;

    /// <summary>Number of outputs the executor expects.</summary>
    public int OutputCount => _outputs.Length;

    /// <summary>Data input <paramref name="index"/>.</summary>
    /// <exception cref="GraphExecutionException">The input has no value (e.g. an uninitialized variable).</exception>
    public Tensor Input(int index)
    {
        var t = _inputs[index];
        if (t != null) return t;
        // A ref input without a value is an uninitialized variable: say so, as TF does.
        // A ref input is read when the kernel asks for its value (the static executor leaves it unresolved), so an
        // Assign earlier in the run is seen and the read is accounted for (leased to the run, or marked escaped).
        if (_refInputs?[index] is { } slot) return _inputs[index] = slot.Read(Leases, Node.Name);
        throw new GraphExecutionException($"{Node.Op} node '{Node.Name}': input {index} ('{Node.Inputs[index]}') has no value.", Node.Name);
    }

    /// <summary>Data input <paramref name="index"/>, or null when it has no value (control flow).</summary>
    public Tensor? TryInput(int index) => _inputs[index];

    /// <summary>The variable a ref input (e.g. Assign's first input) points at.</summary>
    /// <exception cref="GraphExecutionException">The input is not a reference to a variable.</exception>
    public VariableSlot InputRef(int index) => _refInputs?[index] ?? throw new GraphExecutionException(
        $"{Node.Op} node '{Node.Name}': input {index} ('{Node.Inputs[index]}') is not a reference to a variable.", Node.Name);

    /// <summary>True when input <paramref name="index"/> is a reference to a variable.</summary>
    public bool IsRefInput(int index) => _refInputs?[index] != null;

    /// <summary>Allocates output <paramref name="index"/> (contents unspecified; pooled when the executor pools).</summary>
    /// <exception cref="GraphExecutionException">The tensor needs more than <see cref="AllocationLimits.MaxTensorBytes"/>.</exception>
    public Tensor AllocateOutput(int index, DataType dtype, TensorShape shape)
    {
        // Shapes computed from a graph's constants can be huge (Fill of [1e6, 1e6]); fail with the node, not an OOM.
        long bytes = AllocationLimits.Product(shape.NumElements, DataTypes.BaseType(dtype) == DataType.DtString ? IntPtr.Size : DataTypes.ElementSize(dtype));
        if (AllocationLimits.Exceeds(bytes))
            throw new GraphExecutionException($"{Node.Op} node '{Node.Name}': output {index} ({DataTypes.Name(dtype)}{shape}) {AllocationLimits.Describe(bytes)}.", Node.Name);
        var t = _allocate != null && DataTypes.IsNumeric(dtype) ? _allocate(dtype, shape) : Tensor.Zeros(dtype, shape);
        SetOutput(index, t);
        return t;
    }

    /// <summary>
    /// As <see cref="AllocateOutput(int, DataType, TensorShape)"/> for a shape given as dims (e.g. <c>[m, n]</c>,
    /// built on the stack). The context keeps the last shape object per output, so a steady run whose shapes
    /// repeat allocates no shape arrays.
    /// </summary>
    public Tensor AllocateOutput(int index, DataType dtype, ReadOnlySpan<int> dims) => AllocateOutput(index, dtype, CachedShape(index, dims));

    /// <summary>A shape of <paramref name="dims"/> for output <paramref name="index"/>: the context keeps the last one
    /// per output, so a view op (Reshape, ExpandDims, Squeeze) whose shapes repeat makes no shape arrays.</summary>
    internal TensorShape CachedShape(int index, ReadOnlySpan<int> dims)
    {
        if (index >= _shapeCache.Length) Array.Resize(ref _shapeCache, index + 1);
        var shape = _shapeCache[index];
        if (shape.Rank != dims.Length || !shape.Dims.SequenceEqual(dims))
        {
            shape = new TensorShape(dims.ToArray());
            _shapeCache[index] = shape;
        }
        return shape;
    }

    /// <summary>Sets output <paramref name="index"/> to an existing tensor (e.g. Identity forwarding its input).</summary>
    public void SetOutput(int index, Tensor value)
    {
        if (index >= _outputs.Length) Array.Resize(ref _outputs, index + 1);
        _outputs[index] = value;
    }

    /// <summary>
    /// Makes output <paramref name="index"/> a reference to <paramref name="slot"/> (VariableV2, RefSwitch…):
    /// consumers that take a ref (Assign, ApplyXxx) get the slot, the others read its value.
    /// </summary>
    public void SetOutputRef(int index, VariableSlot slot)
    {
        if (index >= _outputs.Length) Array.Resize(ref _outputs, index + 1);
        _outputRefs ??= new VariableSlot?[_outputs.Length];
        if (index >= _outputRefs.Length) Array.Resize(ref _outputRefs, _outputs.Length);
        _outputRefs[index] = slot;
        // The static executor (contexts with Leases) reads a ref output through the slot when a consumer runs, never this
        // value, so it is stored as is; elsewhere it is a read like any other.
        _outputs[index] = Leases != null ? slot.Current : slot.Value;
    }

    /// <summary>Output <paramref name="index"/> as set so far, or null.</summary>
    public Tensor? Output(int index) => index < _outputs.Length ? _outputs[index] : null;

    /// <summary>The variable output <paramref name="index"/> refers to, or null for a plain value.</summary>
    public VariableSlot? OutputRef(int index) => _outputRefs != null && index < _outputRefs.Length ? _outputRefs[index] : null;

    /// <summary>An error naming this node.</summary>
    public GraphExecutionException Error(string message) => new($"{Node.Op} node '{Node.Name}': {message}", Node.Name);

    // --- executor-side access (reuse across runs without allocating) ---

    internal Tensor?[] InputArray => _inputs;

    internal VariableSlot?[]? RefInputArray => _refInputs;

    /// <summary>The static executor's run, which leases the variable values its kernels read (null elsewhere: reads then
    /// mark values escaped, see <see cref="VariableSlot"/>).</summary>
    internal IVariableLeases? Leases { get; set; }

    /// <summary>The run's buffer pool, for kernels that keep pooled values (null outside an executor run).</summary>
    internal IBufferHolds? Holds { get; set; }

    internal Func<DataType, TensorShape, Tensor>? Allocator
    {
        get => _allocate;
        set => _allocate = value;
    }

    /// <summary>Clears outputs before a run of the step.</summary>
    internal void ResetOutputs()
    {
        Array.Clear(_outputs);
        if (_outputRefs != null) Array.Clear(_outputRefs);
    }

    /// <summary>Clears inputs and outputs so no tensor stays reachable after a run.</summary>
    internal void Clear()
    {
        Array.Clear(_inputs);
        if (_refInputs != null) Array.Clear(_refInputs);
        ResetOutputs();
    }
}
