using DryWet.Core.Storage;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// What the watcher last acted on, persisted as JSON under <see cref="WatchedObject.StateKey"/>: the object's size,
/// time and listed ETag (a cheap "unchanged" check; S3's time has whole seconds, the ETag tells same-size versions of
/// one second apart; null from the embedded store and in states written before it was kept), the content hash, and
/// what came of it.
/// </summary>
public sealed record WatchState(long Size, DateTimeOffset LastModified, string Sha256, string Outcome, string Detail, DateTimeOffset DecidedAt,
    string? ETag = null)
{
    /// <summary>Whether <paramref name="listed"/> is the version this state was decided on.</summary>
    public bool Describes(StoredObject listed) => Size == listed.Size && LastModified == listed.LastModified && ETag == listed.ETag;
}
