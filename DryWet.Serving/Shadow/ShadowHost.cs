using DryWet.Core;
using DryWet.Serving.Inference;
using DryWet.Serving.Models;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Shadow;

/// <summary>
/// Holds the shadow model: the registry's <c>challenger</c> version while it differs from the served one
/// (<c>Model:Shadow</c> = auto). <see cref="RefreshAsync"/> follows the alias — at start once the served model is up,
/// on every <c>Model:PollInterval</c> tick and after <c>POST /model/reload</c> — loading the new version (one intra-op
/// thread, batch 1: it runs on the shadow runner's low-priority thread; the graph, INT8 or fp32, the one its promotion
/// would serve: <see cref="ModelLoader"/>) before swapping it in, and unloading it when the
/// alias goes away or reaches the served version. A shadow that fails to load is logged and skipped: it never affects serving.
/// </summary>
internal sealed class ShadowHost(IModelSource source, ModelHost served, ModelLoader loader, IOptions<ModelOptions> options, ILogger<ShadowHost> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _refreshLock = new(1, 1);
    private readonly IShadowModelSource? _source = options.Value.ShadowEnabled ? source as IShadowModelSource : null;
    private LoadedModel? _current;
    private string? _failedVersion;

    /// <summary>Whether a shadow can exist at all: <c>Model:Shadow</c> is auto and the source is a registry.</summary>
    public bool Enabled => _source is not null;

    /// <summary>The shadow model now, for its metadata (use <see cref="TryAcquire"/> to run it).</summary>
    public LoadedModel? Current => Volatile.Read(ref _current);

    /// <summary>A reference to the shadow that keeps it alive until disposed; null when there is none.</summary>
    public ModelLease? TryAcquire()
    {
        while (Volatile.Read(ref _current) is { } model)
        {
            if (model.TryAddReference())
            {
                return new ModelLease(model);
            }
        }

        return null;
    }

    /// <summary>Loads, swaps or unloads the shadow to match the registry now; never throws but when <paramref name="cancellationToken"/> is cancelled.</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        if (_source is null)
        {
            return;
        }

        await _refreshLock.WaitAsync(cancellationToken);
        try
        {
            var servedVersion = served.Current?.Descriptor.Version;
            var wanted = await _source.PeekShadowVersionAsync(cancellationToken);
            if (wanted is null || wanted == servedVersion)
            {
                Swap(null, wanted is null ? "no version has the challenger alias" : $"the challenger alias is on the served version {wanted}");
                return;
            }

            if (wanted == Current?.Descriptor.Version || wanted == _failedVersion)
            {
                return;
            }

            var candidate = await _source.FetchShadowAsync(cancellationToken);
            if (candidate is null || candidate.Descriptor.Version == servedVersion)
            {
                Swap(null, "the challenger alias moved while loading");
                return;
            }

            var shadowOptions = options.Value.ForShadow();
            var loaded = await Task.Run(() => loader.LoadAsync(candidate, shadowOptions, InferencePriority.Background), cancellationToken);
            _failedVersion = null;
            Swap(loaded, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Serving goes on without (or with the previous) shadow; the next refresh tries a new version again.
            _failedVersion = await PeekQuietlyAsync(cancellationToken);
            logger.LogWarning("The shadow model could not be loaded ({Error}); still shadowing with {Version}.",
                ex is DryWetException ? ex.Message : ex.ToString(), Current?.Descriptor.Version ?? "nothing");
        }
        finally
        {
            _refreshLock.Release();
        }
    }

    private async Task<string?> PeekQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _source!.PeekShadowVersionAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private void Swap(LoadedModel? next, string? why)
    {
        var previous = Interlocked.Exchange(ref _current, next);
        if (next is not null)
        {
            logger.LogInformation("Shadow: {Name} version {Version} (the challenger) now also classifies sampled traffic (was {Previous}).",
                next.Descriptor.Name, next.Descriptor.Version, previous?.Descriptor.Version ?? "none");
        }
        else if (previous is not null)
        {
            logger.LogInformation("Shadow: version {Version} unloaded: {Why}.", previous.Descriptor.Version, why);
        }

        previous?.Release();
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _current, null)?.Release();
        _refreshLock.Dispose();
    }
}
