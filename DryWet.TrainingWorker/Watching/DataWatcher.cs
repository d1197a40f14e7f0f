using System.Text.Json;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// Data-triggered training: polls one object (the training zip) and starts a run when its content is new. A change
/// must hold still for <see cref="Debounce"/> (an upload in progress is not trained on); content already trained —
/// the same SHA-256 as the watcher's last run, or as a registered version's <c>dataset.sha256</c> tag — is skipped; a
/// run that failed is retried only on new data. One run at a time: the loop waits for it. Every check is one
/// structured log line and one count of <c>drywet_watch_decisions_total{decision}</c>.
/// </summary>
public sealed class DataWatcher(IObjectStore objects, IModelRegistry registry, string modelName, ITrainingLauncher launcher,
    WatchedObject data, TimeSpan debounce, string workDirectory, ILogger<DataWatcher> logger, TimeProvider? time = null)
{
    private static readonly JsonSerializerOptions StateJson = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly TimeProvider _clock = time ?? TimeProvider.System;
    private (StoredObject Object, DateTimeOffset Since)? _pending;
    private WatchState? _state;
    private bool _stateLoaded;

    public TimeSpan Debounce => debounce;

    /// <summary>The last check's outcome (the dashboard and tests read it).</summary>
    public WatchDecision? LastDecision { get; private set; }

    /// <summary>Checks every <paramref name="interval"/> until cancelled; a failing store is logged and retried at the next tick.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        logger.LogInformation("Watching {Data} every {Interval} (debounce {Debounce}); training with {Launcher}", data, interval, debounce, launcher.Description);
        using var timer = new PeriodicTimer(interval, _clock);
        do
        {
            try
            {
                await CheckOnceAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is DryWet.Core.DryWetException or HttpRequestException or IOException)
            {
                logger.LogWarning("Watch check of {Data} failed ({Error}); retrying in {Interval}", data, ex.Message, interval);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public async Task<WatchDecision> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var decision = await DecideAsync(cancellationToken);
        LastDecision = decision;
        WatchTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("decision", decision.Name));
        var level = decision.Kind is WatchDecisionKind.Failed ? LogLevel.Error
            : decision.Kind is WatchDecisionKind.Unchanged or WatchDecisionKind.NoData or WatchDecisionKind.Settling ? LogLevel.Debug : LogLevel.Information;
        logger.Log(level, "Watch decision {Decision} for {Data}: {Message}", decision.Name, data, decision.Message);
        return decision;
    }

    private async Task<WatchDecision> DecideAsync(CancellationToken cancellationToken)
    {
        var state = await StateAsync(cancellationToken);
        var found = await FindAsync(cancellationToken);
        if (found is null)
        {
            _pending = null;
            return new WatchDecision(WatchDecisionKind.NoData, $"waiting for {data}");
        }

        if (state is not null && state.Size == found.Size && state.LastModified == found.LastModified)
        {
            return new WatchDecision(WatchDecisionKind.Unchanged, $"{state.Outcome} on {state.DecidedAt:u}: {state.Detail}", state.Sha256);
        }

        var now = _clock.GetUtcNow();
        if (_pending is not { } pending || pending.Object != found)
        {
            pending = (found, now);
            _pending = pending;
        }

        if (now - pending.Since < debounce)
        {
            return new WatchDecision(WatchDecisionKind.Settling, $"{found.Size:N0} bytes, modified {found.LastModified:u}, unchanged for {(now - pending.Since).TotalSeconds:0.#} of {debounce.TotalSeconds:0.#} s");
        }

        _pending = null;
        return await HandleNewContentAsync(found, state, cancellationToken);
    }

    private async Task<WatchDecision> HandleNewContentAsync(StoredObject found, WatchState? state, CancellationToken cancellationToken)
    {
        var zip = Path.Combine(workDirectory, $"data-{Guid.NewGuid():N}.zip");
        try
        {
            await objects.DownloadFileAsync(data.Bucket, data.Key, zip, cancellationToken);
            var sha = DatasetFingerprint.Compute(zip).Sha256;
            if (state?.Sha256 == sha)
            {
                var same = state.Outcome == "failed"
                    ? new WatchDecision(WatchDecisionKind.FailedBefore, $"same content as the run that failed on {state.DecidedAt:u} ({state.Detail}); change the data to retry", sha)
                    : new WatchDecision(WatchDecisionKind.AlreadyTrained, $"same content as trained on {state.DecidedAt:u}", sha);
                await SaveStateAsync(state with { Size = found.Size, LastModified = found.LastModified }, cancellationToken);
                return same;
            }

            var versions = await registry.ListVersionsAsync(modelName, cancellationToken);
            if (versions.FirstOrDefault(v => v.Tags.GetValueOrDefault(DatasetTags.Sha256) == sha) is { } trained)
            {
                await SaveStateAsync(new WatchState(found.Size, found.LastModified, sha, "trained", $"already registered as {modelName} v{trained.Version}", _clock.GetUtcNow()), cancellationToken);
                return new WatchDecision(WatchDecisionKind.AlreadyTrained, $"content already registered as {modelName} v{trained.Version}", sha);
            }

            logger.LogInformation("New training data at {Data} (sha256 {Sha}, {Bytes} bytes): starting a run with {Launcher}", data, sha[..12], found.Size, launcher.Description);
            var result = await launcher.LaunchAsync(data, zip, cancellationToken);
            await SaveStateAsync(new WatchState(found.Size, found.LastModified, sha, result.Succeeded ? "trained" : "failed", result.Detail, _clock.GetUtcNow()), cancellationToken);
            return new WatchDecision(result.Succeeded ? WatchDecisionKind.Trained : WatchDecisionKind.Failed, result.Detail, sha);
        }
        finally
        {
            File.Delete(zip);
        }
    }

    private async Task<StoredObject?> FindAsync(CancellationToken cancellationToken)
    {
        if (!await objects.BucketExistsAsync(data.Bucket, cancellationToken))
        {
            return null;
        }

        return (await objects.ListAsync(data.Bucket, data.Key, cancellationToken)).FirstOrDefault(o => o.Key == data.Key);
    }

    private async Task<WatchState?> StateAsync(CancellationToken cancellationToken)
    {
        if (_stateLoaded)
        {
            return _state;
        }

        var local = Path.Combine(workDirectory, $"state-{Guid.NewGuid():N}.json");
        try
        {
            await objects.DownloadFileAsync(data.Bucket, data.StateKey, local, cancellationToken);
            _state = JsonSerializer.Deserialize<WatchState>(await File.ReadAllTextAsync(local, cancellationToken), StateJson);
        }
        catch (Exception ex) when (ex is ObjectNotFoundException or BucketNotFoundException)
        {
            _state = null;
        }
        catch (JsonException ex)
        {
            logger.LogWarning("Ignoring unreadable watch state s3://{Bucket}/{Key} ({Error}); the data will be checked by hash", data.Bucket, data.StateKey, ex.Message);
            _state = null;
        }
        finally
        {
            File.Delete(local);
        }

        _stateLoaded = true;
        return _state;
    }

    private async Task SaveStateAsync(WatchState state, CancellationToken cancellationToken)
    {
        var local = Path.Combine(workDirectory, $"state-{Guid.NewGuid():N}.json");
        try
        {
            await File.WriteAllTextAsync(local, JsonSerializer.Serialize(state, StateJson), cancellationToken);
            await objects.UploadFileAsync(data.Bucket, data.StateKey, local, cancellationToken);
            _state = state;
        }
        finally
        {
            File.Delete(local);
        }
    }
}
