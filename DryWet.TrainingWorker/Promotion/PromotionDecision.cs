using System.Globalization;
using DryWet.Core.Packaging;

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
    string EvaluationDescription,
    QuantizationCheck? Int8 = null)
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

        if (Int8 is not null)
        {
            tags[Int8Verdict.Tag] = Int8.Verdict;
            tags[Int8Verdict.ReasonTag] = Int8.Reason;
        }

        return tags;
    }

    /// <summary>
    /// <c>challenger_accuracy</c>, <c>champion_accuracy</c> and the same per class (<c>challenger_accuracy_wet</c>); with an
    /// INT8 graph also <c>challenger_int8_accuracy</c> (and per class) and <c>challenger_int8_drop</c>.
    /// </summary>
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

        if (Int8 is not null)
        {
            Add("challenger_int8", Int8.Int8);
            metrics["challenger_int8_drop"] = Int8.Drop;
        }

        return metrics;
    }

    public string Summary => string.Create(CultureInfo.InvariantCulture,
        $"{OutcomeName}: {Reason}{(Int8 is null ? "" : $"; INT8 {Int8.Verdict}: {Int8.Reason}")}");
}
