using System.Globalization;
using DryWet.Core.Configuration;
using DryWet.Core.Registry;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// After training: register the run's logged model as <c>mlflow.registered_model_name</c> and promote it the way the
/// original did (stage Production, archiving the previous one) plus the alias <c>production</c> that current MLflow
/// recommends. The registry deletes a version that does not become READY, so a failure leaves none half-registered.
/// </summary>
public static class ModelRegistration
{
    public const string ProductionAlias = "production";
    public const string ProductionStage = "Production";

    public static string Description(double bestValAcc) =>
        string.Create(CultureInfo.InvariantCulture, $"Dry/Wet road classifier trained with validation accuracy: {bestValAcc:F4}");

    public static async Task<ModelVersion> RegisterAndPromoteAsync(IModelRegistry registry, DryWetConfig config, TrainingResult result,
        ITrainingProgress progress, CancellationToken cancellationToken)
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

        var version = await registry.RegisterAsync(name, result.ModelSource, result.RunId, description, cancellationToken);
        var promoted = await registry.PromoteAsync(name, version.Version, ProductionAlias, ProductionStage, cancellationToken);
        progress.Message($"Registered {name} version {promoted.Version}: stage {promoted.CurrentStage}, alias {ProductionAlias}.");
        return promoted;
    }
}
