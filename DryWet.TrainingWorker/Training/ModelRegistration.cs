using System.Globalization;
using DryWet.Core.Configuration;
using DryWet.Core.Registry;
using DryWet.TrainingWorker.Promotion;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// After training: register the run's logged model as <c>mlflow.registered_model_name</c>. Promotion (stage Production,
/// archiving the previous one, as the original did, plus the alias <c>production</c> that current MLflow recommends)
/// is the gate's. The registry deletes a version that does not become READY, so a failure leaves none half-registered.
/// </summary>
public static class ModelRegistration
{
    public const string ProductionAlias = "production";
    public const string ProductionStage = "Production";

    public static string Description(double bestValAcc) =>
        string.Create(CultureInfo.InvariantCulture, $"Dry/Wet road classifier trained with validation accuracy: {bestValAcc:F4}");

    /// <summary>
    /// Registers the run's logged model with a description that carries its accuracy, the majority-class warning when
    /// it has not learned, and the gate's decision. Aliases and stages are the gate's job (<see cref="PromotionGate.ApplyAsync(PromotionDecision, ModelVersion, CancellationToken)"/>).
    /// </summary>
    public static async Task<ModelVersion> RegisterAsync(IModelRegistry registry, DryWetConfig config, TrainingResult result,
        PromotionDecision decision, ITrainingProgress progress, CancellationToken cancellationToken)
    {
        var name = config.Mlflow.RegisteredModelName;
        progress.Message($"Registering {name} from {result.ModelSource} in {registry.Description} …");
        // The description goes in with the version: there is no window in which it is registered but undescribed.
        var description = Description(result.BestValAcc);
        if (!result.BeatsMajorityClass)
        {
            description += $" — WARNING: {result.Baseline.Warning(result.BestValAcc)}; it has not learned";
            progress.Message($"WARNING: registering {name} although its {result.Baseline.Warning(result.BestValAcc)}; the version's description says so.");
        }

        description += $" — promotion gate: {decision.Summary}";
        return await registry.RegisterAsync(name, result.ModelSource, result.RunId, description, result.ModelId, cancellationToken);
    }
}
