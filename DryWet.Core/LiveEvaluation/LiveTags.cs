using System.Globalization;

namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// Where live numbers are recorded: version tags in the registry (embedded and MLflow alike) and metrics on the
/// version's training run, so the registry says how each version does on reviewed traffic.
/// </summary>
public static class LiveTags
{
    public const string Accuracy = "drywet.live.accuracy";
    public const string Reviewed = "drywet.live.reviewed";
    public const string IntervalLower = "drywet.live.ci95_lower";
    public const string IntervalUpper = "drywet.live.ci95_upper";

    /// <summary>The live gate's last verdict on this version as a challenger, and why (see <see cref="LiveVerdict"/>).</summary>
    public const string Verdict = "drywet.promotion.live";
    public const string VerdictReason = "drywet.promotion.live_reason";
    public const string VerdictPValue = "drywet.promotion.live_p_value";

    public const string AccuracyMetric = "live_accuracy";
    public const string ReviewedMetric = "live_reviewed";
    public const string IntervalLowerMetric = "live_accuracy_ci95_lower";
    public const string IntervalUpperMetric = "live_accuracy_ci95_upper";
    public const string PValueMetric = "live_p_value";

    public static IReadOnlyDictionary<string, string> For(LiveAccuracy live) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Accuracy] = F(live.Accuracy),
        [Reviewed] = live.Reviewed.ToString(CultureInfo.InvariantCulture),
        [IntervalLower] = F(live.Interval.Lower),
        [IntervalUpper] = F(live.Interval.Upper),
    };

    public static IReadOnlyDictionary<string, string> For(LiveVerdict verdict) => new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [Verdict] = verdict.OutcomeName,
        [VerdictReason] = verdict.Reason,
        [VerdictPValue] = verdict.Comparison.PValue.ToString("G6", CultureInfo.InvariantCulture),
    };

    private static string F(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
