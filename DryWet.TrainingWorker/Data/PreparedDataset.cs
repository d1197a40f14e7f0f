namespace DryWet.TrainingWorker.Data;

/// <summary>The training data of one run: its snapshot manifest (the dataset version) laid out as class folders.</summary>
/// <param name="ManifestUri">Where the manifest is stored next to the data; null for a local folder.</param>
public sealed record PreparedDataset(DatasetManifest Manifest, MaterializedDataset Materialized, string? ManifestUri);
