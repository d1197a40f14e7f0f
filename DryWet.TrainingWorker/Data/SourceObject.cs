namespace DryWet.TrainingWorker.Data;

/// <summary>
/// An object a dataset source lists: key relative to the source's root, size, modification time and, where the store
/// lists one (S3/MinIO), its ETag. S3 keeps modification times in whole seconds, so a same-size replacement within one
/// second differs only in its ETag; the embedded store and a local folder list fine-grained times (the embedded store
/// dates every new version of a key later than the one it replaced) and no ETag. Equal records mean the same version:
/// a watcher's listing digest and the snapshot builder's hash cache rely on it.
/// </summary>
public sealed record SourceObject(string Key, long Size, DateTimeOffset LastModified, string? ETag = null)
{
    /// <summary>The size of an object named rather than listed (one archive): known once fetched.</summary>
    public const long UnknownSize = -1;
}
