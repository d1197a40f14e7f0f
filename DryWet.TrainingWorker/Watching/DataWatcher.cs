using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// Data-triggered training: polls one object (the training zip) and starts a run when its content is new. A change
/// must hold still for the debounce time (an upload in progress is not trained on); content already trained —
/// the same SHA-256 as the watcher's last run, or as a registered version's <c>dataset.sha256</c> tag — is skipped; a
/// run that failed is retried only on new data. The state and the loop are the dataset watcher's too
/// (<see cref="WatchStateStore{TState}"/>, <see cref="WatchLoop"/>).
/// </summary>
public sealed class DataWatcher(IObjectStore objects, IModelRegistry registry, string modelName, ITrainingLauncher launcher,
    WatchedObject data, TimeSpan debounce, string workDirectory, ILogger<DataWatcher> logger, TimeProvider? time = null)
{
    private readonly TimeProvider _clock = time ?? TimeProvider.System;
    private readonly WatchStateStore<WatchState> _state = new(objects, data.Bucket, data.StateKey, logger);
    private readonly SettlingChange<StoredObject> _change = new(debounce, time ?? TimeProvider.System);

    /// <summary>Checks every <paramref name="interval"/> until cancelled (<see cref="WatchLoop"/>).</summary>
    public Task RunAsync(TimeSpan interval, CancellationToken cancellationToken) =>
        Loop.RunAsync(interval, $"{data} (debounce {_change.Debounce}; training with {launcher.Description})", cancellationToken);

    public Task<WatchDecision> CheckOnceAsync(CancellationToken cancellationToken) => Loop.CheckOnceAsync(cancellationToken);

    /// <summary>The loop keeps no state of its own (the watcher does), so one per call is as good as one for all.</summary>
    private WatchLoop Loop => new(data.ToString(), DecideAsync, logger, _clock);

    private async Task<WatchDecision> DecideAsync(CancellationToken cancellationToken)
    {
        var state = await _state.LoadAsync(cancellationToken);
        var found = await FindAsync(cancellationToken);
        if (found is null)
        {
            _change.Reset();
            return new WatchDecision(WatchDecisionKind.NoData, $"waiting for {data}");
        }

        if (state is not null && state.Describes(found))
        {
            return new WatchDecision(WatchDecisionKind.Unchanged, $"{state.Outcome} on {state.DecidedAt:u}: {state.Detail}", state.Sha256);
        }

        if (!_change.HasSettled(found, out var progress))
        {
            return new WatchDecision(WatchDecisionKind.Settling, $"{found.Size:N0} bytes, modified {found.LastModified:u}, {progress}");
        }

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
                await _state.SaveAsync(state with { Size = found.Size, LastModified = found.LastModified, ETag = found.ETag }, cancellationToken);
                return same;
            }

            var versions = await registry.ListVersionsAsync(modelName, cancellationToken);
            if (versions.FirstOrDefault(v => v.Tags.GetValueOrDefault(DatasetTags.Sha256) == sha) is { } trained)
            {
                await _state.SaveAsync(new WatchState(found.Size, found.LastModified, sha, "trained", $"already registered as {modelName} v{trained.Version}", _clock.GetUtcNow(), found.ETag), cancellationToken);
                return new WatchDecision(WatchDecisionKind.AlreadyTrained, $"content already registered as {modelName} v{trained.Version}", sha);
            }

            logger.LogInformation("New training data at {Data} (sha256 {Sha}, {Bytes} bytes): starting a run with {Launcher}", data, sha[..12], found.Size, launcher.Description);
            var result = await launcher.LaunchAsync(data, zip, cancellationToken);
            await _state.SaveAsync(new WatchState(found.Size, found.LastModified, sha, result.Succeeded ? "trained" : "failed", result.Detail, _clock.GetUtcNow(), found.ETag), cancellationToken);
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
}
