using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking;

/// <summary>An MLflow run in progress. Disposing it without <see cref="EndAsync"/> marks it FAILED (best effort).</summary>
internal sealed class MlflowTrackedRun(MlflowClient client, MlflowArtifactLocation artifacts, MlflowRunInfo info, ILogger logger) : ITrackedRun
{
    private readonly Dictionary<string, string> _params = [];
    private SystemMetricsMonitor? _systemMetrics;
    private bool _ended;

    public string RunId => info.RunId;
    public string ExperimentId => info.ExperimentId;
    public string ArtifactUri => info.ArtifactUri;

    internal void StartSystemMetrics(TimeSpan interval) =>
        _systemMetrics = SystemMetricsMonitor.Start(interval, LogMetricsAsync, logger, RunId);

    public Task LogInputsAsync(IReadOnlyList<TrackedDataset> datasets, CancellationToken cancellationToken = default)
    {
        foreach (var dataset in datasets)
        {
            dataset.Validate();
        }

        return LogInputsOrSkipAsync(datasets.Select(d => new MlflowDatasetInput(
            [new MlflowInputTag(TrackedDataset.ContextTag, d.Context)],
            new MlflowDataset(d.Name, d.Digest, d.SourceType, d.Source, d.Schema, d.Profile))).ToList(), cancellationToken);
    }

    private async Task LogInputsOrSkipAsync(IReadOnlyList<MlflowDatasetInput> inputs, CancellationToken cancellationToken)
    {
        try
        {
            await client.LogInputsAsync(RunId, inputs, cancellationToken);
        }
        catch (MlflowException ex) when (MlflowClient.IsEndpointNotFound(ex))
        {
            // runs/log-inputs came with MLflow 2.4; an older server keeps the dataset only as the dataset.* run tags.
            logger.LogWarning("MLflow at {Server} has no runs/log-inputs (older than 2.4); run {RunId} records its dataset as tags only.", client.BaseAddress, RunId);
        }
    }

    public Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in parameters)
        {
            TrackingNames.ValidateKey("param", key);
            TrackingNames.ValidateValue("param", key, value, TrackingNames.MaxParamValueLength);
        }

        return LogParamsAndRememberAsync(parameters, cancellationToken);
    }

    private async Task LogParamsAndRememberAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        await client.LogBatchAsync(RunId, parameters: parameters.Select(p => new MlflowParam(p.Key, p.Value)).ToList(), cancellationToken: cancellationToken);
        // The LoggedModel carries the run's params, as mlflow's log_model copies them.
        lock (_params)
        {
            foreach (var (key, value) in parameters)
            {
                _params[key] = value;
            }
        }
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

    public async Task<LoggedModelInfo> LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default)
    {
        var mlmodel = Path.Combine(packageDirectory, "MLmodel");
        if (!File.Exists(mlmodel))
        {
            throw new DryWetException($"'{packageDirectory}' is not a model package (no MLmodel file); cannot log it as a model.");
        }

        Dictionary<string, string> runParams;
        lock (_params)
        {
            runParams = new Dictionary<string, string>(_params);
        }

        // MLflow 3 creates the LoggedModel first, so that the MLmodel (run copy and LoggedModel copy) names its model_id.
        var model = await MlflowLoggedModelWriter.TryCreateAsync(client, info, runParams, artifactPath, logger, cancellationToken);
        var runModelUri = $"{ArtifactUri.TrimEnd('/')}/{artifactPath}";
        async Task LogRunCopyAsync()
        {
            if (model is not null)
            {
                await Packaging.ModelPackage.SetModelIdAsync(packageDirectory, model.Info.ModelId, cancellationToken);
            }

            var modelJson = MlmodelJson.FromMlmodel(mlmodel, RunId, artifactPath);
            await LogArtifactsAsync(packageDirectory, artifactPath, cancellationToken);
            // Recorded after the files are up, so the UI never lists a model whose files are missing.
            await client.LogModelAsync(RunId, modelJson, cancellationToken);
            logger.LogInformation("Logged model {Package} to run {RunId} at {ArtifactUri}/{Path}", packageDirectory, RunId, ArtifactUri, artifactPath);
        }

        if (model is null)
        {
            await LogRunCopyAsync();
            return new LoggedModelInfo(runModelUri, null, null);
        }

        await MlflowLoggedModelWriter.FailedUnlessAsync(client, model.Info.ModelId, logger, LogRunCopyAsync);
        return await MlflowLoggedModelWriter.CompleteAsync(client, artifacts, info, model, packageDirectory, runModelUri, logger, cancellationToken);
    }

    public async Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default)
    {
        if (_systemMetrics is not null)
        {
            // Stopped before the status changes, so no sample lands after the end (as MLflow's end_run does).
            await _systemMetrics.DisposeAsync();
            _systemMetrics = null;
        }

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
