namespace TypedGraph.Typed;

/// <summary>Base of the generated member types: something named in a graph, bound to a model.</summary>
public abstract class GraphMember
{
    /// <summary>Binds the member to <paramref name="model"/>.</summary>
    protected GraphMember(GraphModel model, string name)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Name = name;
    }

    /// <summary>The model (and session) this member runs on.</summary>
    public GraphModel Model { get; }

    /// <summary>The TF name: <c>w1:0</c> for a tensor, the node name for an operation, the path for a scope.</summary>
    public string Name { get; }

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>A name scope (<c>conv1/</c>) that holds members but is no node itself.</summary>
public class GraphScope : GraphMember
{
    /// <summary>Creates the scope member.</summary>
    public GraphScope(GraphModel model, string path) : base(model, path) { }
}

/// <summary>A node without outputs (<c>init</c>, <c>train_op</c>…), run as a target.</summary>
public class GraphOperation : GraphMember
{
    /// <summary>Creates the operation member.</summary>
    public GraphOperation(GraphModel model, string nodeName) : base(model, nodeName) { }

    /// <summary>Runs the operation as a target with untyped feeds (the generated <c>Run</c> is the typed form).</summary>
    /// <param name="feeds">Values for the placeholders it depends on.</param>
    /// <exception cref="GraphExecutionException">A feed is missing or running failed.</exception>
    public void Execute(params FeedValue[] feeds)
        => Model.Session.Run([], Feeds.ToDictionary(feeds), [Name]);
}

/// <summary>Feed lists → the session's feed dictionary.</summary>
internal static class Feeds
{
    public static Dictionary<string, Tensor> ToDictionary(FeedValue[] feeds)
    {
        var dict = new Dictionary<string, Tensor>(feeds.Length, StringComparer.Ordinal);
        foreach (var f in feeds)
        {
            if (f.TensorName == null) throw new ArgumentException("A default(FeedValue) names no tensor; make feeds with Feed(...).", nameof(feeds));
            if (f.IsAbsent) continue; // an optional feed left out: the graph's default applies
            if (!dict.TryAdd(f.TensorName, f.Value))
                throw new ArgumentException($"'{f.TensorName}' is fed twice.", nameof(feeds));
        }
        return dict;
    }
}
