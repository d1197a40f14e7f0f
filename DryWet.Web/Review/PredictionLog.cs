using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Core.Platform;

namespace DryWet.Web.Review;

/// <summary>
/// Reads the logged predictions (<c>ml-feedback/predictions/&lt;yyyy-MM-dd&gt;/&lt;id&gt;.json</c> + image) and the review
/// manifest (<c>ml-data/.manifest/</c>) through the object-store port. A page costs one listing of each, always fresh;
/// every record and manifest entry is read once per version (key, size, time) and kept while it is listed, and when
/// neither listing changed the last <see cref="PredictionLogSnapshot"/> (with its orders and counters) is reused as it is.
/// Pages asking at once share one listing that started after they arrived.
/// </summary>
public sealed partial class PredictionLog(IObjectStore store, ILogger<PredictionLog> logger)
{
    public const string FeedbackBucket = PredictionLogLayout.Bucket;
    public const string DataBucket = PlatformNames.DataBucket;
    public const string RecordsPrefix = PredictionLogLayout.Prefix;
    public const string ManifestPrefix = PlatformNames.LabelManifestPrefix;

    /// <summary>A record is a few hundred bytes; anything far larger is not one (and is never held in memory whole).</summary>
    internal const int MaxRecordBytes = 64 * 1024;

    /// <summary>Records and entries read at once when a listing brings new ones (the first page after a start: all of them).</summary>
    private const int ParallelReads = 8;

    private readonly SemaphoreSlim _refreshing = new(1, 1);
    private volatile State? _state;

    [GeneratedRegex(@"^predictions/(?<date>\d{4}-\d{2}-\d{2})/(?<id>[A-Za-z0-9_-]{1,100})\.(?<ext>[A-Za-z0-9]{1,8})$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    public static partial Regex DatePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,100}$")]
    public static partial Regex IdPattern();

    /// <summary>Every logged prediction with its review, as listed now; an empty snapshot when the bucket does not exist yet.</summary>
    public async Task<PredictionLogSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var asked = Stopwatch.GetTimestamp();
        await _refreshing.WaitAsync(cancellationToken);
        try
        {
            // A listing that began after this request arrived already holds everything written before it.
            if (_state is { } shared && shared.ListedAt > asked)
            {
                return shared.Snapshot;
            }

            var state = await RefreshAsync(_state, Stopwatch.GetTimestamp(), cancellationToken);
            _state = state;
            return state.Snapshot;
        }
        finally
        {
            _refreshing.Release();
        }
    }

    /// <summary>
    /// A logged prediction for its thumbnail or a label, never listing the log: from the last listing (a logged image never
    /// changes), else by its record's key (a prediction logged since, or a page cached by the browser across a restart).
    /// Its review is not read. Null when there is no such record.
    /// </summary>
    public async Task<LoggedPrediction?> FindLoggedAsync(string date, string id, CancellationToken cancellationToken)
    {
        if (!DatePattern().IsMatch(date) || !IdPattern().IsMatch(id))
        {
            return null;
        }

        if (_state?.Snapshot.Find(date, id) is { } listed)
        {
            return listed;
        }

        var recordKey = $"{RecordsPrefix}{date}/{id}.json";
        try
        {
            var record = await ReadRecordAsync(recordKey, cancellationToken);
            return record.Id == id ? new LoggedPrediction(record, date, recordKey, $"{RecordsPrefix}{date}/{id}.{Extension(record.ContentType)}", null) : null;
        }
        catch (Exception ex) when (ex is ObjectNotFoundException or BucketNotFoundException)
        {
            return null;
        }
        catch (Exception ex) when (ex is JsonException or IOException || (ex is DryWetException && ex is not ObjectStoreUnavailableException))
        {
            logger.LogWarning("Logged prediction {Key} could not be read: {Reason}", recordKey, ex.Message);
            return null;
        }
    }

    /// <summary>The file extension serving gives a logged image of this media type (<see cref="PredictionLogLayout.ImageFormat"/>).</summary>
    private static string Extension(string contentType) => contentType switch
    {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/gif" => "gif",
        "image/bmp" => "bmp",
        "image/webp" => "webp",
        _ => "bin",
    };

    private async Task<State> RefreshAsync(State? last, long listedAt, CancellationToken cancellationToken)
    {
        if (!await store.BucketExistsAsync(FeedbackBucket, cancellationToken))
        {
            return new State(listedAt, [], [], PredictionLogSnapshot.NoBucket, ReadCache<PredictionLogRecord>.Empty, ReadCache<LabelManifestEntry>.Empty);
        }

        var log = await store.ListAsync(FeedbackBucket, RecordsPrefix, cancellationToken);
        IReadOnlyList<StoredObject> manifest = await store.BucketExistsAsync(DataBucket, cancellationToken)
            ? (await store.ListAsync(DataBucket, ManifestPrefix, cancellationToken)).Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal)).ToList()
            : [];
        if (last is not null && last.Snapshot.BucketExists && last.Log.SequenceEqual(log) && last.Manifest.SequenceEqual(manifest))
        {
            return last with { ListedAt = listedAt };
        }

        var (records, entries) = (last?.Records ?? ReadCache<PredictionLogRecord>.Empty, last?.Entries ?? ReadCache<LabelManifestEntry>.Empty);
        var listed = Parse(log);
        records = await records.RefreshAsync(listed.Where(l => l.ImageKey is not null).Select(l => l.Record), ReadRecordAsync, ParallelReads, cancellationToken);
        entries = await entries.RefreshAsync(manifest, (key, ct) => ReadJsonAsync<LabelManifestEntry>(DataBucket, key, TrainingLabelWriter.MaxEntryBytes, ct),
            ParallelReads, cancellationToken);
        var reviews = new Dictionary<string, LabelManifestEntry>(StringComparer.Ordinal);
        foreach (var o in manifest)
        {
            if (entries.Get(o.Key) is { Value: { } entry })
            {
                reviews[entry.Id] = entry;
            }
        }

        var predictions = new List<LoggedPrediction>(listed.Count);
        var unreadable = new List<string>();
        foreach (var (o, date, id, imageKey) in listed)
        {
            var read = records.Get(o.Key);
            if (imageKey is null)
            {
                unreadable.Add($"{o.Key}: its image is missing");
            }
            else if (read is { Value: { } record })
            {
                predictions.Add(new LoggedPrediction(record, date, o.Key, imageKey, reviews.GetValueOrDefault(id)));
            }
            else
            {
                unreadable.Add($"{o.Key}: {read?.Error}");
            }
        }

        if (unreadable.Count > 0)
        {
            logger.LogWarning("{Count} logged predictions could not be read, first: {First}", unreadable.Count, unreadable[0]);
        }

        foreach (var o in manifest.Where(o => entries.Get(o.Key) is { Error: not null }))
        {
            logger.LogWarning("Manifest entry {Key} could not be read: {Reason}", o.Key, entries.Get(o.Key)!.Error);
        }

        return new State(listedAt, log, manifest, new PredictionLogSnapshot(predictions, bucketExists: true, unreadable), records, entries);
    }

    /// <summary>The listing's records (key order), each with its image's key, or null when no image is listed beside it.</summary>
    private static List<(StoredObject Record, string Date, string Id, string? ImageKey)> Parse(IReadOnlyList<StoredObject> log)
    {
        var images = new Dictionary<string, string>(StringComparer.Ordinal);
        var records = new List<(StoredObject, string, string)>();
        foreach (var o in log)
        {
            var match = KeyPattern().Match(o.Key);
            if (!match.Success)
            {
                continue;
            }

            var (date, id, ext) = (match.Groups["date"].Value, match.Groups["id"].Value, match.Groups["ext"].Value);
            if (ext.Equals("json", StringComparison.OrdinalIgnoreCase))
            {
                records.Add((o, date, id));
            }
            else
            {
                images[$"{date}/{id}"] = o.Key;
            }
        }

        return records.Select(r => (r.Item1, r.Item2, r.Item3, images.GetValueOrDefault($"{r.Item2}/{r.Item3}"))).ToList();
    }

    private async Task<PredictionLogRecord> ReadRecordAsync(string key, CancellationToken cancellationToken)
    {
        var record = await ReadJsonAsync<PredictionLogRecord>(FeedbackBucket, key, MaxRecordBytes, cancellationToken);
        return string.IsNullOrEmpty(record.Id) || string.IsNullOrEmpty(record.Prediction) || record.Probabilities is null
            ? throw new DryWetException("it lacks id, prediction or probabilities")
            : record;
    }

    /// <summary>A small JSON object read into memory (at most <paramref name="maxBytes"/>), no temp file.</summary>
    private async Task<T> ReadJsonAsync<T>(string bucket, string key, int maxBytes, CancellationToken cancellationToken)
    {
        var read = await store.ReadAsync(bucket, key, maxBytes, cancellationToken);
        return JsonSerializer.Deserialize<T>(read.Content, PredictionLogRecord.Json) ?? throw new DryWetException("it is empty (null)");
    }

    /// <summary>
    /// The last listings (to tell whether anything changed; <see cref="ListedAt"/>: when they began, a <see cref="Stopwatch"/>
    /// timestamp), the snapshot made from them and what was read for it.
    /// </summary>
    private sealed record State(long ListedAt, IReadOnlyList<StoredObject> Log, IReadOnlyList<StoredObject> Manifest, PredictionLogSnapshot Snapshot,
        ReadCache<PredictionLogRecord> Records, ReadCache<LabelManifestEntry> Entries);
}
