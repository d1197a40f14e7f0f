using DryWet.Core.Tracking;

namespace DryWet.TrainingWorker.Platform;

/// <summary>
/// Wraps the configured tracker for one <c>train</c> command: adds run tags known only to the command (dataset hash,
/// git commit) and holds back the pipeline's FINISHED until registration and promotion have succeeded too, so the run
/// ends FINISHED only when every step did, and FAILED (or KILLED) otherwise.
/// </summary>
internal sealed class DeferredFinishTracker(IExperimentTracker inner, IReadOnlyDictionary<string, string> extraTags) : IExperimentTracker
{
    private DeferredRun? _run;

    public string Description => inner.Description;

    public async Task<ITrackedRun> StartRunAsync(string experimentName, string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        var all = new Dictionary<string, string>(extraTags);
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        _run = new DeferredRun(await inner.StartRunAsync(experimentName, runName, all, cancellationToken));
        return _run;
    }

    /// <summary>Ends the run with the command's outcome (no-op when the pipeline already ended it FAILED/KILLED).</summary>
    public async Task CompleteAsync(RunOutcome outcome, string? failure = null)
    {
        if (_run is null || _run.Ended)
        {
            return;
        }

        if (failure is not null)
        {
            await _run.Inner.SetTagsAsync(new Dictionary<string, string> { ["drywet.failure"] = failure.Length > 4000 ? failure[..4000] : failure });
        }

        await _run.Inner.EndAsync(outcome);
        _run.Ended = true;
        await _run.Inner.DisposeAsync();
    }

    private sealed class DeferredRun(ITrackedRun inner) : ITrackedRun
    {
        private bool _finishPending;

        public ITrackedRun Inner => inner;
        public bool Ended { get; set; }
        public string RunId => inner.RunId;
        public string ExperimentId => inner.ExperimentId;
        public string ArtifactUri => inner.ArtifactUri;

        public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) =>
            inner.LogParamsAsync(parameters, cancellationToken);

        public Task LogMetricsAsync(IEnumerable<MetricPoint> metrics, CancellationToken cancellationToken = default) =>
            inner.LogMetricsAsync(metrics, cancellationToken);

        public Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) =>
            inner.SetTagsAsync(tags, cancellationToken);

        public Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) =>
            inner.LogArtifactAsync(localFile, artifactPath, cancellationToken);

        public Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default) =>
            inner.LogArtifactsAsync(localDirectory, artifactPath, cancellationToken);

        public Task LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default) =>
            inner.LogModelAsync(packageDirectory, artifactPath, cancellationToken);

        public async Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default)
        {
            if (outcome == RunOutcome.Finished)
            {
                _finishPending = true; // registration still to come
                return;
            }

            await inner.EndAsync(outcome, cancellationToken);
            Ended = true;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_finishPending && !Ended)
            {
                Ended = true;
                await inner.DisposeAsync(); // un-ended: the adapter marks it FAILED
            }
        }
    }
}
