namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// What the dataset watcher last acted on, persisted as JSON under <see cref="WatchedDataset.StateKey"/>: a digest of
/// the prefix's listing (keys, sizes, times and, on S3, ETags: a cheap "unchanged" check), the dataset version it
/// found, the version the last run trained on (new labels are counted against it) and what came of it.
/// </summary>
public sealed record DatasetWatchState(string Listing, string DatasetVersion, string? LastRunVersion, string Outcome, string Detail, DateTimeOffset DecidedAt);
