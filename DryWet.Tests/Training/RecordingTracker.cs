using System.Collections.Concurrent;
using DryWet.Core.Tracking;

namespace DryWet.Tests.Training;

/// <summary>An in-memory tracker that records what the trainer logs (tests only; the real adapters have their own tests).</summary>
internal sealed class RecordingTracker : IExperimentTracker
{
    public ConcurrentQueue<RecordingRun> Runs { get; } = new();

    public string Description => "in-memory (test)";

    public Task<ITrackedRun> StartRunAsync(string experimentName, string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        var run = new RecordingRun(experimentName);
        foreach (var (k, v) in tags ?? new Dictionary<string, string>())
        {
            run.Tags[k] = v;
        }

        Runs.Enqueue(run);
        return Task.FromResult<ITrackedRun>(run);
    }
}

internal sealed class RecordingRun(string experimentName) : ITrackedRun
{
    public string ExperimentName { get; } = experimentName;
    public string RunId { get; } = Guid.NewGuid().ToString("N");
    public string ExperimentId => "1";
    public string ArtifactUri => $"memory:/{RunId}/artifacts";
    public Dictionary<string, string> Params { get; } = [];
    public Dictionary<string, string> Tags { get; } = [];
    public List<MetricPoint> Metrics { get; } = [];
    public List<string> Artifacts { get; } = [];
    public List<(string Directory, string ArtifactPath, string[] Files)> Models { get; } = [];
    public List<TrackedDataset> Datasets { get; } = [];
    public RunOutcome? Outcome { get; private set; }

    public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        foreach (var (k, v) in parameters)
        {
            Params[k] = v;
        }

        return Task.CompletedTask;
    }

    public Task LogMetricsAsync(IEnumerable<MetricPoint> metrics, CancellationToken cancellationToken = default)
    {
        Metrics.AddRange(metrics);
        return Task.CompletedTask;
    }

    public Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        foreach (var (k, v) in tags)
        {
            Tags[k] = v;
        }

        return Task.CompletedTask;
    }

    public Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        Artifacts.Add(Path.Combine(artifactPath ?? "", Path.GetFileName(localFile)));
        return Task.CompletedTask;
    }

    public Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        foreach (var file in Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories))
        {
            Artifacts.Add(Path.Combine(artifactPath ?? "", Path.GetRelativePath(localDirectory, file)));
        }

        return Task.CompletedTask;
    }

    public Task LogInputsAsync(IReadOnlyList<TrackedDataset> datasets, CancellationToken cancellationToken = default)
    {
        foreach (var dataset in datasets)
        {
            dataset.Validate();
            Datasets.Add(dataset);
        }

        return Task.CompletedTask;
    }

    public Task<LoggedModelInfo> LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default)
    {
        Models.Add((packageDirectory, artifactPath, Directory.GetFiles(packageDirectory).Select(f => Path.GetFileName(f)).Order().ToArray()));
        return Task.FromResult(new LoggedModelInfo($"{ArtifactUri}/{artifactPath}", null, null));
    }

    public Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default)
    {
        Outcome = outcome;
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Outcome ??= RunOutcome.Failed;
        return ValueTask.CompletedTask;
    }
}
