namespace DryWet.TrainingWorker.Data;

/// <summary>
/// A built (or verified) snapshot: its manifest, where each object was fetched to (empty when the builder only hashed),
/// and notes on objects left out (stale copies, unreadable label entries) for the run's log.
/// </summary>
public sealed record DatasetSnapshot(DatasetManifest Manifest, IReadOnlyDictionary<string, string> LocalFiles, IReadOnlyList<string> Notes);
