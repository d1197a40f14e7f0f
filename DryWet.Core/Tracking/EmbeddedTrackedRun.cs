using System.Globalization;
using DryWet.Core.Storage;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking;

/// <summary>A run in the embedded tracker (MLflow FileStore layout). Params are write-once, as in MLflow.</summary>
internal sealed class EmbeddedTrackedRun(string runDir, string experimentId, string runId, string runName, DateTimeOffset startTime, ILogger logger)
    : ITrackedRun
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private SystemMetricsMonitor? _systemMetrics;
    private bool _ended;

    public string RunId => runId;
    public string ExperimentId => experimentId;
    public string ArtifactUri => new Uri(Path.Combine(runDir, "artifacts") + "/").AbsoluteUri.TrimEnd('/');

    private string ArtifactsDir => Path.Combine(runDir, "artifacts");

    private string ExperimentDir => Path.GetDirectoryName(runDir)!;

    internal void StartSystemMetrics(TimeSpan interval) =>
        _systemMetrics = SystemMetricsMonitor.Start(interval, LogMetricsAsync, logger, runId);

    public async Task LogInputsAsync(IReadOnlyList<TrackedDataset> datasets, CancellationToken cancellationToken = default)
    {
        foreach (var dataset in datasets)
        {
            await EmbeddedRunInputs.WriteAsync(ExperimentDir, runDir, runId, dataset, cancellationToken);
        }
    }

    public async Task LogParamsAsync(IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in parameters)
        {
            TrackingNames.ValidateKey("param", key);
            TrackingNames.ValidateValue("param", key, value, TrackingNames.MaxParamValueLength);
            var file = KeyFile("params", key);
            if (File.Exists(file) && await File.ReadAllTextAsync(file, cancellationToken) is var existing && existing != value)
            {
                throw new DryWetException($"Param '{key}' was already logged with value '{existing}' and cannot be changed to '{value}' (params are write-once, as in MLflow).");
            }

            await AtomicFile.WriteAllTextAsync(file, value, cancellationToken);
        }
    }

    public async Task LogMetricsAsync(IEnumerable<MetricPoint> metrics, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            foreach (var group in metrics.GroupBy(m => m.Key))
            {
                TrackingNames.ValidateKey("metric", group.Key);
                var lines = group.Select(m => string.Create(CultureInfo.InvariantCulture,
                    $"{m.Timestamp.ToUnixTimeMilliseconds()} {m.Value:R} {m.Step}\n"));
                var file = KeyFile("metrics", group.Key);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                // Append-only history, like MLflow's FileStore; a line is written in one call.
                await File.AppendAllTextAsync(file, string.Concat(lines), cancellationToken);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task SetTagsAsync(IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken = default)
    {
        foreach (var (key, value) in tags)
        {
            TrackingNames.ValidateKey("tag", key);
            TrackingNames.ValidateValue("tag", key, value, TrackingNames.MaxTagValueLength);
            await AtomicFile.WriteAllTextAsync(KeyFile("tags", key), value, cancellationToken);
        }
    }

    public async Task LogArtifactAsync(string localFile, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(localFile))
        {
            throw new DryWetException($"Cannot log artifact '{localFile}': the file does not exist.");
        }

        await AtomicFile.CopyAsync(localFile, Path.Combine(ArtifactFolder(artifactPath), Path.GetFileName(localFile)), cancellationToken);
    }

    public Task LogArtifactsAsync(string localDirectory, string? artifactPath = null, CancellationToken cancellationToken = default)
    {
        if (!Directory.Exists(localDirectory))
        {
            throw new DryWetException($"Cannot log artifacts from '{localDirectory}': the folder does not exist.");
        }

        var target = ArtifactFolder(artifactPath);
        if (string.IsNullOrEmpty(artifactPath))
        {
            AtomicDirectory.CopyTree(localDirectory, target);
            return Task.CompletedTask;
        }

        // A named folder (e.g. "model") appears whole or not at all.
        return AtomicDirectory.WriteAsync(target, temp =>
        {
            if (Directory.Exists(target))
            {
                AtomicDirectory.CopyTree(target, temp);
            }

            AtomicDirectory.CopyTree(localDirectory, temp);
            return Task.CompletedTask;
        });
    }

    public async Task<LoggedModelInfo> LogModelAsync(string packageDirectory, string artifactPath = "model", CancellationToken cancellationToken = default)
    {
        var mlmodel = Path.Combine(packageDirectory, "MLmodel");
        if (!File.Exists(mlmodel))
        {
            throw new DryWetException($"'{packageDirectory}' is not a model package (no MLmodel file); cannot log it as a model.");
        }

        // As MLflow 3's log_model: the LoggedModel first (PENDING), so both copies of the MLmodel name its model_id.
        var model = await EmbeddedLoggedModels.CreateAsync(ExperimentDir, experimentId, runDir, runId, artifactPath, cancellationToken);
        await Packaging.ModelPackage.SetModelIdAsync(packageDirectory, model.ModelId, cancellationToken);
        var modelJson = Mlflow.MlmodelJson.FromMlmodel(mlmodel, RunId, artifactPath);
        await LogArtifactsAsync(packageDirectory, artifactPath, cancellationToken);
        // What MLflow's runs/log-model does: append to the mlflow.log-model.history tag (a JSON list).
        var historyFile = KeyFile("tags", "mlflow.log-model.history");
        var history = File.Exists(historyFile)
            ? System.Text.Json.Nodes.JsonNode.Parse(await File.ReadAllTextAsync(historyFile, cancellationToken))?.AsArray() ?? []
            : new System.Text.Json.Nodes.JsonArray();
        history.Add(System.Text.Json.Nodes.JsonNode.Parse(modelJson));
        await AtomicFile.WriteAllTextAsync(historyFile, history.ToJsonString(), cancellationToken);
        return await EmbeddedLoggedModels.CompleteAsync(model, runDir, $"{ArtifactUri}/{artifactPath}", packageDirectory, cancellationToken);
    }

    public async Task EndAsync(RunOutcome outcome, CancellationToken cancellationToken = default)
    {
        var status = outcome switch { RunOutcome.Finished => 3, RunOutcome.Failed => 4, _ => 5 };
        if (_systemMetrics is not null)
        {
            // Stopped before the status changes, so no sample lands after the end (as MLflow's end_run does).
            await _systemMetrics.DisposeAsync();
            _systemMetrics = null;
        }

        await WriteMetaAsync(status, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), cancellationToken);
        _ended = true;
        logger.LogInformation("Embedded run {RunId} ended {Status}", RunId, TrackingNames.ToStatusName(outcome));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_ended)
        {
            await EndAsync(RunOutcome.Failed);
        }

        _gate.Dispose();
    }

    internal Task WriteMetaAsync(int status, long? endTime, CancellationToken cancellationToken) =>
        AtomicFile.WriteAllTextAsync(Path.Combine(runDir, "meta.yaml"), string.Create(CultureInfo.InvariantCulture,
            $"artifact_uri: {ArtifactUri}\nend_time: {(endTime?.ToString(CultureInfo.InvariantCulture) ?? "null")}\nentry_point_name: ''\n" +
            $"experiment_id: '{experimentId}'\nlifecycle_stage: active\nrun_id: {runId}\nrun_name: {YamlString(runName)}\nrun_uuid: {runId}\n" +
            $"source_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: {startTime.ToUnixTimeMilliseconds()}\nstatus: {status}\n" +
            $"tags: []\nuser_id: {YamlString(Environment.UserName)}\n"), cancellationToken);

    internal static string YamlString(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private string KeyFile(string kind, string key) => Path.Combine(runDir, kind, key.Replace('/', Path.DirectorySeparatorChar));

    private string ArtifactFolder(string? artifactPath)
    {
        if (string.IsNullOrEmpty(artifactPath))
        {
            return ArtifactsDir;
        }

        if (artifactPath.Split('/').Any(s => s is ".." or ".") || Path.IsPathRooted(artifactPath) || artifactPath.Contains('\\'))
        {
            throw new DryWetException($"Artifact path '{artifactPath}' is invalid: use a relative '/'-separated path without '.' or '..'.");
        }

        return Path.Combine(ArtifactsDir, artifactPath.Trim('/'));
    }
}
