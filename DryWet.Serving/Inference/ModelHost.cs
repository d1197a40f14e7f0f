using System.Diagnostics;
using DryWet.Core;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// Holds the model being served and replaces it atomically: a reload fetches and loads the new model and smoke-tests
/// it while the old one keeps serving; only then is the current model swapped. A failed reload changes nothing.
/// Reloads are serialized. The replaced model is disposed once its in-flight requests are done.
/// </summary>
internal sealed class ModelHost(IModelSource source, ModelLoader loader, ServingTelemetry telemetry, ILogger<ModelHost> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _reloadLock = new(1, 1);
    private LoadedModel? _current;
    private int _activeReloads;

    /// <summary>The model being served, for reading its metadata (use <see cref="TryAcquire"/> to run it).</summary>
    public LoadedModel? Current => Volatile.Read(ref _current);

    /// <summary>Why no model is loaded (null while one is); shown by /, /health and 503 answers.</summary>
    public string? UnavailableReason { get; private set; } = "The model is still loading.";

    /// <summary>The most reloads ever seen running at once (1 when serialization works).</summary>
    internal int PeakConcurrentReloads { get; private set; }

    public string SourceDescription => source.Description;

    /// <summary>A reference to the current model that keeps it alive until disposed; null when none is loaded.</summary>
    public ModelLease? TryAcquire()
    {
        while (true)
        {
            var model = Volatile.Read(ref _current);
            if (model is null)
            {
                return null;
            }

            if (model.TryAddReference())
            {
                return new ModelLease(model);
            }
            // Lost a race with a swap that released the last reference: read the new current model.
        }
    }

    /// <summary>Fetches, loads and smoke-tests the source's model, then swaps it in.</summary>
    public async Task<ReloadResult> ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloadLock.WaitAsync(cancellationToken);
        var active = Interlocked.Increment(ref _activeReloads);
        PeakConcurrentReloads = Math.Max(PeakConcurrentReloads, active);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var candidate = await source.FetchAsync(cancellationToken);
            var loaded = await Task.Run(() => loader.LoadAsync(candidate), cancellationToken);
            var previous = Interlocked.Exchange(ref _current, loaded);
            UnavailableReason = null;
            previous?.Release();
            telemetry.RecordReload(success: true);
            logger.LogInformation("Serving {Name} version {Version} (was {Previous}); reload took {Seconds:F2} s.",
                loaded.Descriptor.Name, loaded.Descriptor.Version, previous?.Descriptor.Version ?? "none",
                Stopwatch.GetElapsedTime(started).TotalSeconds);
            return new ReloadResult(loaded, previous?.Descriptor.Version, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A DryWetException says what is wrong in the operator's terms; anything else stays in the log only.
            var reason = ex is DryWetException ? ex.Message : "An unexpected error occurred while loading the model; see the server log.";
            telemetry.RecordReload(success: false);
            var current = Current;
            if (current is null)
            {
                UnavailableReason = reason;
            }

            if (ex is DryWetException)
            {
                logger.LogError("Model reload failed, still serving {Version}: {Reason}", current?.Descriptor.Version ?? "nothing", reason);
            }
            else
            {
                logger.LogError(ex, "Model reload failed, still serving {Version}", current?.Descriptor.Version ?? "nothing");
            }

            return new ReloadResult(current, current?.Descriptor.Version, reason);
        }
        finally
        {
            Interlocked.Decrement(ref _activeReloads);
            _reloadLock.Release();
        }
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _current, null)?.Release();
        _reloadLock.Dispose();
    }
}

/// <summary>Outcome of a reload: <see cref="Error"/> is null on success; <see cref="Serving"/> is what serves now.</summary>
internal sealed record ReloadResult(LoadedModel? Serving, string? PreviousVersion, string? Error)
{
    public bool Succeeded => Error is null;
}
