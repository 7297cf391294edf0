using TypedGraph.Building;
using TypedGraph.Protos;

namespace TypedGraph.Typed;

/// <summary>One output of one node, with its static dtype and shape. Untyped form (for dtypes without a C# element type).</summary>
public class GraphTensor : GraphMember
{
    /// <summary>Creates the tensor member.</summary>
    /// <param name="model">The model.</param>
    /// <param name="name">Tensor name, <c>node:index</c>.</param>
    /// <param name="dtype">TF dtype name (<c>float32</c>…).</param>
    /// <param name="staticShape">Declared shape, -1 for unknown dims; null for unknown rank.</param>
    public GraphTensor(GraphModel model, string name, string dtype, long[]? staticShape) : base(model, name)
    {
        var r = TensorRef.Parse(name);
        NodeName = r.NodeName;
        OutputIndex = r.Index;
        DType = dtype;
        StaticShape = staticShape;
    }

    /// <summary>The producing node's name.</summary>
    public string NodeName { get; }

    /// <summary>Which output of the node.</summary>
    public int OutputIndex { get; }

    /// <summary>TF dtype name, e.g. <c>float32</c>.</summary>
    public string DType { get; }

    /// <summary>The graph's declared shape (-1 = unknown dim), or null when even the rank is unknown.</summary>
    public long[]? StaticShape { get; }

    /// <summary>Feeds an untyped tensor to this tensor.</summary>
    /// <exception cref="GraphExecutionException">The shape does not fit <see cref="StaticShape"/>.</exception>
    public FeedValue Feed(Tensor value) => FeedValue.Of(Name, value, StaticShape);

    /// <summary>Fetches this tensor with untyped feeds.</summary>
    /// <param name="feeds">Values for the placeholders it depends on.</param>
    /// <returns>The value; the caller owns it.</returns>
    /// <exception cref="GraphExecutionException">A feed is missing or running failed.</exception>
    public Tensor Fetch(params FeedValue[] feeds) => Model.Session.Run([Name], Feeds.ToDictionary(feeds))[0];

    /// <summary>A generated model's typed tensor as a builder handle, so it plugs into the builder
    /// (<c>g.Multiply(model.OpToRestore, 2f)</c> with <c>g = new GraphBuilder(model.Graph)</c>). Declared here rather
    /// than on <see cref="Output"/> because Building sits below Typed (docs/architecture.md).</summary>
    public static implicit operator Output(GraphTensor t) => t.ToOutput();

    /// <summary>See the implicit conversion to <see cref="Output"/>.</summary>
    /// <exception cref="ArgumentException">The tensor's dtype name is unknown.</exception>
    public Output ToOutput()
    {
        var dtype = Enum.GetValues<DataType>().Where(d => (int)d > 0 && (int)d < 100).FirstOrDefault(d => DataTypes.Name(d) == DType);
        if (dtype == DataType.DtInvalid) throw new ArgumentException($"Tensor '{Name}' has dtype '{DType}', which has no TF DataType.");
        return new Output(NodeName, OutputIndex, dtype);
    }
}

/// <summary>A graph tensor whose elements are <typeparamref name="T"/>.</summary>
/// <typeparam name="T">Element type.</typeparam>
public class GraphTensor<T> : GraphTensor
{
    /// <summary>Creates the tensor member.</summary>
    public GraphTensor(GraphModel model, string name, string dtype, long[]? staticShape) : base(model, name, dtype, staticShape) { }

    /// <summary>Feeds a scalar.</summary>
    /// <exception cref="GraphExecutionException">The graph declares a non-scalar shape.</exception>
    public FeedValue Feed(T value) => FeedValue.Of(Name, value, StaticShape);

    /// <summary>Feeds a typed tensor.</summary>
    /// <exception cref="GraphExecutionException">The shape does not fit <see cref="GraphTensor.StaticShape"/>.</exception>
    public FeedValue Feed(TensorValue<T> value) => FeedValue.Of(Name, value, StaticShape);

    /// <summary>Feeds <paramref name="data"/> shaped as <paramref name="shape"/> (rank 1 when no shape is given).</summary>
    /// <exception cref="GraphExecutionException">The shape does not fit <see cref="GraphTensor.StaticShape"/>.</exception>
    public FeedValue Feed(T[] data, params int[] shape) => FeedValue.Of(Name, TensorValue<T>.Create(data, shape), StaticShape);

    /// <summary>Fetches this tensor with untyped feeds (the generated <c>Run</c> is the checked form).</summary>
    /// <param name="feeds">Values for the placeholders it depends on.</param>
    /// <returns>The value; the caller owns it.</returns>
    /// <exception cref="GraphExecutionException">A feed is missing or running failed.</exception>
    public new TensorValue<T> Fetch(params FeedValue[] feeds) => new(base.Fetch(feeds));

    /// <summary>Fetches this tensor as a value that also reads as a plain <typeparamref name="T"/> when it is a
    /// single element (what generated <c>Run</c> methods return when the graph leaves the shape unknown).</summary>
    /// <param name="feeds">Values for the placeholders it depends on.</param>
    /// <returns>The value; the caller owns it.</returns>
    /// <exception cref="GraphExecutionException">A feed is missing or running failed.</exception>
    public TensorOrScalar<T> FetchAny(params FeedValue[] feeds) => new(base.Fetch(feeds));
}
