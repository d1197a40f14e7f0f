using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// Data-triggered training on the whole dataset (<c>watch</c> without <c>--object</c>): polls the data prefix and
/// starts a run when its dataset version is new. A change (any new, changed or deleted archive, reviewed image or label
/// entry) must hold still for the debounce time; then the snapshot is built (only changed objects are downloaded and
/// hashed) and its manifest stored. A version already trained — the watcher's last run, or a registered version's
/// <c>dataset.version</c> tag — is skipped; a failed one is retried only on new data. When only reviewed labels
/// changed, a run starts once at least <c>DryWet:Watcher:MinNewLabels</c> of them differ from the dataset last
/// trained on. The state and the loop are the archive watcher's too (<see cref="WatchStateStore{TState}"/>,
/// <see cref="WatchLoop"/>).
/// </summary>
public sealed class DatasetWatcher
{
    private readonly IObjectStore _objects;
    private readonly IModelRegistry _registry;
    private readonly string _modelName;
    private readonly ITrainingLauncher _launcher;
    private readonly WatchedDataset _data;
    private readonly int _minNewLabels;
    private readonly string _work;
    private readonly ILogger<DatasetWatcher> _logger;
    private readonly TimeProvider _clock;
    private readonly ObjectStoreDatasetSource _source;
    private readonly DatasetSnapshotBuilder _builder;
    private readonly WatchStateStore<DatasetWatchState> _state;
    private readonly SettlingChange<string> _change;

    public DatasetWatcher(IObjectStore objects, IModelRegistry registry, string modelName, ITrainingLauncher launcher, WatchedDataset data,
        TimeSpan debounce, int minNewLabels, string workDirectory, ILogger<DatasetWatcher> logger, TimeProvider? time = null)
    {
        (_objects, _registry, _modelName, _launcher, _data, _minNewLabels, _work, _logger) =
            (objects, registry, modelName, launcher, data, minNewLabels, workDirectory, logger);
        _clock = time ?? TimeProvider.System;
        _change = new SettlingChange<string>(debounce, _clock);
        _source = new ObjectStoreDatasetSource(objects, data.Bucket, data.Prefix, onlyKey: null);
        _builder = new DatasetSnapshotBuilder(_source, _clock);
        _state = new WatchStateStore<DatasetWatchState>(objects, data.Bucket, data.StateKey, logger);
    }

    /// <summary>Checks every <paramref name="interval"/> until cancelled (<see cref="WatchLoop"/>).</summary>
    public Task RunAsync(TimeSpan interval, CancellationToken cancellationToken) =>
        Loop.RunAsync(interval, $"the dataset at {_data} (debounce {_change.Debounce}, {_minNewLabels} new labels start a run; training with {_launcher.Description})", cancellationToken);

    public Task<WatchDecision> CheckOnceAsync(CancellationToken cancellationToken) => Loop.CheckOnceAsync(cancellationToken);

    /// <summary>The loop keeps no state of its own (the watcher does), so one per call is as good as one for all.</summary>
    private WatchLoop Loop => new(_data.ToString(), DecideAsync, _logger, _clock);

    private async Task<WatchDecision> DecideAsync(CancellationToken cancellationToken)
    {
        var state = await _state.LoadAsync(cancellationToken);
        if (!await _objects.BucketExistsAsync(_data.Bucket, cancellationToken))
        {
            _change.Reset();
            return new WatchDecision(WatchDecisionKind.NoData, $"waiting for bucket {_data.Bucket}");
        }

        var listed = await _source.ListAsync(cancellationToken);
        var relevant = listed.Where(o => DatasetKeys.Classify(o.Key) != DatasetKeyRole.Ignored).ToList();
        if (!relevant.Any(o => DatasetKeys.Classify(o.Key) is DatasetKeyRole.Archive or DatasetKeyRole.ClassImage))
        {
            _change.Reset();
            return new WatchDecision(WatchDecisionKind.NoData, $"waiting for data at {_data} (zips at its root or class folders of images)");
        }

        var listing = ListingDigest(relevant);
        if (state is not null && state.Listing == listing)
        {
            return new WatchDecision(WatchDecisionKind.Unchanged, $"{state.Outcome} on {state.DecidedAt:u}: {state.Detail}", state.DatasetVersion);
        }

        if (!_change.HasSettled(listing, out var progress))
        {
            return new WatchDecision(WatchDecisionKind.Settling, $"{relevant.Count} objects changed, {progress}");
        }

        return await HandleNewListingAsync(listing, listed, state, cancellationToken);
    }

    private async Task<WatchDecision> HandleNewListingAsync(string listing, IReadOnlyList<SourceObject> listed, DatasetWatchState? state, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(_work, $"snapshot-{Guid.NewGuid():N}");
        DatasetManifest manifest;
        try
        {
            manifest = (await _builder.BuildAsync(listed, scratch, keepFolder: null, cancellationToken)).Manifest;
        }
        finally
        {
            if (Directory.Exists(scratch))
            {
                Directory.Delete(scratch, recursive: true);
            }
        }

        var version = manifest.Version;
        if (state?.LastRunVersion == version)
        {
            await _state.SaveAsync(state with { Listing = listing, DatasetVersion = version }, cancellationToken);
            return state.Outcome == "failed"
                ? new WatchDecision(WatchDecisionKind.FailedBefore, $"dataset version {version} is the one the run of {state.DecidedAt:u} failed on ({state.Detail}); change the data to retry", version)
                : new WatchDecision(WatchDecisionKind.AlreadyTrained, $"dataset version {version} was trained on {state.DecidedAt:u}", version);
        }

        var versions = await _registry.ListVersionsAsync(_modelName, cancellationToken);
        if (versions.FirstOrDefault(v => v.Tags.GetValueOrDefault(DatasetTags.Version) == version) is { } registered)
        {
            var detail = $"dataset version {version} already registered as {_modelName} v{registered.Version}";
            await _state.SaveAsync(new DatasetWatchState(listing, version, version, "trained", detail, _clock.GetUtcNow()), cancellationToken);
            return new WatchDecision(WatchDecisionKind.AlreadyTrained, detail, version);
        }

        var baseline = state?.LastRunVersion ?? versions.OrderByDescending(v => v.Version)
            .Select(v => v.Tags.GetValueOrDefault(DatasetTags.Version)).FirstOrDefault(v => v is not null);
        if (baseline is not null && await _source.LoadManifestAsync(baseline, cancellationToken) is { } previous)
        {
            var change = DatasetChange.Between(previous, manifest);
            if (!change.ArchivesChanged && change.Labels < _minNewLabels)
            {
                var detail = string.Create(CultureInfo.InvariantCulture,
                    $"{change.Labels} of {_minNewLabels} new labels since dataset version {baseline} (DryWet:Watcher:MinNewLabels); dataset version {version} waits for more");
                await _state.SaveAsync(new DatasetWatchState(listing, version, state?.LastRunVersion ?? baseline, "waiting", detail, _clock.GetUtcNow()), cancellationToken);
                return new WatchDecision(WatchDecisionKind.AwaitingLabels, detail, version);
            }
        }

        _logger.LogInformation("New dataset version {Version} at {Data} ({Objects} objects, {Reviewed} reviewed): starting a run with {Launcher}",
            version, _data, manifest.Objects.Count, manifest.ReviewedObjects, _launcher.Description);
        // Stored only for a run (the run trains on exactly it), not for every label click that waits.
        await _source.SaveManifestAsync(manifest, cancellationToken);
        var result = await _launcher.LaunchDatasetAsync(_data, version, cancellationToken);
        await _state.SaveAsync(new DatasetWatchState(listing, version, version, result.Succeeded ? "trained" : "failed", result.Detail, _clock.GetUtcNow()), cancellationToken);
        return new WatchDecision(result.Succeeded ? WatchDecisionKind.Trained : WatchDecisionKind.Failed, result.Detail, version);
    }

    /// <summary>
    /// Keys, sizes, times (to the tick, as listed) and ETags of what the dataset is made of: equal digests mean nothing to
    /// rebuild. The ETag tells apart two same-size versions S3 lists in the same second; the embedded store lists none,
    /// but dates a new version at least a tick later than the one it replaced.
    /// </summary>
    private static string ListingDigest(IEnumerable<SourceObject> objects)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var o in objects.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            hash.AppendData(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{o.Key}\t{o.Size}\t{o.LastModified.UtcTicks}\t{o.ETag}\n")));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
