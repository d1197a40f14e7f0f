namespace DryWet.Core.Storage;

/// <summary>
/// The object-store port: MinIO/S3 on the platform (<c>ConnectionStrings:minio</c>), folders under
/// <c>&lt;DryWet:Home&gt;/objects/&lt;bucket&gt;/&lt;key&gt;</c> embedded. Nothing outside the composition root knows which.
/// </summary>
public interface IObjectStore
{
    /// <summary>Human-readable description for logs, e.g. "MinIO at http://minio:9000" or "embedded at /data/objects".</summary>
    string Description { get; }

    Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default);

    /// <summary>Creates the bucket when it does not exist; succeeds when it does.</summary>
    Task EnsureBucketAsync(string bucket, CancellationToken cancellationToken = default);

    /// <summary>Uploads a local file. Throws <see cref="BucketNotFoundException"/> when the bucket is missing.</summary>
    Task UploadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default);

    /// <summary>
    /// Uploads bytes held in memory (e.g. a logged prediction's image), replacing any object at the key; readers never
    /// see half of it. Throws <see cref="BucketNotFoundException"/> when the bucket is missing.
    /// </summary>
    Task UploadAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Deletes an object; succeeds when there is none (S3's semantics, so a retried delete is harmless). Throws
    /// <see cref="BucketNotFoundException"/> when the bucket is missing.
    /// </summary>
    Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Downloads an object to <paramref name="filePath"/> atomically (temp file + rename): on failure nothing is left there.
    /// Throws <see cref="BucketNotFoundException"/> or <see cref="ObjectNotFoundException"/>.
    /// </summary>
    Task DownloadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default);

    /// <summary>Lists objects under a prefix (recursive), ordered by key.</summary>
    Task<IReadOnlyList<StoredObject>> ListAsync(string bucket, string prefix = "", CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads a small object (at most <paramref name="maxBytes"/>, e.g. a manifest entry) with its version tag, for a
    /// later <see cref="TryReplaceAsync"/>. The bytes are never older than the tag, so a replace on the tag succeeds
    /// only over exactly these bytes. Throws <see cref="ObjectNotFoundException"/>, or <see cref="DryWetException"/>
    /// when the object is larger than <paramref name="maxBytes"/>.
    /// </summary>
    Task<VersionedObject> ReadAsync(string bucket, string key, int maxBytes, CancellationToken cancellationToken = default);

    /// <summary>
    /// Create-only: stores the bytes when no object is at the key and returns true; returns false, writing nothing,
    /// when one is (first writer wins, also between processes). S3: <c>PUT</c> with <c>If-None-Match: *</c>.
    /// </summary>
    Task<bool> TryCreateAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default);

    /// <summary>
    /// Compare-and-swap: replaces the object when its version tag is still <paramref name="expectedETag"/> (from
    /// <see cref="ReadAsync"/>) and returns true; returns false, writing nothing, when it changed or is gone.
    /// S3: <c>PUT</c> with <c>If-Match: "&lt;etag&gt;"</c>.
    /// </summary>
    Task<bool> TryReplaceAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, string expectedETag,
        CancellationToken cancellationToken = default);
}

/// <summary>
/// One object in a bucket as listed. <paramref name="ETag"/>: its content tag where the store lists one (S3/MinIO);
/// null for the embedded store, whose writes give every new version of a key a later <paramref name="LastModified"/>
/// than the one it replaced (S3's LastModified has whole seconds only, so there size and time can repeat).
/// </summary>
public sealed record StoredObject(string Key, long Size, DateTimeOffset LastModified, string? ETag = null);

public sealed class BucketNotFoundException(string bucket, string where)
    : DryWetException($"Bucket '{bucket}' does not exist in {where}. Create it (e.g. with the platform set-up) or pass another bucket.")
{
    public string Bucket { get; } = bucket;
}

public sealed class ObjectNotFoundException(string bucket, string key, string where)
    : DryWetException($"Object '{key}' was not found in bucket '{bucket}' ({where}).")
{
    public string Bucket { get; } = bucket;
    public string Key { get; } = key;
}
