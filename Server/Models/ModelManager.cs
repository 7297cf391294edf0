using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using TypedGraph.Server.Http;

namespace TypedGraph.Server.Models;

/// <summary>A version's lifecycle state, as TF Serving's ModelVersionStatus.State names it.</summary>
public enum VersionState
{
    /// <summary>Found on disk, not loaded yet.</summary>
    Start,
    /// <summary>Being loaded.</summary>
    Loading,
    /// <summary>Serving.</summary>
    Available,
    /// <summary>Being unloaded.</summary>
    Unloading,
    /// <summary>Unloaded, or failed to load (then <see cref="VersionStatus.Error"/> says why).</summary>
    End,
}

/// <summary>The status of one version (GetModelStatusResponse's ModelVersionStatus).</summary>
/// <param name="Version">The version number.</param>
/// <param name="State">Its state.</param>
/// <param name="Error">Why loading failed, or null.</param>
public sealed record VersionStatus(long Version, VersionState State, string? Error);

/// <summary>
/// Serves the newest version of one model, as TF Serving's default "latest" version policy does: loads the highest
/// version at start, then polls the source (TF Serving's <c>file_system_poll_wait_seconds</c>, 1 s by default) and
/// loads a newer version when one appears. The new version is loaded completely before it replaces the old one
/// in a single reference swap, so every request sees either the old or the new version, never a half-loaded one;
/// requests already running on the old version finish on it before it is released.
/// </summary>
public sealed class ModelManager : IAsyncDisposable
{
    private readonly ModelSource _source;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<long, VersionStatus> _status = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _poller;
    private readonly Lock _loadLock = new();
    private ServableVersion? _current;
    private List<(long Version, string Path, string Error)>? _deferredFailures;

    private ModelManager(string name, ModelSource source, TimeSpan pollInterval, ILogger log)
    {
        Name = name;
        _source = source;
        _log = log;
        // The first load's failures are held back: if no version loads, the exception below carries every one of them
        // (the CLI prints it as its single error line), so logging them too would say the same thing twice.
        _deferredFailures = [];
        PollOnce();
        var deferred = _deferredFailures;
        _deferredFailures = null;
        if (_current != null)
            foreach (var (version, path, error) in deferred)
                _log.LogError("Model {Model}: loading version {Version} from {Path} failed: {Error}", Name, version, path, error);
        if (_current == null)
        {
            var errors = _status.Values.Where(s => s.Error != null).Select(s => $"version {s.Version}: {s.Error}").ToList();
            throw new InvalidOperationException(errors.Count > 0
                ? $"Model '{name}' at {source.Path}: no version could be loaded ({string.Join("; ", errors)})."
                : $"Model '{name}' at {source.Path}: no version folder (a number, holding saved_model.pb) found.");
        }
        _poller = pollInterval > TimeSpan.Zero ? Task.Run(() => PollLoop(pollInterval, _stop.Token)) : Task.CompletedTask;
    }

    /// <summary>The model name clients use in URLs.</summary>
    public string Name { get; }

    /// <summary>Raised after a version starts serving (with the version).</summary>
    public event Action<long>? VersionLoaded;

    /// <summary>Loads the newest loadable version and starts polling (pollInterval ≤ 0: never poll; <see cref="PollOnce"/> then
    /// reloads by hand).</summary>
    /// <exception cref="InvalidOperationException">No version could be loaded (the message says why).</exception>
    public static ModelManager Start(string name, ModelSource source, TimeSpan pollInterval, ILogger log)
        => new(name, source, pollInterval, log);

    /// <summary>The version serving now.</summary>
    public long CurrentVersion => Volatile.Read(ref _current)?.Version ?? -1;

    /// <summary>Every version seen, lowest first.</summary>
    public IReadOnlyList<VersionStatus> Statuses => _status.Values.OrderBy(s => s.Version).ToList();

    /// <summary>
    /// Holds the serving version (or exactly <paramref name="version"/>) for one request. Errors as TF Serving's
    /// ServerCore: <c>Servable not found for request: Latest(name)</c> / <c>Specific(name, v)</c>.
    /// </summary>
    /// <exception cref="ServingException">NOT_FOUND.</exception>
    public ServableLease Acquire(long? version)
    {
        while (true)
        {
            var cur = Volatile.Read(ref _current);
            if (cur == null || (version is { } v && v != cur.Version))
                throw ServingException.NotFound($"Servable not found for request: {(version is { } w ? $"Specific({Name}, {w})" : $"Latest({Name})")}");
            // A swap may retire `cur` between the read and the increment; then read the new one.
            if (cur.TryAcquire()) return new ServableLease(cur);
        }
    }

    /// <summary>Looks at the source once and loads a newer version if there is one. Returns true if it swapped.</summary>
    public bool PollOnce()
    {
        lock (_loadLock)
        {
            IReadOnlyList<ModelVersionPath> found;
            try
            {
                found = _source.Scan();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                _log.LogWarning("Model {Model}: cannot list {Path}: {Error}", Name, _source.Path, e.Message);
                return false;
            }
            var current = Volatile.Read(ref _current);
            // Highest first; a version that failed before is not retried (TF Serving leaves it in END with its error).
            foreach (var candidate in found.OrderByDescending(f => f.Version))
            {
                if (current != null && candidate.Version <= current.Version) return false;
                if (_status.TryGetValue(candidate.Version, out var st) && st.State == VersionState.End) continue;
                _status[candidate.Version] = new VersionStatus(candidate.Version, VersionState.Loading, null);
                ServableVersion loaded;
                try
                {
                    loaded = ServableVersion.Load(Name, candidate, _source);
                }
                catch (Exception e) when (e is TypedGraphException or IOException or UnauthorizedAccessException or InvalidOperationException or ArgumentException or NotSupportedException)
                {
                    _status[candidate.Version] = new VersionStatus(candidate.Version, VersionState.End, e.Message);
                    if (_deferredFailures != null) _deferredFailures.Add((candidate.Version, candidate.Path, e.Message));
                    else _log.LogError("Model {Model}: loading version {Version} from {Path} failed: {Error}", Name, candidate.Version, candidate.Path, e.Message);
                    continue;
                }
                var old = Interlocked.Exchange(ref _current, loaded);
                _status[candidate.Version] = new VersionStatus(candidate.Version, VersionState.Available, null);
                _log.LogInformation("Model {Model}: serving version {Version} from {Path}", Name, candidate.Version, candidate.Path);
                if (old != null)
                {
                    _status[old.Version] = new VersionStatus(old.Version, VersionState.End, null);
                    old.Release();
                }
                VersionLoaded?.Invoke(candidate.Version);
                return true;
            }
            return false;
        }
    }

    private async Task PollLoop(TimeSpan interval, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            PollOnce();
        }
    }

    /// <summary>Stops polling and releases the serving version (its session closes once running requests finish).</summary>
    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _poller.ConfigureAwait(false);
        Interlocked.Exchange(ref _current, null)?.Release();
        _stop.Dispose();
    }
}
