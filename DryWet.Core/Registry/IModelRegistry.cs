namespace DryWet.Core.Registry;

/// <summary>
/// The model-registry port: MLflow Model Registry on the platform, files under
/// <c>&lt;DryWet:Home&gt;/mlruns/models/&lt;name&gt;</c> embedded (MLflow's file-store registry layout). Registered name defaults to <c>dry_wet_model</c>.
/// </summary>
public interface IModelRegistry
{
    string Description { get; }

    /// <summary>
    /// Registers a new version from a run's logged model and waits until it is READY. <paramref name="source"/> is the
    /// LoggedModel's resolved artifact URI (or, without a LoggedModel, the run's artifact URI + "/model");
    /// <paramref name="modelId"/> (MLflow ≥ 3) links the version to its LoggedModel, as MLflow's own register_model does:
    /// the version carries <c>model_id</c> and the LoggedModel the tag <c>mlflow.modelVersions</c>. Creates the
    /// registered model when missing. A version that fails to become READY is deleted: nothing is left half-registered.
    /// </summary>
    Task<ModelVersion> RegisterAsync(string name, string source, string? runId, string? description = null,
        string? modelId = null, CancellationToken cancellationToken = default);

    /// <summary>Sets <paramref name="alias"/> to the version and transitions it to <paramref name="stage"/>, archiving the previous holder.</summary>
    Task<ModelVersion> PromoteAsync(string name, string version, string alias = "production", string stage = "Production",
        CancellationToken cancellationToken = default);

    /// <summary>Points <paramref name="alias"/> at the version without touching stages (e.g. <c>challenger</c>).</summary>
    Task<ModelVersion> SetAliasAsync(string name, string alias, string version, CancellationToken cancellationToken = default);

    /// <summary>Sets (or overwrites) tags on one version, e.g. the promotion gate's decision.</summary>
    Task SetVersionTagsAsync(string name, string version, IReadOnlyDictionary<string, string> tags,
        CancellationToken cancellationToken = default);

    Task<ModelVersion> UpdateDescriptionAsync(string name, string version, string description,
        CancellationToken cancellationToken = default);

    /// <summary>Resolves by alias, falling back to the latest version in <paramref name="fallbackStage"/>; null when neither exists.</summary>
    Task<ModelVersion?> ResolveAsync(string name, string alias = "production", string fallbackStage = "Production",
        CancellationToken cancellationToken = default);

    /// <summary>Every version of <paramref name="name"/>, newest first, with its aliases; empty when the model is not registered.</summary>
    Task<IReadOnlyList<ModelVersion>> ListVersionsAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Downloads the version's model package into <paramref name="destinationDirectory"/> atomically.</summary>
    Task DownloadAsync(ModelVersion version, string destinationDirectory, CancellationToken cancellationToken = default);
}

/// <summary>A registered model version, with MLflow's fields (timestamps in ms since the epoch).</summary>
public sealed record ModelVersion(
    string Name,
    string Version,
    string CurrentStage,
    string Description,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string Source,
    string? RunId,
    string Status,
    IReadOnlyList<string> Aliases,
    IReadOnlyDictionary<string, string> Tags)
{
    /// <summary>The version number as an integer (MLflow versions are positive integers).</summary>
    public long Number => long.TryParse(Version, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : 0;
}
