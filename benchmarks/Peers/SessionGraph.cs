using TypedGraph.Protos;

namespace TypedGraph.Benchmarks.Peers;

/// <summary>
/// Builds a TF-style graph (Placeholder input, Const weights, op nodes) and runs it through the real
/// <see cref="Session"/> with a prepared request, i.e. the path a loaded TF model takes end to end.
/// </summary>
internal sealed class SessionGraph : IDisposable
{
    private readonly GraphDef _def = new() { Versions = new VersionDef { Producer = 27 } };
    private int _count;
    private Session? _session, _unfusedSession;
    private PreparedRun? _run, _unfused;
    private readonly Tensor[] _feeds = new Tensor[1];
    private readonly Tensor[] _results = new Tensor[1];

    public string Placeholder(string name, DataType dtype)
    {
        _def.Node.Add(new NodeDef { Name = name, Op = "Placeholder", Attr = { ["dtype"] = new AttrValue { Type = dtype } } });
        return name;
    }

    public string Const(Tensor value)
    {
        string name = $"const{_count++}";
        _def.Node.Add(new NodeDef
        {
            Name = name,
            Op = "Const",
            Attr = { ["dtype"] = new AttrValue { Type = value.DType }, ["value"] = new AttrValue { Tensor = TensorProtos.FromTensor(value) } },
        });
        return name;
    }

    public string Op(string op, string[] inputs, Action<NodeDef>? attrs = null)
    {
        var def = new NodeDef { Name = $"{op.ToLowerInvariant()}{_count++}", Op = op, Attr = { ["T"] = new AttrValue { Type = DataType.DtFloat } } };
        def.Input.AddRange(inputs);
        attrs?.Invoke(def);
        _def.Node.Add(def);
        return def.Name;
    }

    /// <summary>Creates the session and prepares fetching <paramref name="fetch"/> from feed <paramref name="feed"/>.</summary>
    public void Prepare(string feed, string fetch, Tensor input)
    {
        _session = new Session(new Graph(_def));
        _run = _session.Prepare([fetch + ":0"], [feed + ":0"]);
        // The same graph without plan-time fusion, to measure what the rewrite buys in the same run.
        _unfusedSession = new Session(new Graph(_def), new SessionOptions { FuseKernels = false });
        _unfused = _unfusedSession.Prepare([fetch + ":0"], [feed + ":0"]);
        _feeds[0] = input;
    }

    /// <summary>Another session over the same graph with other options (A/B probes).</summary>
    public Session CreateSession(SessionOptions options) => new(new Graph(_def), options);

    /// <summary>The prepared request (after <see cref="Prepare"/>), for callers that run it from several threads.</summary>
    public PreparedRun Prepared => _run ?? throw new InvalidOperationException("Prepare first.");

    /// <summary>One run; returns the fetched tensor.</summary>
    public Tensor Run()
    {
        _run!.Run(_feeds, _results);
        return _results[0];
    }

    /// <summary>One run with <see cref="SessionOptions.FuseKernels"/> off.</summary>
    public Tensor RunUnfused()
    {
        _unfused!.Run(_feeds, _results);
        return _results[0];
    }

    public void Dispose()
    {
        _session?.Dispose();
        _unfusedSession?.Dispose();
    }
}
