using DryWet.Core.Configuration;

namespace DryWet.Web.Review;

/// <summary>
/// How far the live gate is: reviewed requests that both the champion and the shadow answered, for the pair of versions
/// serving now (those of the newest request the shadow answered), against <c>evaluation.live_min_reviews</c>.
/// </summary>
public sealed record LiveGateProgress(string ChampionVersion, string ShadowVersion, int Reviewed, int Disagreements, int Required)
{
    /// <summary>The gate's default minimum (<see cref="DryWetConfig.EvaluationSection.LiveMinReviews"/>): the web reads no config.yaml.</summary>
    public static int DefaultRequired => DryWetConfig.Default.Evaluation.LiveMinReviews;

    public int Remaining => Math.Max(0, Required - Reviewed);

    /// <summary>Null when no logged request has a shadow answer.</summary>
    public static LiveGateProgress? From(IReadOnlyList<LoggedPrediction> predictions, int required)
    {
        LoggedPrediction? newest = null;
        foreach (var p in predictions)
        {
            if (p.Record.Shadow is not null && (newest is null || p.Record.Time > newest.Record.Time))
            {
                newest = p;
            }
        }

        if (newest is null)
        {
            return null;
        }

        var (champion, shadow) = (newest.Record.ModelVersion, newest.Record.Shadow!.ModelVersion);
        var (reviewed, disagreements) = (0, 0);
        foreach (var p in predictions)
        {
            if (p.Review is not null && p.Record.ModelVersion == champion && p.Record.Shadow?.ModelVersion == shadow)
            {
                reviewed++;
                disagreements += p.Disagrees ? 1 : 0;
            }
        }

        return new LiveGateProgress(champion, shadow, reviewed, disagreements, required);
    }
}
