using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.LiveEvaluation;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using DryWet.Web.Serving;
using DryWet.Core.Platform;

namespace DryWet.Web.Models;

/// <summary>
/// Assembles the model page: serving's <c>/model/info</c>, the registry's versions (the newest
/// <see cref="MaxVersions"/>, with aliases and stage), each version's run (accuracy, <c>drywet.promotion*</c> tags,
/// learning curves), the serving version's package reports, downloaded once into the cache, and the live accuracy
/// of each version on reviewed requests with the live gate's verdict (<see cref="LiveReviewReader"/>).
/// </summary>
public sealed class ModelOverviewReader(
    ServingClient serving, IModelRegistry registry, ITrackedRunReader runs, LiveReviewReader reviews, WebOptions options, WebCache cache,
    IConfiguration configuration, ILogger<ModelOverviewReader> logger)
{
    /// <summary>How many versions the page shows (newest first): each one reads its run from the tracker.</summary>
    public const int MaxVersions = 20;

    public const string PromotionTagPrefix = "drywet.promotion";

    public async Task<ModelOverview> ReadAsync(CancellationToken cancellationToken)
    {
        var servingTask = serving.GetModelInfoAsync(cancellationToken);
        var (versions, registryProblem) = await ResolveVersionsAsync(cancellationToken);
        var (info, servingProblem) = await servingTask;

        var views = new List<ModelVersionView>();
        LearningCurves? curves = null;
        foreach (var version in versions)
        {
            var isServing = info is not null && info.ModelName == version.Name && info.ModelVersion == version.Version;
            var run = await ReadRunAsync(version.RunId, cancellationToken);
            views.Add(new ModelVersionView(version.Version, version.CurrentStage, version.Aliases, version.Description,
                DateTimeOffset.FromUnixTimeMilliseconds(version.CreationTimestamp), version.RunId, Accuracy(run),
                PromotionTags(run, version),
                RunLink(run), isServing));
            if (run is not null && (isServing || curves is null))
            {
                curves = LearningCurves.From(run) ?? curves;
            }
        }

        var shown = versions.FirstOrDefault(v => info is not null && v.Version == info.ModelVersion) ?? versions.FirstOrDefault();
        var reports = shown is null ? [] : await ReadReportsAsync(shown, cancellationToken);
        var live = await ReadLiveAsync(versions, shown, cancellationToken);
        return new ModelOverview(info, servingProblem, views, registryProblem, registry.Description, curves, reports, live);
    }

    private async Task<LiveOverview> ReadLiveAsync(IReadOnlyList<ModelVersion> versions, ModelVersion? shown, CancellationToken cancellationToken)
    {
        // The gate's thresholds as the trainer used them: the serving package's config.yaml (the watcher trains with its --config).
        var thresholds = shown is null ? DryWetConfig.Default.Evaluation : LiveThresholds(cache.PackageDirectory(shown.Name, shown.Version));
        var champion = versions.FirstOrDefault(v => v.Aliases.Contains("production")) ?? versions.FirstOrDefault(v => v.CurrentStage == "Production");
        var challenger = versions.FirstOrDefault(v => v.Aliases.Contains("challenger") && v.Version != champion?.Version);
        try
        {
            var reading = await reviews.ReadAsync(options.ModelName, cancellationToken);
            var verdict = champion is null || challenger is null ? null
                : LiveVerdict.Decide(reading.Board.Compare(champion.Version, challenger.Version), thresholds.LiveAlpha, thresholds.LiveMinReviews);
            return new LiveOverview(reading.Board.Versions, champion?.Version, challenger?.Version, verdict, thresholds.LiveAlpha, thresholds.LiveMinReviews,
                reading.Problems.Count, reading.Problems.Count > 0 ? $"{reading.Problems.Count} reviews could not be scored, first: {reading.Problems[0]}" : null);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
        {
            logger.LogWarning(ex, "Reviews could not be read for live accuracy");
            return new LiveOverview([], champion?.Version, challenger?.Version, null, thresholds.LiveAlpha, thresholds.LiveMinReviews, 0,
                $"The reviews could not be read: {ex.Message}");
        }
    }

    private DryWetConfig.EvaluationSection LiveThresholds(string packageDirectory)
    {
        var path = Path.Combine(packageDirectory, ModelPackage.ConfigFile);
        try
        {
            return File.Exists(path) ? DryWetConfig.Load(path).Evaluation : DryWetConfig.Default.Evaluation;
        }
        catch (DryWetException ex)
        {
            logger.LogInformation("{Path} could not be read for the live gate's thresholds ({Reason}); showing the defaults", path, ex.Message);
            return DryWetConfig.Default.Evaluation;
        }
    }

    /// <summary>The package folder of a version in the cache (downloaded on first use), for the report pictures.</summary>
    public async Task<string> PackageDirectoryAsync(ModelVersion version, CancellationToken cancellationToken)
    {
        var directory = cache.PackageDirectory(version.Name, version.Version);
        if (!Directory.Exists(directory))
        {
            await registry.DownloadAsync(version, directory, cancellationToken);
        }

        return directory;
    }

    public async Task<ModelVersion?> FindAsync(string version, CancellationToken cancellationToken) =>
        (await ResolveVersionsAsync(cancellationToken)).Versions.FirstOrDefault(v => v.Version == version);

    private async Task<(IReadOnlyList<ModelVersion> Versions, string? Problem)> ResolveVersionsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var versions = await registry.ListVersionsAsync(options.ModelName, cancellationToken);
            return (versions.Take(MaxVersions).ToList(), null);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
        {
            logger.LogWarning(ex, "Registry {Registry} could not be read", registry.Description);
            return ([], $"The registry ({registry.Description}) could not be read: {ex.Message}");
        }
    }

    /// <summary>The gate's tags on the run, overridden by the version's (the live gate records on the version, after the run ended).</summary>
    private static Dictionary<string, string> PromotionTags(TrackedRunSnapshot? run, ModelVersion version)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in (run?.Tags ?? new Dictionary<string, string>()).Concat(version.Tags))
        {
            if (key.StartsWith(PromotionTagPrefix, StringComparison.Ordinal))
            {
                tags[key] = value;
            }
        }

        return tags;
    }

    private async Task<TrackedRunSnapshot?> ReadRunAsync(string? runId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(runId))
        {
            return null;
        }

        try
        {
            return await runs.GetRunAsync(runId, cancellationToken);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
        {
            logger.LogInformation("Run {RunId} could not be read: {Reason}", runId, ex.Message);
            return null;
        }
    }

    private async Task<IReadOnlyList<PackageReport>> ReadReportsAsync(ModelVersion version, CancellationToken cancellationToken)
    {
        try
        {
            var directory = await PackageDirectoryAsync(version, cancellationToken);
            return Directory.EnumerateFiles(directory)
                .Select(f => (Path: f, Name: Path.GetFileName(f)))
                .Where(f => IsReport(f.Name) || IsPicture(f.Name))
                .OrderBy(f => f.Name, StringComparer.Ordinal)
                .Select(f => new PackageReport(f.Name, IsPicture(f.Name) ? null : File.ReadAllText(f.Path), IsPicture(f.Name)))
                .ToList();
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
        {
            logger.LogInformation("Reports of version {Version} could not be read: {Reason}", version.Version, ex.Message);
            return [];
        }
    }

    // The trainer's reports (classification_report.txt, confusion_matrix.txt); requirements.txt is MLflow's, not a report.
    private static bool IsReport(string fileName) =>
        fileName.EndsWith(".txt", StringComparison.OrdinalIgnoreCase) && !fileName.Equals("requirements.txt", StringComparison.OrdinalIgnoreCase);

    public static bool IsPicture(string fileName) =>
        fileName.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || fileName.EndsWith(".svg", StringComparison.OrdinalIgnoreCase)
        || fileName.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase);

    private static double? Accuracy(TrackedRunSnapshot? run) =>
        run?.Metrics.TryGetValue("best_val_acc", out var best) == true && best.Count > 0 ? best[^1].Value
        : run?.Metrics.TryGetValue("val_acc", out var val) == true && val.Count > 0 ? val.Max(p => p.Value)
        : null;

    /// <summary>MLflow's UI link for the run in platform mode (the tracking server's own address; its UI is the same host).</summary>
    private Uri? RunLink(TrackedRunSnapshot? run)
    {
        var connection = configuration.GetConnectionString(PlatformNames.Mlflow);
        if (run is null || string.IsNullOrWhiteSpace(connection))
        {
            return null;
        }

        var root = MlflowConnectionString.Parse(connection);
        return new Uri(root, $"#/experiments/{Uri.EscapeDataString(run.ExperimentId)}/runs/{Uri.EscapeDataString(run.RunId)}");
    }
}
