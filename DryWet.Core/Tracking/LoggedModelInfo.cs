namespace DryWet.Core.Tracking;

/// <summary>
/// What logging a model produced. On MLflow ≥ 3 (and embedded) the model is also a LoggedModel entity with its own id
/// and artifact location, listed on the experiment's "Logged models" page; against MLflow 2.x <see cref="ModelId"/> is
/// null and the model exists only as the run's artifacts.
/// </summary>
/// <param name="RunArtifactUri">The package under the run's artifacts (what the registry registers).</param>
/// <param name="ModelId">The LoggedModel id (<c>m-…</c>), or null when the server has no LoggedModels.</param>
/// <param name="ModelArtifactUri">The LoggedModel's own artifact location, or null.</param>
public sealed record LoggedModelInfo(string RunArtifactUri, string? ModelId, string? ModelArtifactUri);

/// <summary>A LoggedModel read back (for tests and diagnostics).</summary>
/// <param name="Status">MLflow's REST name (LOGGED_MODEL_READY, …), for both adapters.</param>
public sealed record LoggedModelSnapshot(string ModelId, string Name, string Status, string ArtifactUri, string? SourceRunId,
    IReadOnlyDictionary<string, string> Params, IReadOnlyList<string> ArtifactPaths)
{
    /// <summary>The model's tags, e.g. <c>mlflow.modelVersions</c> once it is registered.</summary>
    public IReadOnlyDictionary<string, string> Tags { get; init; } = new Dictionary<string, string>();
}
