using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.Web.Review;

/// <summary>
/// Reads the logged predictions (<c>ml-feedback/predictions/&lt;yyyy-MM-dd&gt;/&lt;id&gt;.json</c> + image) and the review
/// manifest (<c>ml-data/.manifest/</c>) through the object-store port. Each record is parsed once and cached by key and
/// modification time, so a page costs two listings.
/// </summary>
public sealed partial class PredictionLog(IObjectStore store, WebCache cache, ILogger<PredictionLog> logger)
{
    public const string FeedbackBucket = PredictionLogLayout.Bucket;
    public const string DataBucket = "ml-data";
    public const string RecordsPrefix = PredictionLogLayout.Prefix;
    public const string ManifestPrefix = ".manifest/";

    private readonly ConcurrentDictionary<string, (DateTimeOffset Modified, PredictionLogRecord Record)> _records = new();
    // By time and size: a changed label grows its entry (history), also within a listing's one-second time resolution.
    private readonly ConcurrentDictionary<string, (DateTimeOffset Modified, long Size, LabelManifestEntry Entry)> _reviews = new();

    [GeneratedRegex(@"^predictions/(?<date>\d{4}-\d{2}-\d{2})/(?<id>[A-Za-z0-9_-]{1,100})\.(?<ext>[A-Za-z0-9]{1,8})$")]
    private static partial Regex KeyPattern();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    public static partial Regex DatePattern();

    [GeneratedRegex(@"^[A-Za-z0-9_-]{1,100}$")]
    public static partial Regex IdPattern();

    /// <summary>Every logged prediction with its review; an empty list when the bucket does not exist yet.</summary>
    public async Task<PredictionLogSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        if (!await store.BucketExistsAsync(FeedbackBucket, cancellationToken))
        {
            var none = new PredictionLogSnapshot([], BucketExists: false, []);
            _recent = new RecentListing(none);
            return none;
        }

        var objects = await store.ListAsync(FeedbackBucket, RecordsPrefix, cancellationToken);
        var reviews = await ReadReviewsAsync(cancellationToken);
        var images = new Dictionary<string, string>(StringComparer.Ordinal);
        var recordKeys = new List<(StoredObject Object, string Date, string Id)>();
        foreach (var o in objects)
        {
            var match = KeyPattern().Match(o.Key);
            if (!match.Success)
            {
                continue;
            }

            var (date, id, ext) = (match.Groups["date"].Value, match.Groups["id"].Value, match.Groups["ext"].Value);
            if (ext.Equals("json", StringComparison.OrdinalIgnoreCase))
            {
                recordKeys.Add((o, date, id));
            }
            else
            {
                images[$"{date}/{id}"] = o.Key;
            }
        }

        var predictions = new List<LoggedPrediction>();
        var unreadable = new List<string>();
        foreach (var (o, date, id) in recordKeys)
        {
            if (!images.TryGetValue($"{date}/{id}", out var imageKey))
            {
                unreadable.Add($"{o.Key}: its image is missing");
                continue;
            }

            try
            {
                var record = await RecordAsync(o, cancellationToken);
                predictions.Add(new LoggedPrediction(record, date, o.Key, imageKey, reviews.GetValueOrDefault(id)));
            }
            catch (Exception ex) when (ex is JsonException or DryWetException or IOException)
            {
                unreadable.Add($"{o.Key}: {ex.Message}");
            }
        }

        if (unreadable.Count > 0)
        {
            logger.LogWarning("{Count} logged predictions could not be read, first: {First}", unreadable.Count, unreadable[0]);
        }

        var snapshot = new PredictionLogSnapshot(predictions, BucketExists: true, unreadable);
        _recent = new RecentListing(snapshot);
        return snapshot;
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

        if (_recent?.Find(date, id) is { } listed)
        {
            return listed;
        }

        var recordKey = $"{RecordsPrefix}{date}/{id}.json";
        try
        {
            var record = _records.TryGetValue(recordKey, out var cached)
                ? cached.Record
                : await RecordAsync(new StoredObject(recordKey, 0, DateTimeOffset.MinValue), cancellationToken);
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

    private volatile RecentListing? _recent;

    private sealed class RecentListing(PredictionLogSnapshot snapshot)
    {
        private readonly Dictionary<string, LoggedPrediction> _byKey = Index(snapshot.Predictions);

        public LoggedPrediction? Find(string date, string id) => _byKey.GetValueOrDefault($"{date}/{id}");

        private static Dictionary<string, LoggedPrediction> Index(IReadOnlyList<LoggedPrediction> predictions)
        {
            var index = new Dictionary<string, LoggedPrediction>(predictions.Count, StringComparer.Ordinal);
            foreach (var p in predictions)
            {
                index.TryAdd($"{p.Date}/{p.Record.Id}", p);
            }

            return index;
        }
    }

    private async Task<Dictionary<string, LabelManifestEntry>> ReadReviewsAsync(CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, LabelManifestEntry>(StringComparer.Ordinal);
        if (!await store.BucketExistsAsync(DataBucket, cancellationToken))
        {
            return result;
        }

        foreach (var o in await store.ListAsync(DataBucket, ManifestPrefix, cancellationToken))
        {
            if (!o.Key.EndsWith(".json", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                var entry = _reviews.TryGetValue(o.Key, out var cached) && cached.Modified == o.LastModified && cached.Size == o.Size
                    ? cached.Entry
                    : await ReadJsonAsync<LabelManifestEntry>(DataBucket, o, cancellationToken);
                _reviews[o.Key] = (o.LastModified, o.Size, entry);
                result[entry.Id] = entry;
            }
            catch (Exception ex) when (ex is JsonException or DryWetException or IOException)
            {
                logger.LogWarning("Manifest entry {Key} could not be read: {Reason}", o.Key, ex.Message);
            }
        }

        return result;
    }

    private async Task<PredictionLogRecord> RecordAsync(StoredObject o, CancellationToken cancellationToken)
    {
        if (_records.TryGetValue(o.Key, out var cached) && cached.Modified == o.LastModified)
        {
            return cached.Record;
        }

        var record = await ReadJsonAsync<PredictionLogRecord>(FeedbackBucket, o, cancellationToken);
        if (string.IsNullOrEmpty(record.Id) || string.IsNullOrEmpty(record.Prediction) || record.Probabilities is null)
        {
            throw new DryWetException("it lacks id, prediction or probabilities");
        }

        _records[o.Key] = (o.LastModified, record);
        return record;
    }

    private async Task<T> ReadJsonAsync<T>(string bucket, StoredObject o, CancellationToken cancellationToken)
    {
        var temp = cache.TempFile(".json");
        try
        {
            await store.DownloadFileAsync(bucket, o.Key, temp, cancellationToken);
            await using var stream = File.OpenRead(temp);
            return await JsonSerializer.DeserializeAsync<T>(stream, PredictionLogRecord.Json, cancellationToken)
                   ?? throw new DryWetException("it is empty (null)");
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

/// <summary>What the review page lists.</summary>
public sealed record PredictionLogSnapshot(IReadOnlyList<LoggedPrediction> Predictions, bool BucketExists, IReadOnlyList<string> Unreadable);
