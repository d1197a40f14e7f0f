namespace DryWet.Serving.Models;

/// <summary>
/// The model-source port: where the served model package comes from. The local package source reads a directory;
/// registry sources (embedded registry, MLflow) resolve a version and download its package. Endpoints and the model
/// host only see <see cref="ModelCandidate"/>s.
/// </summary>
public interface IModelSource
{
    /// <summary>Human-readable origin, e.g. "local package /models/dry_wet" or "MLflow http://mlflow:5000 dry_wet_model@production".</summary>
    string Description { get; }

    /// <summary>
    /// Resolves the model to serve now and makes its package available on local disk. Throws
    /// <see cref="Core.DryWetException"/> with an actionable message when there is none.
    /// </summary>
    Task<ModelCandidate> FetchAsync(CancellationToken cancellationToken);
}

/// <summary>
/// A model package on local disk plus the registry metadata the API reports. <paramref name="Int8Gate"/>: the registry
/// version's INT8 verdict (tag <c>drywet.int8</c>); null for a local package, whose MLmodel says it.
/// </summary>
public sealed record ModelCandidate(string PackageDirectory, ModelDescriptor Descriptor, string? Int8Gate = null);

/// <summary>What <c>/model/info</c> reports about a model (the original's MLflow fields; timestamps in ms since the epoch).</summary>
public sealed record ModelDescriptor(
    string Name,
    string Version,
    string Stage,
    string Description,
    long CreationTimestamp,
    long LastUpdatedTimestamp,
    string Source);
