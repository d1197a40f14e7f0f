using System.Globalization;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// What the gate decided and why, with both models' accuracies on the same images. Recorded as run tags and metrics
/// on the challenger's run and as tags on its registry version, so every decision can be read back later.
/// </summary>
public sealed record PromotionDecision(
    PromotionOutcome Outcome,
    string Reason,
    PromotionPolicy Policy,
    PackageAccuracy Challenger,
    PackageAccuracy? Champion,
    string? ChampionVersion,
    string EvaluationDescription)
{
    public const string OutcomeTag = "drywet.promotion";
    public const string ReasonTag = "drywet.promotion.reason";
    public const string ChampionVersionTag = "drywet.promotion.champion_version";
    public const string PolicyTag = "drywet.promotion.policy";
    public const string ChallengerAlias = "challenger";

    public bool GoesToProduction => Outcome is PromotionOutcome.First or PromotionOutcome.Promoted;

    public string OutcomeName => Outcome.ToString().ToLowerInvariant();

    public IReadOnlyDictionary<string, string> Tags()
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [OutcomeTag] = OutcomeName,
            [ReasonTag] = Reason,
            [PolicyTag] = Policy.ToOptionValue(),
        };
        if (ChampionVersion is not null)
        {
            tags[ChampionVersionTag] = ChampionVersion;
        }

        return tags;
    }

    /// <summary><c>challenger_accuracy</c>, <c>champion_accuracy</c> and the same per class (<c>challenger_accuracy_wet</c>).</summary>
    public IReadOnlyDictionary<string, double> Metrics()
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        void Add(string prefix, PackageAccuracy accuracy)
        {
            metrics[prefix + "_accuracy"] = accuracy.Overall;
            foreach (var (name, value) in accuracy.PerClass)
            {
                metrics[$"{prefix}_accuracy_{name}"] = value;
            }
        }

        Add("challenger", Challenger);
        if (Champion is not null)
        {
            Add("champion", Champion);
        }

        return metrics;
    }

    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{OutcomeName}: {Reason}");
}
