namespace DryWet.Core.Tracking;

/// <summary>What a tracker recorded for a run, read back (for tests, diagnostics and `runs show`-style commands).</summary>
public sealed record TrackedRunSnapshot(
    string RunId,
    string ExperimentId,
    string RunName,
    string Status,
    long StartTime,
    long? EndTime,
    string ArtifactUri,
    IReadOnlyDictionary<string, string> Params,
    IReadOnlyDictionary<string, string> Tags,
    IReadOnlyDictionary<string, IReadOnlyList<MetricPoint>> Metrics,
    IReadOnlyList<string> ArtifactPaths)
{
    /// <summary>The datasets recorded with runs/log-inputs.</summary>
    public IReadOnlyList<TrackedDataset> Datasets { get; init; } = [];

    /// <summary>The LoggedModels that are the run's outputs (none against MLflow 2.x).</summary>
    public IReadOnlyList<LoggedModelSnapshot> LoggedModels { get; init; } = [];
}

/// <summary>Adapters that can read a run back implement this next to <see cref="IExperimentTracker"/>.</summary>
public interface ITrackedRunReader
{
    Task<TrackedRunSnapshot> GetRunAsync(string runId, CancellationToken cancellationToken = default);
}
