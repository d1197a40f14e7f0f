using System.Collections.Concurrent;
using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Storage;

namespace DryWet.Web.Review;

/// <summary>
/// Small objects of a listing (prediction records, manifest entries), each read once per version — its key, size,
/// modification time and, where the store lists one, ETag (S3's time has whole seconds: a label changed twice within
/// one to a record of the same size differs only there) — and kept only while it is listed. An object that cannot be read keeps its reason
/// until it changes, so a broken file is not read again on every page. Immutable: a refresh returns a new cache.
/// </summary>
internal sealed class ReadCache<T> where T : class
{
    private readonly Dictionary<string, ReadResult> _byKey;

    private ReadCache(Dictionary<string, ReadResult> byKey) => _byKey = byKey;

    public static ReadCache<T> Empty { get; } = new(new Dictionary<string, ReadResult>(StringComparer.Ordinal));

    public int Count => _byKey.Count;

    /// <summary>What was read for <paramref name="key"/>; null when it is not in the last listing.</summary>
    public ReadResult? Get(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>
    /// The cache for <paramref name="listed"/>: unchanged objects as they were, new or changed ones read now
    /// (<paramref name="parallelism"/> at a time), objects no longer listed dropped.
    /// </summary>
    /// <exception cref="ObjectStoreUnavailableException">The store did not answer: nothing is kept as unreadable.</exception>
    public async Task<ReadCache<T>> RefreshAsync(IEnumerable<StoredObject> listed, Func<string, CancellationToken, Task<T>> read, int parallelism,
        CancellationToken cancellationToken)
    {
        var next = new Dictionary<string, ReadResult>(_byKey.Count, StringComparer.Ordinal);
        var toRead = new List<StoredObject>();
        foreach (var o in listed)
        {
            if (_byKey.TryGetValue(o.Key, out var known) && known.IsVersion(o))
            {
                next[o.Key] = known;
            }
            else
            {
                toRead.Add(o);
            }
        }

        var fresh = new ConcurrentBag<(string Key, ReadResult Result)>();
        await Parallel.ForEachAsync(toRead, new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken }, async (o, ct) =>
        {
            try
            {
                fresh.Add((o.Key, new ReadResult(o.LastModified, o.Size, o.ETag, await read(o.Key, ct), null)));
            }
            catch (Exception ex) when (ex is JsonException or IOException || (ex is DryWetException && ex is not ObjectStoreUnavailableException))
            {
                fresh.Add((o.Key, new ReadResult(o.LastModified, o.Size, o.ETag, null, ex.Message)));
            }
        });
        foreach (var (key, result) in fresh)
        {
            next[key] = result;
        }

        return new ReadCache<T>(next);
    }

    /// <summary>One object as read at one version: its value, or why it could not be read.</summary>
    public sealed record ReadResult(DateTimeOffset Modified, long Size, string? ETag, T? Value, string? Error)
    {
        /// <summary>Whether <paramref name="listed"/> is the version this was read from.</summary>
        public bool IsVersion(StoredObject listed) => Modified == listed.LastModified && Size == listed.Size && ETag == listed.ETag;
    }
}
