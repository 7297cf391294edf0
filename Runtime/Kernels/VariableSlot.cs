namespace TypedGraph.Kernels;

/// <summary>
/// The storage of one variable in a session (a ref variable's buffer, or a resource variable's value).
/// Kernels that update it in place hold <see cref="SyncRoot"/> unless the op's <c>use_locking</c> is false.
/// </summary>
/// <remarks>
/// <para>Writes publish a new tensor (copy-on-write), except the optimizers' dense <c>Apply*</c> updates, which update
/// the current tensor in place when nobody else can observe its old value — as TF does for a resource variable whose
/// buffer's refcount is one (tensorflow/core/kernels/training_op_helpers.h, <c>PrepareToUpdateVariable</c>: copy only
/// when the buffer is shared). Here the "refcount" is kept like this:</para>
/// <list type="bullet">
/// <item>Only a tensor an Apply kernel made as its own private copy is a candidate (<see cref="Tensor.InPlaceOwner"/> is
/// this slot): a value from Assign, a restore or a mapped checkpoint never is.</item>
/// <item>Every read that hands the value on goes through this class. A read by a top-level static run
/// (<see cref="Read"/> with an <see cref="IVariableLeases"/> that accepts) takes a lease the run drops when it ends; any
/// other read — the public <see cref="Value"/>, <see cref="GetValue"/>, a fetch, a Saver, a while loop, a function body
/// — marks the value escaped for good, so it is never written in place again (the next update copies).</item>
/// <item>An update in place needs: no leases but the updating run's own, no live value slot of that run holding the
/// tensor or a view of it (<see cref="IVariableLeases.InUse"/>), and the updater holds the lock (leases are taken under
/// it, so a reader sees the whole old or the whole new value).</item>
/// <item>Caches keyed on the tensor (packed weights) also key on <see cref="Tensor.Version"/>, bumped by each update.</item>
/// </list>
/// </remarks>
public sealed class VariableSlot
{
    /// <summary>Creates an empty (uninitialized) slot.</summary>
    public VariableSlot(string name) => Name = name;

    /// <summary>Variable name (the VariableV2 node name or the resource's shared_name).</summary>
    public string Name { get; }

    /// <summary>Current value; null until initialized (Assign, restore).</summary>
    /// <remarks>
    /// A tensor read here is never modified afterwards: reading marks it escaped (see the class remarks), and writes
    /// publish a new tensor. Kernels may cache data derived from a value by its identity and version (a MatMul packs a
    /// weight matrix once and reuses the packing while the variable holds that tensor at that version).
    /// </remarks>
    public Tensor? Value
    {
        get
        {
            var v = Volatile.Read(ref _value);
            if (v?.InPlaceOwner == null) return v;
            lock (SyncRoot)
            {
                v = _value;
                if (v != null) v.InPlaceOwner = null;
                return v;
            }
        }
        set => Volatile.Write(ref _value, value?.MarkPublished());
    }

    private Tensor? _value;

    /// <summary>The value as stored, without marking it escaped: only for a kernel that holds <see cref="SyncRoot"/> and
    /// does not keep the tensor past the lock (a writer reading the value it replaces), or for the static executor's
    /// ref-output bookkeeping, which never reads it.</summary>
    internal Tensor? Current => Volatile.Read(ref _value);

    /// <summary><see cref="Current"/>, or an error naming the variable when it has none (writers, under the lock).</summary>
    internal Tensor GetCurrent(string readerNode) => Current ?? throw Uninitialized(readerNode);

    /// <summary>True once a value has been assigned.</summary>
    public bool IsInitialized => Current != null;

    /// <summary>Lock for read-modify-write updates.</summary>
    public object SyncRoot { get; } = new();

    /// <summary>The value, or an error naming the variable when it has none (an escaping read, like <see cref="Value"/>).</summary>
    /// <exception cref="GraphExecutionException">The variable is not initialized.</exception>
    public Tensor GetValue(string readerNode) => Value ?? throw Uninitialized(readerNode);

    /// <summary>
    /// Reads the value for a run: leased to <paramref name="run"/> when it accepts leases, else marked escaped.
    /// </summary>
    /// <exception cref="GraphExecutionException">The variable is not initialized.</exception>
    internal Tensor Read(IVariableLeases? run, string readerNode)
    {
        var v = Volatile.Read(ref _value);
        if (v != null && v.InPlaceOwner == null) return v; // never updated in place again: nothing to account for
        lock (SyncRoot)
        {
            v = _value ?? throw Uninitialized(readerNode);
            if (v.InPlaceOwner != null && (run == null || !run.Take(v))) v.InPlaceOwner = null;
            return v;
        }
    }

    /// <summary>
    /// Whether <paramref name="value"/> (this slot's current value) may be updated in place by a kernel of
    /// <paramref name="run"/> that holds <see cref="SyncRoot"/>: this slot's own copy, not escaped, leased by no other
    /// run, and not held by a live value of the updating run.
    /// </summary>
    internal bool CanUpdateInPlace(Tensor value, IVariableLeases? run)
    {
        if (CopyOnWriteOnly || !ReferenceEquals(value.InPlaceOwner, this) || !ReferenceEquals(value, _value)) return false;
        int own = run != null && run.Holds(value) ? 1 : 0;
        if (Volatile.Read(ref value.Leases) != own) return false;
        return run == null || !run.InUse(value);
    }

    /// <summary>Benchmarks' A/B switch (<c>-- train-ab</c>): every update copies, as before in-place updates existed.</summary>
    internal static bool CopyOnWriteOnly { get; set; }

    /// <summary>Publishes <paramref name="fresh"/>, a private copy nobody else has seen, as a candidate for later in-place
    /// updates (caller holds <see cref="SyncRoot"/>).</summary>
    internal void PublishOwned(Tensor fresh)
    {
        fresh.InPlaceOwner = this;
        Value = fresh;
    }

    /// <summary>Records an in-place update of the current value (caller holds <see cref="SyncRoot"/>).</summary>
    internal static void UpdatedInPlace(Tensor value) => Interlocked.Increment(ref value.Version);

    private GraphExecutionException Uninitialized(string readerNode) => new(
        $"Attempting to use uninitialized value {Name} (read by node '{readerNode}'). Run the initializer or restore a checkpoint first.", readerNode);
}

/// <summary>
/// A run that can account for the variable values it reads (the static executor's <c>RunFrame</c> of a top-level run
/// whose plan keeps no input beyond its steps): it holds a lease on each until it ends, and can tell whether a live value
/// slot still holds one.
/// </summary>
internal interface IVariableLeases
{
    /// <summary>Leases <paramref name="value"/> to this run until it ends (once per run; called under the variable's lock).
    /// False when this run cannot account for it (the caller then marks the value escaped).</summary>
    bool Take(Tensor value);

    /// <summary>True when this run holds a lease on <paramref name="value"/>.</summary>
    bool Holds(Tensor value);

    /// <summary>True when a value slot of this run that is still to be read (or is fetched) holds
    /// <paramref name="value"/> or a view of its storage.</summary>
    bool InUse(Tensor value);
}
