using Google.Protobuf;
using TypedGraph.Kernels;
using TypedGraph.Protos;

namespace TypedGraph.Tests.Support;

/// <summary>
/// The one way tests run a single op on concrete tensors. <see cref="Run"/> goes through a <see cref="Session"/> with the
/// default registry (inputs become Const nodes, so the executor's checks and error wrapping are part of what is tested;
/// the node is named <see cref="SessionNodeName"/>). <see cref="Compute"/> calls the registry's kernel directly with an
/// <see cref="OpKernelContext"/> (inputs are Placeholders, no Session; the node is named <see cref="KernelNodeName"/>) —
/// for kernels whose inputs cannot be Consts (variants, resources) and for finite-difference loops that call an op thousands of times.
/// Attributes are (name, <see cref="AttrValue"/>) pairs; <see cref="Attrs"/> builds them from plain C# values.
/// </summary>
internal static class OpHarness
{
    /// <summary>The name of the op's node in <see cref="Run"/> (error messages name it).</summary>
    public const string SessionNodeName = "op";

    /// <summary>The name of the op's node in <see cref="Compute"/>.</summary>
    public const string KernelNodeName = "node";

    /// <summary>Runs <paramref name="op"/> in a Session on Const inputs and fetches its first <paramref name="outputs"/> outputs.</summary>
    public static Tensor[] Run(string op, Tensor[] inputs, int outputs = 1, params (string Name, AttrValue Value)[] attrs)
    {
        var g = new ExecGraph();
        var names = new string[inputs.Length];
        for (int i = 0; i < inputs.Length; i++) names[i] = g.Const("in" + i, inputs[i]);
        g.Op(SessionNodeName, op, names, attrs);
        using var s = new Session(g.Graph);
        return s.Run(Enumerable.Range(0, outputs).Select(k => $"{SessionNodeName}:{k}").ToArray());
    }

    /// <summary><see cref="Run"/> with one output.</summary>
    public static Tensor Run1(string op, Tensor[] inputs, params (string Name, AttrValue Value)[] attrs) => Run(op, inputs, 1, attrs)[0];

    /// <summary>Computes <paramref name="op"/>'s kernel from <see cref="KernelRegistry.Default"/> directly on <paramref name="inputs"/>.</summary>
    public static Tensor[] Compute(string op, Tensor[] inputs, int outputs = 1, params (string Name, AttrValue Value)[] attrs)
        => ComputeNode(op, inputs, outputs, def => { foreach (var (name, value) in attrs) def.Attr[name] = value; });

    /// <summary>
    /// As <see cref="Compute(string, Tensor[], int, (string Name, AttrValue Value)[])"/> with numeric outputs allocated the way a session's plan
    /// allocates them — reused buffers, not zeroed — here filled with NaN, so an element the kernel never writes shows up.
    /// </summary>
    public static Tensor ComputeDirty1(string op, Tensor[] inputs, params (string Name, AttrValue Value)[] attrs)
        => ComputeNode(op, inputs, 1, def => { foreach (var (name, value) in attrs) def.Attr[name] = value; }, dirty: true)[0];

    private static Tensor[] ComputeNode(string op, Tensor[] inputs, int outputs, Action<NodeDef> configure, bool dirty = false)
    {
        var graph = new Graph();
        var def = new NodeDef { Name = KernelNodeName, Op = op };
        for (int i = 0; i < inputs.Length; i++)
        {
            graph.AddNode(new NodeDef { Name = $"in{i}", Op = "Placeholder" });
            def.Input.Add($"in{i}");
        }
        configure(def);
        var node = graph.AddNode(def);
        var factory = KernelRegistry.Default.Find(op) ?? throw new InvalidOperationException($"no kernel for {op}");
        var kernel = factory(node);
        Func<DataType, TensorShape, Tensor>? allocate = dirty ? (dtype, shape) =>
        {
            var t = Tensor.Zeros(dtype, shape);
            if (dtype == DataType.DtFloat) t.AsSpan<float>().Fill(float.NaN);
            else if (dtype == DataType.DtDouble) t.AsSpan<double>().Fill(double.NaN);
            return t;
        } : null;
        var ctx = new OpKernelContext(node, inputs, outputs, new SessionState(), allocate: allocate);
        kernel.Compute(ctx);
        return Enumerable.Range(0, outputs).Select(i => ctx.Output(i)!).ToArray();
    }

    /// <summary><see cref="Compute"/> with one output.</summary>
    public static Tensor Compute1(string op, Tensor[] inputs, params (string Name, AttrValue Value)[] attrs) => Compute(op, inputs, 1, attrs)[0];

    /// <summary><see cref="Compute"/> with the node's attributes set by <paramref name="configure"/> (for list and nested attributes).</summary>
    public static Tensor[] Compute(string op, Tensor[] inputs, int outputs, Action<NodeDef> configure)
        => ComputeNode(op, inputs, outputs, configure);

    /// <summary><see cref="Compute(string, Tensor[], int, Action{NodeDef})"/> with one output.</summary>
    public static Tensor Compute1(string op, Tensor[] inputs, Action<NodeDef> configure) => ComputeNode(op, inputs, 1, configure)[0];

    /// <summary>Attribute pairs from plain values: bool, int, long, float, string, <see cref="DataType"/>, int[] (list(int)).</summary>
    public static (string Name, AttrValue Value)[] Attrs(params (string Name, object Value)[] attrs)
        => attrs.Select(a => (a.Name, ToAttr(a.Value))).ToArray();

    /// <summary>One attribute value from a plain value (see <see cref="Attrs"/>).</summary>
    public static AttrValue ToAttr(object value) => value switch
    {
        bool b => new AttrValue { B = b },
        int i => new AttrValue { I = i },
        long l => new AttrValue { I = l },
        float f => new AttrValue { F = f },
        string s => new AttrValue { S = ByteString.CopyFromUtf8(s) },
        DataType t => new AttrValue { Type = t },
        int[] list => new AttrValue { List = new AttrValue.Types.ListValue { I = { list.Select(v => (long)v) } } },
        _ => throw new ArgumentException($"unsupported attr value {value}"),
    };
}
