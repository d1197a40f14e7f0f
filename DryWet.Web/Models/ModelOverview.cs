using DryWet.Core.LiveEvaluation;
using DryWet.Web.Serving;

namespace DryWet.Web.Models;

/// <summary>Everything the model page shows, assembled once per request by <see cref="ModelOverviewReader"/>.</summary>
public sealed record ModelOverview(
    ServingModelInfo? Serving,
    string? ServingProblem,
    IReadOnlyList<ModelVersionView> Versions,
    string? RegistryProblem,
    string RegistryDescription,
    LearningCurves? Curves,
    IReadOnlyList<PackageReport> Reports,
    LiveOverview Live);

/// <summary>
/// Live accuracy on reviewed requests, per version, and the live gate's verdict on production vs challenger now
/// (<see cref="LiveVerdict"/>, with the thresholds of the serving package's config.yaml).
/// </summary>
public sealed record LiveOverview(
    IReadOnlyList<LiveAccuracy> Versions,
    string? ChampionVersion,
    string? ChallengerVersion,
    LiveVerdict? Verdict,
    double Alpha,
    int MinReviews,
    int Unscored,
    string? Problem);

/// <summary>One registered version with what its training run recorded.</summary>
public sealed record ModelVersionView(
    string Version,
    string Stage,
    IReadOnlyList<string> Aliases,
    string Description,
    DateTimeOffset Created,
    string? RunId,
    double? Accuracy,
    IReadOnlyDictionary<string, string> PromotionTags,
    Uri? RunLink,
    bool IsServing);

/// <summary>A file of the version's model package: a text report (shown inline) or a picture (served by the model API).</summary>
public sealed record PackageReport(string FileName, string? Text, bool IsPicture);
