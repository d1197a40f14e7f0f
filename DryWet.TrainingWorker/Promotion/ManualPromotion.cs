using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.TrainingWorker.Training;

namespace DryWet.TrainingWorker.Promotion;

/// <summary>
/// Moves production (alias and stage) to a chosen version by hand — a rollback or a re-promotion — with the reason
/// recorded on the version, the way the gate records its own decisions.
/// </summary>
public sealed class ManualPromotion(IModelRegistry registry)
{
    public const string RollbackOutcome = "rollback";
    public const string ManualOutcome = "manual";

    /// <param name="version">The version to serve; null: the one that was production before the current one.</param>
    public async Task<ModelVersion> PromoteAsync(string name, string? version, string reason, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new DryWetException("--reason is empty: say why production moves (it is recorded on the version).");
        }

        var versions = await registry.ListVersionsAsync(name, cancellationToken);
        if (versions.Count == 0)
        {
            throw new DryWetException($"Model '{name}' has no registered versions in {registry.Description}.");
        }

        var current = await registry.ResolveAsync(name, ModelRegistration.ProductionAlias, ModelRegistration.ProductionStage, cancellationToken);
        var target = version is null ? Previous(name, versions, current) : Pick(name, versions, version);
        if (current?.Version == target.Version)
        {
            throw new DryWetException($"{name} v{target.Version} is already production.");
        }

        var outcome = current is not null && target.Number < current.Number ? RollbackOutcome : ManualOutcome;
        await registry.SetVersionTagsAsync(name, target.Version, new Dictionary<string, string>
        {
            [PromotionDecision.OutcomeTag] = outcome,
            [PromotionDecision.ReasonTag] = $"{reason.Trim()} (was v{current?.Version ?? "none"}, {DateTimeOffset.UtcNow:u})",
        }, cancellationToken);
        var promoted = await registry.PromoteAsync(name, target.Version, ModelRegistration.ProductionAlias, ModelRegistration.ProductionStage, cancellationToken);
        PromotionTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
        return promoted;
    }

    private static ModelVersion Pick(string name, IReadOnlyList<ModelVersion> versions, string version) =>
        versions.FirstOrDefault(v => v.Version == version.Trim())
        ?? throw new DryWetException($"Model '{name}' has no version '{version}'; it has {string.Join(", ", versions.Select(v => v.Version).Reverse())}.");

    /// <summary>The newest version older than the current champion that has served before (stage Archived: the registry archives the previous holder on every promotion).</summary>
    private static ModelVersion Previous(string name, IReadOnlyList<ModelVersion> versions, ModelVersion? current)
    {
        if (current is null)
        {
            throw new DryWetException($"Model '{name}' has no production version to roll back from; pass --version N.");
        }

        return versions.Where(v => v.Number < current.Number && v.CurrentStage == "Archived").MaxBy(v => v.Number)
            ?? throw new DryWetException($"{name} v{current.Version} is production and no earlier version has served before; pass --version N to choose one.");
    }
}
