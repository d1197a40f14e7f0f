using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking;

/// <summary>Experiment tracking on an MLflow tracking server (REST API 2.0), through <see cref="MlflowClient"/>.</summary>
public sealed class MlflowExperimentTracker(MlflowClient client, MlflowArtifactLocation artifacts, ILogger<MlflowExperimentTracker> logger,
    TrackingOptions? options = null)
    : IExperimentTracker, ITrackedRunReader, IFinishedRunMetrics
{
    private readonly TrackingOptions _options = (options ?? new TrackingOptions()).Validated();

    public string Description => $"MLflow at {client.BaseAddress}";

    public async Task<ITrackedRun> StartRunAsync(string experimentName, string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        var experiment = await client.GetOrCreateExperimentAsync(experimentName, cancellationToken);
        var allTags = new Dictionary<string, string>
        {
            ["mlflow.user"] = Environment.UserName,
            ["mlflow.source.name"] = "drywet-trainer",
            ["mlflow.source.type"] = "LOCAL",
        };
        if (runName is not null)
        {
            allTags["mlflow.runName"] = runName;
        }

        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            TrackingNames.ValidateKey("tag", key);
            allTags[key] = value;
        }

        var run = await client.CreateRunAsync(experiment.ExperimentId, runName, DateTimeOffset.UtcNow,
            allTags.Select(t => new MlflowTag(t.Key, t.Value)).ToList(), cancellationToken);
        logger.LogInformation("Started MLflow run {RunId} ({RunName}) in experiment {Experiment} ({ExperimentId}); artifacts at {ArtifactUri}",
            run.Info.RunId, run.Info.RunName, experimentName, experiment.ExperimentId, run.Info.ArtifactUri);
        var tracked = new MlflowTrackedRun(client, artifacts, run.Info, logger);
        tracked.StartSystemMetrics(_options.SystemMetricsInterval);
        return tracked;
    }

    public Task LogMetricsAsync(string runId, IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken = default)
    {
        var list = metrics.Select(m =>
        {
            TrackingNames.ValidateKey("metric", m.Key);
            return new MlflowMetric(m.Key, m.Value, m.Timestamp.ToUnixTimeMilliseconds(), m.Step);
        }).ToList();
        return client.LogBatchAsync(runId, metrics: list, cancellationToken: cancellationToken);
    }

    public async Task<TrackedRunSnapshot> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var run = await client.GetRunAsync(runId, cancellationToken);
        var metrics = new Dictionary<string, IReadOnlyList<MetricPoint>>();
        foreach (var key in (run.Data?.Metrics ?? []).Select(m => m.Key).Distinct())
        {
            var history = await client.GetMetricHistoryAsync(runId, key, cancellationToken);
            metrics[key] = history
                .Select(m => new MetricPoint(m.Key, m.Value, m.Step, DateTimeOffset.FromUnixTimeMilliseconds(m.Timestamp)))
                .OrderBy(m => m.Step).ThenBy(m => m.Timestamp).ToList();
        }

        IReadOnlyList<string> artifactPaths;
        try
        {
            artifactPaths = await artifacts.ListFilesAsync(run.Info.ArtifactUri, cancellationToken);
        }
        catch (MlflowException ex) when (ex.IsNotFound)
        {
            artifactPaths = [];
        }

        return new TrackedRunSnapshot(run.Info.RunId, run.Info.ExperimentId, run.Info.RunName ?? "", run.Info.Status,
            run.Info.StartTime ?? 0, run.Info.EndTime, run.Info.ArtifactUri,
            (run.Data?.Params ?? []).ToDictionary(p => p.Key, p => p.Value),
            (run.Data?.Tags ?? []).ToDictionary(t => t.Key, t => t.Value),
            metrics, artifactPaths)
        {
            Datasets = (run.Inputs?.DatasetInputs ?? []).Select(i => new TrackedDataset(i.Dataset.Name, i.Dataset.Digest, i.Dataset.SourceType,
                i.Dataset.Source, i.Dataset.Schema, i.Dataset.Profile,
                i.Tags?.FirstOrDefault(t => t.Key == TrackedDataset.ContextTag)?.Value ?? "")).ToList(),
            LoggedModels = await ReadLoggedModelsAsync(run, cancellationToken),
        };
    }

    private async Task<IReadOnlyList<LoggedModelSnapshot>> ReadLoggedModelsAsync(MlflowRun run, CancellationToken cancellationToken)
    {
        var models = new List<LoggedModelSnapshot>();
        foreach (var output in run.Outputs?.ModelOutputs ?? [])
        {
            var model = await client.GetLoggedModelAsync(output.ModelId, cancellationToken);
            models.Add(new LoggedModelSnapshot(model.Info.ModelId, model.Info.Name, model.Info.Status, model.Info.ArtifactUri,
                model.Info.SourceRunId, (model.Data?.Params ?? []).ToDictionary(p => p.Key, p => p.Value),
                await artifacts.ListFilesAsync(model.Info.ArtifactUri, cancellationToken))
            {
                Tags = (model.Info.Tags ?? []).ToDictionary(t => t.Key, t => t.Value, StringComparer.Ordinal),
            });
        }

        return models;
    }
}
