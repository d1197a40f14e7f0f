using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.LiveEvaluation;
using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Training;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// The live gate (<c>promote --live</c>, and the watcher's live tick). Scores every reviewed request for the
/// champion that served it and the shadow that answered beside it (<see cref="LiveReviewReader"/>), records each
/// registered version's live accuracy (version tags <c>drywet.live.*</c>, run metrics <c>live_accuracy*</c>), and
/// promotes the <c>challenger</c> when it beats <c>production</c> on the same reviewed requests by McNemar's exact test
/// (<see cref="LiveVerdict"/>). Every verdict other than "no paired reviews" is recorded on the challenger
/// (<c>drywet.promotion.live*</c>); a promotion also as <c>drywet.promotion=promoted-live</c>, like the offline gate.
/// Writes only what changed, so a tick with no new reviews touches nothing.
/// </summary>
public sealed class LiveGate(IModelRegistry registry, LiveReviewReader reviews, IFinishedRunMetrics? runs, ILogger<LiveGate> logger)
{
    public const string Policy = "live";

    public async Task<LiveGateResult> CheckAsync(string modelName, DryWetConfig.EvaluationSection thresholds, CancellationToken cancellationToken)
    {
        var reading = await reviews.ReadAsync(modelName, cancellationToken);
        var versions = await registry.ListVersionsAsync(modelName, cancellationToken);
        var scored = new List<LiveAccuracy>();
        foreach (var version in versions)
        {
            if (reading.Board.For(version.Version) is { } live)
            {
                scored.Add(live);
                await RecordAccuracyAsync(version, live, cancellationToken);
            }
        }

        var champion = await registry.ResolveAsync(modelName, ModelRegistration.ProductionAlias, ModelRegistration.ProductionStage, cancellationToken);
        var challenger = versions.FirstOrDefault(v => v.Aliases.Contains(PromotionDecision.ChallengerAlias));
        var accuracies = scored.Count == 0 ? "no reviewed requests yet" : string.Join("; ", scored.Select(s => $"v{s.Version} {s}"));
        if (champion is null || challenger is null || challenger.Version == champion.Version)
        {
            return new LiveGateResult(scored, null, null,
                $"{accuracies}. Nothing to compare: {(champion is null ? "no production version" : $"no challenger other than production v{champion.Version}")}.");
        }

        var verdict = LiveVerdict.Decide(reading.Board.Compare(champion.Version, challenger.Version), thresholds.LiveAlpha, thresholds.LiveMinReviews);
        var promoted = await ApplyAsync(verdict, champion, challenger, cancellationToken);
        var needed = verdict.ReviewsNeeded > 0 ? $" ({verdict.ReviewsNeeded} more paired reviews before the gate may decide)" : "";
        return new LiveGateResult(scored, verdict, promoted, $"{accuracies}. Live gate: {verdict.OutcomeName}: {verdict.Reason}{needed}.");
    }

    private async Task<ModelVersion?> ApplyAsync(LiveVerdict verdict, ModelVersion champion, ModelVersion challenger, CancellationToken cancellationToken)
    {
        if (verdict.Kind == LiveVerdictKind.NoPairedReviews)
        {
            return null;
        }

        var tags = new Dictionary<string, string>(LiveTags.For(verdict), StringComparer.Ordinal);
        if (verdict.Kind == LiveVerdictKind.PromotedLive)
        {
            tags[PromotionDecision.OutcomeTag] = LiveVerdict.PromotedOutcome;
            tags[PromotionDecision.ReasonTag] = verdict.Reason;
            tags[PromotionDecision.ChampionVersionTag] = champion.Version;
            tags[PromotionDecision.PolicyTag] = Policy;
        }

        // The same verdict on the same reviews, recorded before, is not recorded (or counted) again; a promotion that
        // was recorded but not carried out (the registry failed in between) is still carried out.
        if (await SetChangedTagsAsync(challenger, tags, cancellationToken))
        {
            await LogMetricsAsync(challenger, [MetricPoint.Now(LiveTags.PValueMetric, verdict.Comparison.PValue, verdict.Comparison.Reviews)], cancellationToken);
            if (verdict.Kind is LiveVerdictKind.PromotedLive or LiveVerdictKind.ChampionBehindLive)
            {
                PromotionTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("outcome", verdict.OutcomeName));
            }

            if (verdict.Kind == LiveVerdictKind.ChampionBehindLive)
            {
                logger.LogWarning("Champion {Name} v{Champion} is behind its challenger v{Challenger} live: {Reason}", champion.Name, champion.Version, challenger.Version, verdict.Reason);
            }
        }

        if (verdict.Kind != LiveVerdictKind.PromotedLive)
        {
            return null;
        }

        var promoted = await registry.PromoteAsync(challenger.Name, challenger.Version, ModelRegistration.ProductionAlias, ModelRegistration.ProductionStage, cancellationToken);
        logger.LogInformation("{Name} v{Challenger} is now production, promoted live over v{Champion}: {Reason}", challenger.Name, challenger.Version, champion.Version, verdict.Reason);
        return promoted;
    }

    private async Task RecordAccuracyAsync(ModelVersion version, LiveAccuracy live, CancellationToken cancellationToken)
    {
        if (!await SetChangedTagsAsync(version, LiveTags.For(live), cancellationToken))
        {
            return;
        }

        var step = live.Reviewed;
        await LogMetricsAsync(version, [
            MetricPoint.Now(LiveTags.AccuracyMetric, live.Accuracy, step),
            MetricPoint.Now(LiveTags.ReviewedMetric, live.Reviewed, step),
            MetricPoint.Now(LiveTags.IntervalLowerMetric, live.Interval.Lower, step),
            MetricPoint.Now(LiveTags.IntervalUpperMetric, live.Interval.Upper, step),
        ], cancellationToken);
    }

    /// <summary>Sets the tags when any differs from the version's; false when all were already there.</summary>
    private async Task<bool> SetChangedTagsAsync(ModelVersion version, IReadOnlyDictionary<string, string> tags, CancellationToken cancellationToken)
    {
        if (tags.All(t => version.Tags.TryGetValue(t.Key, out var existing) && existing == t.Value))
        {
            return false;
        }

        await registry.SetVersionTagsAsync(version.Name, version.Version, tags, cancellationToken);
        return true;
    }

    /// <summary>Metrics on the version's training run; a run that is gone costs a warning, not the tick (the tags are the record).</summary>
    private async Task LogMetricsAsync(ModelVersion version, IReadOnlyList<MetricPoint> metrics, CancellationToken cancellationToken)
    {
        if (runs is null || string.IsNullOrEmpty(version.RunId))
        {
            return;
        }

        try
        {
            await runs.LogMetricsAsync(version.RunId, metrics, cancellationToken);
        }
        catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
        {
            logger.LogWarning("Live metrics of {Name} v{Version} could not be logged on run {RunId}: {Reason}", version.Name, version.Version, version.RunId,
                ex.Message);
        }
    }
}
