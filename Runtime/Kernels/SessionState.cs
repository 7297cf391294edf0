using System.Collections.Concurrent;

namespace TypedGraph.Kernels;

/// <summary>
/// Per-session mutable state shared by kernels: variable storage (ref and resource variables, keyed by
/// name), other resources, and the graph-level random seed.
/// </summary>
public sealed class SessionState
{
    private readonly ConcurrentDictionary<string, VariableSlot> _variables = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, object> _resources = new(StringComparer.Ordinal);

    /// <summary>The variable slot named <paramref name="name"/>, created empty on first use.</summary>
    public VariableSlot Variable(string name) => _variables.GetOrAdd(name, static n => new VariableSlot(n));

    /// <summary>The slot if it exists.</summary>
    public VariableSlot? FindVariable(string name) => _variables.GetValueOrDefault(name);

    /// <summary>Every variable slot created so far.</summary>
    public IEnumerable<VariableSlot> Variables => _variables.Values;

    /// <summary>A resource by key, created by <paramref name="create"/> on first use.</summary>
    public T Resource<T>(string key, Func<T> create) where T : class => (T)_resources.GetOrAdd(key, _ => create());

    /// <summary>The resource stored under <paramref name="key"/>, or null when none was created.</summary>
    internal object? FindResource(string key) => _resources.GetValueOrDefault(key);

    /// <summary>Graph-level seed (TF's <c>tf.set_random_seed</c>); null means nondeterministic.</summary>
    public int? GraphSeed { get; set; }
}
