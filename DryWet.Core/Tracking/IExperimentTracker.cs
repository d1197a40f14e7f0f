namespace DryWet.Core.Tracking;

/// <summary>
/// The experiment-tracking port: MLflow REST on the platform (<c>ConnectionStrings:mlflow</c>), files under
/// <c>&lt;DryWet:Home&gt;/mlruns</c> embedded.
/// </summary>
public interface IExperimentTracker
{
    string Description { get; }

    /// <summary>Finds or creates the experiment by name and starts a run in it.</summary>
    Task<ITrackedRun> StartRunAsync(string experimentName, string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default);
}

/// <summary>A running experiment run. End it with <see cref="EndAsync"/>; disposing an un-ended run marks it FAILED.</summary>
public interface ITrackedRun : IAsyncDisposable
{
    string RunId { get; }
    string ExperimentId { get; }

    /// <summary>Where the run's artifacts live, as the tracking server reports it (mlflow-artifacts:/..., s3://..., file://...).</summary>
    string ArtifactUri { get; }

    Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default);

    Task LogMetricsAsync(IEnumerable<MetricPoint> metrics, CancellationToken cancellationToken = default);

    Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default);

    /// <summary>Logs one file under <paramref name="artifactPath"/> (a folder in the run's artifacts; null = root).</summary>
    Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default);

    /// <summary>Logs every file under a local folder, keeping relative paths, under <paramref name="artifactPath"/>.</summary>
    Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default);

    /// <summary>Records the datasets the run consumed (MLflow runs/log-inputs), each with its context tag.</summary>
    Task LogInputsAsync(IReadOnlyList<TrackedDataset> datasets, CancellationToken cancellationToken = default);

    /// <summary>
    /// Logs a model package (see <c>ModelPackage</c>) as the run's model at <paramref name="artifactPath"/> so MLflow's
    /// UI shows it as a model (artifacts + runs/log-model) and, where the server has them (MLflow ≥ 3, embedded), as a
    /// LoggedModel linked to the run as its output.
    /// </summary>
    Task<LoggedModelInfo> LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default);

    Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default);
}

public sealed record MetricPoint(string Key, double Value, long Step, DateTimeOffset Timestamp)
{
    public static MetricPoint Now(string key, double value, long step = 0) => new(key, value, step, DateTimeOffset.UtcNow);
}

public enum RunOutcome
{
    Finished,
    Failed,
    Killed,
}
