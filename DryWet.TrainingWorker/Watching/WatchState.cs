namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// What the watcher last acted on, persisted as JSON under <see cref="WatchedObject.StateKey"/>: the object's size and
/// time (a cheap "unchanged" check), the content hash, and what came of it.
/// </summary>
public sealed record WatchState(long Size, DateTimeOffset LastModified, string Sha256, string Outcome, string Detail, DateTimeOffset DecidedAt);
