using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking;

/// <summary>An MLflow run in progress. Disposing it without <see cref="EndAsync"/> marks it FAILED (best effort).</summary>
internal sealed class MlflowTrackedRun(MlflowClient client, MlflowArtifactLocation artifacts, MlflowRunInfo info, ILogger logger) : ITrackedRun
{
    private bool _ended;

    public string RunId => info.RunId;
    public string ExperimentId => info.ExperimentId;
    public string ArtifactUri => info.ArtifactUri;

    public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in parameters)
        {
            TrackingNames.ValidateKey("param", key);
            TrackingNames.ValidateValue("param", key, value, TrackingNames.MaxParamValueLength);
        }

        return client.LogBatchAsync(RunId, parameters: parameters.Select(p => new MlflowParam(p.Key, p.Value)).ToList(), cancellationToken: cancellationToken);
    }

    public Task LogMetricsAsync(IEnumerable<MetricPoint> metrics, CancellationToken cancellationToken = default)
    {
        var list = metrics.Select(m =>
        {
            TrackingNames.ValidateKey("metric", m.Key);
            return new MlflowMetric(m.Key, m.Value, m.Timestamp.ToUnixTimeMilliseconds(), m.Step);
        }).ToList();
        return client.LogBatchAsync(RunId, metrics: list, cancellationToken: cancellationToken);
    }

    public Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in tags)
        {
            TrackingNames.ValidateKey("tag", key);
            TrackingNames.ValidateValue("tag", key, value, TrackingNames.MaxTagValueLength);
        }

        return client.LogBatchAsync(RunId, tags: tags.Select(t => new MlflowTag(t.Key, t.Value)).ToList(), cancellationToken: cancellationToken);
    }

    public async Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(localFile))
        {
            throw new DryWetException($"Cannot log artifact '{localFile}': the file does not exist.");
        }

        await artifacts.UploadAsync(ArtifactUri, JoinArtifactPath(artifactPath, Path.GetFileName(localFile)), localFile, cancellationToken);
    }

    public async Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(localDirectory))
        {
            throw new DryWetException($"Cannot log artifacts from '{localDirectory}': the folder does not exist.");
        }

        foreach (var file in Directory.EnumerateFiles(localDirectory, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(localDirectory, file).Replace(Path.DirectorySeparatorChar, '/');
            await artifacts.UploadAsync(ArtifactUri, JoinArtifactPath(artifactPath, relative), file, cancellationToken);
        }
    }

    public async Task LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default)
    {
        var mlmodel = Path.Combine(packageDirectory, "MLmodel");
        if (!File.Exists(mlmodel))
        {
            throw new DryWetException($"'{packageDirectory}' is not a model package (no MLmodel file); cannot log it as a model.");
        }

        var modelJson = MlmodelJson.FromMlmodel(mlmodel, RunId, artifactPath);
        await LogArtifactsAsync(packageDirectory, artifactPath, cancellationToken);
        // Recorded after the files are up, so the UI never lists a model whose files are missing.
        await client.LogModelAsync(RunId, modelJson, cancellationToken);
        logger.LogInformation("Logged model {Package} to run {RunId} at {ArtifactUri}/{Path}", packageDirectory, RunId, ArtifactUri, artifactPath);
    }

    public async Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default)
    {
        await client.UpdateRunAsync(RunId, TrackingNames.ToStatusName(outcome), DateTimeOffset.UtcNow, cancellationToken);
        _ended = true;
        logger.LogInformation("MLflow run {RunId} ended {Status}", RunId, TrackingNames.ToStatusName(outcome));
    }

    public async ValueTask DisposeAsync()
    {
        if (_ended)
        {
            return;
        }

        try
        {
            await EndAsync(RunOutcome.Failed);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or OperationCanceledException)
        {
            // The server may be the reason the run failed; the run then stays RUNNING in MLflow. Say so, don't mask the cause.
            logger.LogError("Could not mark MLflow run {RunId} FAILED: {Error}. It will show as RUNNING in the MLflow UI.", RunId, ex.Message);
        }
    }

    private static string JoinArtifactPath(string? folder, string relative) =>
        string.IsNullOrEmpty(folder) ? relative : $"{folder.Trim('/')}/{relative}";
}
