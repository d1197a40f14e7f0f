using System.Globalization;
using DryWet.Core.Storage;
using Microsoft.Extensions.Logging;
using YamlDotNet.RepresentationModel;

namespace DryWet.Core.Tracking;

/// <summary>
/// Experiment tracking on local disk, in MLflow's FileStore layout so `mlflow ui --backend-store-uri &lt;home&gt;/mlruns`
/// can browse it: <c>mlruns/&lt;exp_id&gt;/meta.yaml</c>, <c>mlruns/&lt;exp_id&gt;/&lt;run_id&gt;/{meta.yaml, params/, metrics/, tags/, artifacts/}</c>.
/// Metric files hold one "timestamp value step" line per point.
/// </summary>
public sealed class EmbeddedExperimentTracker(string root, ILogger<EmbeddedExperimentTracker> logger, TrackingOptions? options = null)
    : IExperimentTracker, ITrackedRunReader, IFinishedRunMetrics
{
    private readonly string _root = Path.GetFullPath(root);
    private readonly TrackingOptions _options = (options ?? new TrackingOptions()).Validated();
    private bool _repaired;

    public string Description => $"embedded at {_root}";

    public async Task<ITrackedRun> StartRunAsync(string experimentName, string? runName = null,
        IReadOnlyDictionary<string, string>? tags = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(experimentName))
        {
            throw new DryWetException("The experiment name is empty; set mlflow.experiment_name in config.yaml.");
        }

        await RepairOnceAsync(cancellationToken);
        var experimentId = await GetOrCreateExperimentAsync(experimentName, cancellationToken);
        var runId = Guid.NewGuid().ToString("N");
        runName ??= $"run-{runId[..8]}";
        var runDir = Path.Combine(_root, experimentId, runId);
        foreach (var sub in new[] { "params", "metrics", "tags", "artifacts" })
        {
            Directory.CreateDirectory(Path.Combine(runDir, sub));
        }

        var run = new EmbeddedTrackedRun(runDir, experimentId, runId, runName, DateTimeOffset.UtcNow, logger);
        await run.WriteMetaAsync(status: 1, endTime: null, cancellationToken);
        var allTags = new Dictionary<string, string>
        {
            ["mlflow.runName"] = runName,
            ["mlflow.user"] = Environment.UserName,
            ["mlflow.source.name"] = "drywet-trainer",
            ["mlflow.source.type"] = "LOCAL",
        };
        foreach (var (key, value) in tags ?? new Dictionary<string, string>())
        {
            allTags[key] = value;
        }

        await run.SetTagsAsync(allTags, cancellationToken);
        run.StartSystemMetrics(_options.SystemMetricsInterval);
        logger.LogInformation("Started embedded run {RunId} ({RunName}) in experiment {Experiment} ({ExperimentId}) at {RunDir}",
            runId, runName, experimentName, experimentId, runDir);
        return run;
    }

    /// <summary>LoggedModel files of an older DryWet are brought into MLflow's layout before the first new run.</summary>
    private async Task RepairOnceAsync(CancellationToken cancellationToken)
    {
        if (_repaired)
        {
            return;
        }

        var count = await EmbeddedLoggedModelRepair.RepairAsync(_root, cancellationToken);
        if (count > 0)
        {
            logger.LogWarning("Rewrote {Count} LoggedModel file(s) under {Root} that an older DryWet wrote in a layout MLflow cannot read (status as text, outputs without tags).",
                count, _root);
        }

        _repaired = true;
    }

    public async Task LogMetricsAsync(string runId, IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken = default)
    {
        var runDir = RunDirectory(runId);
        foreach (var group in metrics.GroupBy(m => m.Key))
        {
            TrackingNames.ValidateKey("metric", group.Key);
            var file = Path.Combine(runDir, "metrics", group.Key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            // The run's own format: one "timestamp value step" line per point, appended in one call.
            await File.AppendAllTextAsync(file, string.Concat(group.Select(m => string.Create(CultureInfo.InvariantCulture,
                $"{m.Timestamp.ToUnixTimeMilliseconds()} {m.Value:R} {m.Step}\n"))), cancellationToken);
        }
    }

    private string RunDirectory(string runId)
    {
        var runDir = Directory.Exists(_root) && runId.Length > 0 && !runId.Contains('/') && !runId.Contains("..") && !runId.Contains('\\')
            ? Directory.EnumerateDirectories(_root).Select(e => Path.Combine(e, runId)).FirstOrDefault(Directory.Exists)
            : null;
        return runDir ?? throw new DryWetException($"Run '{runId}' was not found under {_root}.");
    }

    public Task<TrackedRunSnapshot> GetRunAsync(string runId, CancellationToken cancellationToken = default)
    {
        var runDir = RunDirectory(runId);

        var meta = ReadYaml(Path.Combine(runDir, "meta.yaml"));
        string Field(string key) => meta.Children.TryGetValue(new YamlScalarNode(key), out var v) && v is YamlScalarNode { Value: { } s } ? s : "";
        var status = Field("status") switch { "1" => "RUNNING", "3" => "FINISHED", "4" => "FAILED", "5" => "KILLED", var s => s };
        var metrics = new Dictionary<string, IReadOnlyList<MetricPoint>>();
        var metricsDir = Path.Combine(runDir, "metrics");
        foreach (var (key, file) in KeyFiles(metricsDir))
        {
            metrics[key] = File.ReadAllLines(file).Where(l => l.Length > 0).Select(line =>
            {
                var parts = line.Split(' ');
                return new MetricPoint(key, double.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture),
                    DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(parts[0], CultureInfo.InvariantCulture)));
            }).OrderBy(m => m.Step).ThenBy(m => m.Timestamp).ToList();
        }

        var artifactsDir = Path.Combine(runDir, "artifacts");
        var snapshot = new TrackedRunSnapshot(runId, Field("experiment_id"), Field("run_name"), status,
            long.Parse(Field("start_time"), CultureInfo.InvariantCulture),
            long.TryParse(Field("end_time"), CultureInfo.InvariantCulture, out var end) ? end : null,
            Field("artifact_uri"),
            KeyFiles(Path.Combine(runDir, "params")).ToDictionary(k => k.Key, k => File.ReadAllText(k.File)),
            KeyFiles(Path.Combine(runDir, "tags")).ToDictionary(k => k.Key, k => File.ReadAllText(k.File)),
            metrics,
            Directory.EnumerateFiles(artifactsDir, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(artifactsDir, f).Replace(Path.DirectorySeparatorChar, '/'))
                .Where(p => !p.Split('/').Last().StartsWith('.'))
                .Order(StringComparer.Ordinal).ToList())
        {
            Datasets = EmbeddedRunInputs.Read(Path.GetDirectoryName(runDir)!, runDir),
            LoggedModels = EmbeddedLoggedModels.Read(Path.GetDirectoryName(runDir)!, runDir),
        };
        return Task.FromResult(snapshot);
    }

    private async Task<string> GetOrCreateExperimentAsync(string name, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(_root);
        using var _ = await FileLock.AcquireAsync(Path.Combine(_root, ".lock"), cancellationToken: cancellationToken);
        var ids = new List<long>();
        foreach (var dir in Directory.EnumerateDirectories(_root))
        {
            var meta = Path.Combine(dir, "meta.yaml");
            if (!long.TryParse(Path.GetFileName(dir), out var id) || !File.Exists(meta))
            {
                continue;
            }

            ids.Add(id);
            var yaml = ReadYaml(meta);
            if (yaml.Children.TryGetValue(new YamlScalarNode("name"), out var n) && n is YamlScalarNode { Value: { } existing } && existing == name)
            {
                return id.ToString(CultureInfo.InvariantCulture);
            }
        }

        // MLflow's FileStore keeps "0" for "Default"; new experiments count up from 1.
        var newId = (ids.Count == 0 ? 1 : Math.Max(1, ids.Max() + 1)).ToString(CultureInfo.InvariantCulture);
        var expDir = Path.Combine(_root, newId);
        Directory.CreateDirectory(expDir);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await AtomicFile.WriteAllTextAsync(Path.Combine(expDir, "meta.yaml"),
            $"artifact_location: {new Uri(expDir + "/").AbsoluteUri.TrimEnd('/')}\ncreation_time: {now}\nexperiment_id: '{newId}'\n" +
            $"last_update_time: {now}\nlifecycle_stage: active\nname: {EmbeddedTrackedRun.YamlString(name)}\n", cancellationToken);
        logger.LogInformation("Created embedded experiment {Experiment} ({ExperimentId})", name, newId);
        return newId;
    }

    private static IEnumerable<(string Key, string File)> KeyFiles(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Where(f => !Path.GetFileName(f).StartsWith('.'))
                .Select(f => (Path.GetRelativePath(dir, f).Replace(Path.DirectorySeparatorChar, '/'), f))
            : [];

    internal static YamlMappingNode ReadYaml(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.FirstOrDefault()?.RootNode as YamlMappingNode ?? new YamlMappingNode();
    }
}
