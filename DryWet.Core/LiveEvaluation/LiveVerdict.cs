using System.Globalization;

namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// The live gate's rule, shared by the trainer (which acts on it) and the web (which shows it): the shadow is promoted
/// when, on at least <c>evaluation.live_min_reviews</c> reviewed requests that both answered, it was right more often
/// than the champion and McNemar's exact test gives p below <c>evaluation.live_alpha</c>.
/// </summary>
public sealed record LiveVerdict(LiveVerdictKind Kind, string Reason, PairedComparison Comparison, double Alpha, int MinReviews)
{
    public const string PromotedOutcome = "promoted-live";

    /// <summary>Paired reviews still missing before the gate may decide; 0 once there are enough.</summary>
    public long ReviewsNeeded => Math.Max(0, MinReviews - Comparison.Reviews);

    /// <summary><c>promoted-live</c>, <c>champion-behind-live</c>, <c>champion-holds-live</c> or <c>no-paired-reviews</c>.</summary>
    public string OutcomeName => Kind switch
    {
        LiveVerdictKind.PromotedLive => PromotedOutcome,
        LiveVerdictKind.ChampionBehindLive => "champion-behind-live",
        LiveVerdictKind.ChampionHoldsLive => "champion-holds-live",
        _ => "no-paired-reviews",
    };

    public static LiveVerdict Decide(PairedComparison comparison, double alpha, int minReviews)
    {
        if (alpha is not (> 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "evaluation.live_alpha must be between 0 and 1 (exclusive).");
        }

        if (minReviews < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(minReviews), minReviews, "evaluation.live_min_reviews must be at least 1.");
        }

        string F(double v) => v.ToString("G4", CultureInfo.InvariantCulture);
        var numbers = comparison.ToString();
        var rule = $"evaluation.live_alpha {F(alpha)}, evaluation.live_min_reviews {minReviews}";
        if (comparison.Reviews == 0)
        {
            return new(LiveVerdictKind.NoPairedReviews,
                $"no reviewed request was answered by both champion v{comparison.ChampionVersion} and shadow v{comparison.ShadowVersion} yet ({rule})", comparison, alpha, minReviews);
        }

        if (!comparison.ShadowAhead)
        {
            return new(LiveVerdictKind.ChampionHoldsLive, $"{numbers}: the shadow is not ahead ({rule})", comparison, alpha, minReviews);
        }

        if (comparison.Reviews < minReviews)
        {
            return new(LiveVerdictKind.ChampionBehindLive,
                $"{numbers}: the shadow is ahead but {comparison.Reviews} paired reviews are fewer than evaluation.live_min_reviews {minReviews}", comparison, alpha, minReviews);
        }

        return comparison.PValue < alpha
            ? new(LiveVerdictKind.PromotedLive, $"{numbers}: p < evaluation.live_alpha {F(alpha)}", comparison, alpha, minReviews)
            : new(LiveVerdictKind.ChampionBehindLive, $"{numbers}: the shadow is ahead but p ≥ evaluation.live_alpha {F(alpha)}", comparison, alpha, minReviews);
    }
}
