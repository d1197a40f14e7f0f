using DryWet.Core.Storage;

namespace DryWet.Tests.Web;

/// <summary>
/// A real object store that counts what is asked of it: how many listings (per bucket) and downloads a request costs;
/// it can also hold finished listings back (<see cref="HoldListings"/>) to line requests up.
/// </summary>
internal sealed class CountingObjectStore(IObjectStore inner) : IObjectStore
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _listsByBucket = new();
    private int _lists;
    private int _downloads;

    public int Lists => Volatile.Read(ref _lists);

    /// <summary>When set, a listing, once made, waits for it before it returns.</summary>
    public TaskCompletionSource? HoldListings { get; set; }

    public int ListsOf(string bucket) => _listsByBucket.GetValueOrDefault(bucket);

    public int Downloads => Volatile.Read(ref _downloads);

    public string Description => inner.Description;

    public Task<bool> BucketExistsAsync(string bucket, CancellationToken cancellationToken = default) => inner.BucketExistsAsync(bucket, cancellationToken);

    public Task EnsureBucketAsync(string bucket, CancellationToken cancellationToken = default) => inner.EnsureBucketAsync(bucket, cancellationToken);

    public Task UploadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default) =>
        inner.UploadFileAsync(bucket, key, filePath, cancellationToken);

    public Task UploadAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default) =>
        inner.UploadAsync(bucket, key, content, contentType, cancellationToken);

    public Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(bucket, key, cancellationToken);

    public Task DownloadFileAsync(string bucket, string key, string filePath, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _downloads);
        return inner.DownloadFileAsync(bucket, key, filePath, cancellationToken);
    }

    public Task<VersionedObject> ReadAsync(string bucket, string key, int maxBytes, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _downloads);
        return inner.ReadAsync(bucket, key, maxBytes, cancellationToken);
    }

    public Task<bool> TryCreateAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default) =>
        inner.TryCreateAsync(bucket, key, content, contentType, cancellationToken);

    public Task<bool> TryReplaceAsync(string bucket, string key, ReadOnlyMemory<byte> content, string contentType, string expectedETag,
        CancellationToken cancellationToken = default) =>
        inner.TryReplaceAsync(bucket, key, content, contentType, expectedETag, cancellationToken);

    public async Task<IReadOnlyList<StoredObject>> ListAsync(string bucket, string prefix = "", CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _lists);
        _listsByBucket.AddOrUpdate(bucket, 1, (_, n) => n + 1);
        var listed = await inner.ListAsync(bucket, prefix, cancellationToken);
        if (HoldListings is { } hold)
        {
            await hold.Task.WaitAsync(cancellationToken);
        }

        return listed;
    }
}
