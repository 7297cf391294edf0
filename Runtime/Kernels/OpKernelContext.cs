using TypedGraph.Protos;

namespace TypedGraph.Kernels;

/// <summary>
/// What a kernel sees during one <see cref="OpKernel.Compute"/> call: its input values, where to put its
/// outputs, the variables its ref inputs point at, and the session's state. Built by the executor.
/// </summary>
public sealed class OpKernelContext
{
    private readonly Tensor?[] _inputs;
    private readonly VariableSlot?[]? _refInputs;
    private readonly Tensor?[] _outputs;
    private readonly Func<DataType, TensorShape, Tensor>? _allocate;

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
    /// <exception cref="GraphExecutionException">The input has no value.</exception>
    public Tensor Input(int index) => _inputs[index] ?? throw new GraphExecutionException(
        $"{Node.Op} node '{Node.Name}': input {index} ('{Node.Inputs[index]}') has no value.", Node.Name);

    /// <summary>Data input <paramref name="index"/>, or null when it has no value (control flow).</summary>
    public Tensor? TryInput(int index) => _inputs[index];

    /// <summary>The variable a ref input (e.g. Assign's first input) points at.</summary>
    /// <exception cref="GraphExecutionException">The input is not a reference to a variable.</exception>
    public VariableSlot InputRef(int index) => _refInputs?[index] ?? throw new GraphExecutionException(
        $"{Node.Op} node '{Node.Name}': input {index} ('{Node.Inputs[index]}') is not a reference to a variable.", Node.Name);

    /// <summary>Allocates output <paramref name="index"/> (contents unspecified; pooled when the executor pools).</summary>
    public Tensor AllocateOutput(int index, DataType dtype, TensorShape shape)
    {
        var t = _allocate != null && DataTypes.IsNumeric(dtype) ? _allocate(dtype, shape) : Tensor.Zeros(dtype, shape);
        _outputs[index] = t;
        return t;
    }

    /// <summary>Sets output <paramref name="index"/> to an existing tensor (e.g. Identity forwarding its input).</summary>
    public void SetOutput(int index, Tensor value) => _outputs[index] = value;

    /// <summary>Output <paramref name="index"/> as set so far, or null.</summary>
    public Tensor? Output(int index) => _outputs[index];

    /// <summary>An error naming this node.</summary>
    public GraphExecutionException Error(string message) => new($"{Node.Op} node '{Node.Name}': {message}", Node.Name);
}
