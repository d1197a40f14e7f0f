using System.Globalization;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Packaging;
using DryWet.Core.Registry;
using DryWet.TrainingWorker.Training;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// The champion/challenger gate. <see cref="DecideAsync"/> evaluates the challenger's package and the current
/// production model (downloaded from the registry, as serving would) on the same images and applies the rule:
/// with <see cref="PromotionPolicy.Auto"/> the challenger goes to production only when it reaches
/// <c>evaluation.min_accuracy</c>, beats always answering the majority class, and is at least
/// <c>champion + evaluation.min_improvement</c>. <see cref="ApplyAsync"/> then moves alias <c>production</c> and stage
/// Production (promoted, first) or alias <c>challenger</c> (rejected) and tags the version with the decision.
/// A challenger with an INT8 graph has it evaluated as served on the same images too (<see cref="QuantizationCheck"/>):
/// the verdict goes into the package's MLmodel (<c>metadata.int8_gate</c>) and onto the version (tag <c>drywet.int8</c>);
/// it does not change the promotion outcome, only which graph serving may pick by itself.
/// </summary>
public sealed class PromotionGate(IModelRegistry registry, ITrainingProgress progress)
{
    public async Task<PromotionDecision> DecideAsync(string modelName, string challengerPackageDirectory, EvaluationSet evaluation,
        PromotionPolicy policy, DryWetConfig.EvaluationSection thresholds, string workDirectory, CancellationToken cancellationToken)
    {
        progress.Message($"Promotion gate ({policy.ToOptionValue()}): evaluating on {evaluation.Description} …");
        var challenger = await Task.Run(() => PackageEvaluator.Evaluate(challengerPackageDirectory, evaluation, progress, cancellationToken), cancellationToken);
        progress.Message($"Challenger: accuracy {challenger}.");
        var int8 = await CheckInt8Async(challengerPackageDirectory, evaluation, challenger, thresholds, cancellationToken);

        var championVersion = await registry.ResolveAsync(modelName, ModelRegistration.ProductionAlias, ModelRegistration.ProductionStage, cancellationToken);
        PackageAccuracy? champion = null;
        if (championVersion is not null)
        {
            champion = await EvaluateChampionAsync(championVersion, evaluation, workDirectory, cancellationToken);
            progress.Message($"Champion {modelName} v{championVersion.Version}: accuracy {champion}.");
        }

        var (outcome, reason) = Rule(policy, thresholds, evaluation, challenger, champion, championVersion?.Version);
        var decision = new PromotionDecision(outcome, reason, policy, challenger, champion, championVersion?.Version, evaluation.Description, int8);
        progress.Message($"Promotion decision: {decision.Summary}");
        return decision;
    }

    /// <summary>Records the decision on the registered <paramref name="challenger"/> and moves the aliases it calls for.</summary>
    public async Task<ModelVersion> ApplyAsync(PromotionDecision decision, ModelVersion challenger, CancellationToken cancellationToken)
    {
        await registry.SetVersionTagsAsync(challenger.Name, challenger.Version, decision.Tags(), cancellationToken);
        var result = decision.GoesToProduction
            ? await registry.PromoteAsync(challenger.Name, challenger.Version, ModelRegistration.ProductionAlias, ModelRegistration.ProductionStage, cancellationToken)
            : await registry.SetAliasAsync(challenger.Name, PromotionDecision.ChallengerAlias, challenger.Version, cancellationToken);
        PromotionTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("outcome", decision.OutcomeName));
        progress.Message(decision.GoesToProduction
            ? $"{challenger.Name} v{challenger.Version} is now production (alias {ModelRegistration.ProductionAlias}, stage {ModelRegistration.ProductionStage})."
            : $"{challenger.Name} v{challenger.Version} is registered as alias {PromotionDecision.ChallengerAlias}; production stays on v{decision.ChampionVersion ?? "?"}.");
        return result;
    }

    /// <summary>Decide and apply in one step, for a challenger that is already registered (e.g. the best run of a sweep).</summary>
    public async Task<PromotionDecision> ApplyAsync(string modelName, ModelVersion challenger, string challengerPackageDirectory, EvaluationSet evaluation,
        PromotionPolicy policy, DryWetConfig.EvaluationSection thresholds, string workDirectory, CancellationToken cancellationToken)
    {
        var decision = await DecideAsync(modelName, challengerPackageDirectory, evaluation, policy, thresholds, workDirectory, cancellationToken);
        await ApplyAsync(decision, challenger, cancellationToken);
        return decision;
    }

    internal static (PromotionOutcome Outcome, string Reason) Rule(PromotionPolicy policy, DryWetConfig.EvaluationSection thresholds,
        EvaluationSet evaluation, PackageAccuracy challenger, PackageAccuracy? champion, string? championVersion)
    {
        string F(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
        var versus = champion is null ? "no champion" : $"champion v{championVersion} {F(champion.Overall)}";
        var numbers = $"challenger {F(challenger.Overall)} vs {versus} on {evaluation.Description}";
        switch (policy)
        {
            case PromotionPolicy.Always:
                return (champion is null ? PromotionOutcome.First : PromotionOutcome.Promoted, $"--promote always; {numbers}");
            case PromotionPolicy.Never:
                return (PromotionOutcome.Rejected, $"--promote never; {numbers}");
        }

        var (majorityClass, majorityShare) = evaluation.Majority;
        if (challenger.Overall < thresholds.MinAccuracy)
        {
            return (PromotionOutcome.Rejected, $"{numbers}: below evaluation.min_accuracy {F(thresholds.MinAccuracy)}");
        }

        if (challenger.Overall <= majorityShare + 1e-9)
        {
            return (PromotionOutcome.Rejected, $"{numbers}: no better than always answering '{majorityClass}' ({F(majorityShare)})");
        }

        if (champion is null)
        {
            return (PromotionOutcome.First, $"{numbers}: first model");
        }

        var needed = champion.Overall + thresholds.MinImprovement;
        return challenger.Overall >= needed - 1e-9
            ? (PromotionOutcome.Promoted, $"{numbers}: reaches champion + evaluation.min_improvement ({F(needed)})")
            : (PromotionOutcome.Rejected, $"{numbers}: below champion + evaluation.min_improvement ({F(needed)})");
    }

    /// <summary>The challenger's INT8 graph (when it has one) against its fp32 accuracy; the verdict is written into its MLmodel.</summary>
    private async Task<QuantizationCheck?> CheckInt8Async(string packageDirectory, EvaluationSet evaluation, PackageAccuracy fp32,
        DryWetConfig.EvaluationSection thresholds, CancellationToken cancellationToken)
    {
        if (ModelPackage.Load(packageDirectory).Int8OnnxPath is null)
        {
            progress.Message("Challenger has no INT8 graph: it serves fp32.");
            return null;
        }

        var int8 = await Task.Run(() => PackageEvaluator.Evaluate(packageDirectory, evaluation, progress, cancellationToken, ModelPrecision.Int8), cancellationToken);
        var check = new QuantizationCheck(fp32, int8, thresholds.MaxQuantizationDrop);
        await ModelPackage.SetInt8VerdictAsync(packageDirectory, check.Vouched, cancellationToken);
        progress.Message($"Challenger INT8: accuracy {int8}; {check.Verdict} ({check.Reason}).");
        return check;
    }

    private async Task<PackageAccuracy> EvaluateChampionAsync(ModelVersion champion, EvaluationSet evaluation, string workDirectory,
        CancellationToken cancellationToken)
    {
        var folder = Path.Combine(workDirectory, $"champion-v{champion.Version}");
        try
        {
            await registry.DownloadAsync(champion, folder, cancellationToken);
            return await Task.Run(() => PackageEvaluator.Evaluate(folder, evaluation, progress, cancellationToken), cancellationToken);
        }
        catch (Exception ex) when (ex is DryWetException or IOException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            throw new DryWetException($"The champion {champion.Name} v{champion.Version} could not be evaluated ({ex.Message}), so the gate cannot compare. Fix or roll back the champion (promote --version N), or pass --promote always to replace it.", ex);
        }
    }
}
