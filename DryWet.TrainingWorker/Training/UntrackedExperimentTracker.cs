using DryWet.Core.Tracking;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The tracker used when none is configured: runs get an id but nothing is recorded (the model package on disk is the
/// only output). The composition root swaps in the embedded or MLflow tracker.
/// </summary>
public sealed class UntrackedExperimentTracker : IExperimentTracker
{
    public string Description => "not tracked (no experiment tracker configured)";

    public Task<ITrackedRun> StartRunAsync(string experimentName, string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<ITrackedRun>(new Run());

    private sealed class Run : ITrackedRun
    {
        public string RunId { get; } = Guid.NewGuid().ToString("N");
        public string ExperimentId => "0";
        public string ArtifactUri => "untracked:/" + RunId;

        public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task LogMetricsAsync(IEnumerable<MetricPoint> metrics, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default) => Task.CompletedTask;
        public Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
