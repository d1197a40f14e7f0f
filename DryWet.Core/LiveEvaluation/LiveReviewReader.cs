using System.Collections.Concurrent;
using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Core.Platform;
using Microsoft.Extensions.Logging;

namespace DryWet.Core.LiveEvaluation;

/// <summary>
/// Reads the reviews (<c>ml-data/.manifest/&lt;id&gt;.json</c>, <see cref="LabelManifestEntry"/>) and, for each, the
/// logged prediction it names (<see cref="LabelManifestEntry.PredictionKey"/> in <c>ml-feedback</c>,
/// <see cref="PredictionLogRecord"/> with the shadow's answer) into a <see cref="LiveScoreboard"/>. Only reviewed
/// records are read, never the whole log; at most <see cref="MaxParallelReads"/> at once; each review is read once and
/// kept as a small <see cref="ReviewedRequest"/> until its manifest entry changes (a corrected label) or disappears.
/// A review whose record is gone (retention) still scores the champion from the entry; one that cannot be parsed is
/// counted and named, never fatal.
/// </summary>
public sealed class LiveReviewReader(IObjectStore store, string workDirectory, ILogger<LiveReviewReader> logger)
{
    public const string DataBucket = PlatformNames.DataBucket;
    public const string ManifestPrefix = PlatformNames.LabelManifestPrefix;
    public const int MaxParallelReads = 8;

    private readonly ConcurrentDictionary<string, (DateTimeOffset Modified, ReviewedRequest? Request, string? Problem)> _reviews = new(StringComparer.Ordinal);

    /// <summary>Scores every review of <paramref name="modelName"/>; an empty board when nothing was reviewed yet.</summary>
    public async Task<LiveReading> ReadAsync(string modelName, CancellationToken cancellationToken)
    {
        if (!await store.BucketExistsAsync(DataBucket, cancellationToken))
        {
            return new LiveReading(new LiveScoreboard(), []);
        }

        var listed = (await store.ListAsync(DataBucket, ManifestPrefix, cancellationToken))
            .Where(o => o.Key.EndsWith(".json", StringComparison.Ordinal) && !o.Key.AsSpan(ManifestPrefix.Length).Contains('/'))
            .ToList();
        Directory.CreateDirectory(workDirectory);
        // This call's own view: cached entries still current, the rest read now. The shared cache is only updated
        // after, so a page read racing this one never finds a key missing.
        var scored = new ConcurrentDictionary<string, (DateTimeOffset Modified, ReviewedRequest? Request, string? Problem)>(StringComparer.Ordinal);
        var stale = new List<StoredObject>();
        foreach (var o in listed)
        {
            if (_reviews.TryGetValue(o.Key, out var cached) && cached.Modified == o.LastModified)
            {
                scored[o.Key] = cached;
            }
            else
            {
                stale.Add(o);
            }
        }

        await Parallel.ForEachAsync(stale, new ParallelOptions { MaxDegreeOfParallelism = MaxParallelReads, CancellationToken = cancellationToken },
            async (o, ct) => scored[o.Key] = await ReadReviewAsync(o, ct));
        foreach (var (key, value) in scored)
        {
            _reviews[key] = value;
        }

        foreach (var gone in _reviews.Keys.Where(k => !scored.ContainsKey(k)).ToList())
        {
            _reviews.TryRemove(gone, out _);
        }

        var board = new LiveScoreboard();
        var problems = new List<string>();
        foreach (var o in listed)
        {
            var (_, request, problem) = scored[o.Key];
            if (problem is not null)
            {
                problems.Add($"{o.Key}: {problem}");
            }
            else if (request is not null && request.ModelName == modelName)
            {
                board.Add(request);
            }
        }

        if (problems.Count > 0)
        {
            logger.LogWarning("{Count} reviews could not be scored, first: {First}", problems.Count, problems[0]);
        }

        return new LiveReading(board, problems);
    }

    private async Task<(DateTimeOffset, ReviewedRequest?, string?)> ReadReviewAsync(StoredObject o, CancellationToken cancellationToken)
    {
        LabelManifestEntry entry;
        try
        {
            entry = await ReadJsonAsync<LabelManifestEntry>(DataBucket, o.Key, cancellationToken);
        }
        catch (Exception ex) when (ex is JsonException or ObjectNotFoundException or IOException || ex is DryWetException and not ObjectStoreUnavailableException)
        {
            return (o.LastModified, null, ex.Message);
        }

        if (string.IsNullOrEmpty(entry.Id) || string.IsNullOrEmpty(entry.Label) || string.IsNullOrEmpty(entry.ModelVersion) || string.IsNullOrEmpty(entry.Predicted))
        {
            return (o.LastModified, null, "the entry lacks id, label, model_version or predicted");
        }

        var record = await ReadRecordAsync(entry, cancellationToken);
        if (record is not null && record.Id != entry.Id)
        {
            return (o.LastModified, null, $"its prediction_key {entry.PredictionKey} holds request {record.Id}, not {entry.Id}");
        }

        // The record is the source of truth for what answered; the entry copies the champion's answer for when it is gone.
        var request = new ReviewedRequest(entry.Id, record?.ModelName ?? entry.ModelName, entry.Label,
            record?.ModelVersion ?? entry.ModelVersion, record?.Prediction ?? entry.Predicted,
            record?.Shadow?.ModelVersion, record?.Shadow?.Prediction);
        return (o.LastModified, request, null);
    }

    /// <summary>The logged record the review names, or null when it is gone or the key is outside the log's layout.</summary>
    private async Task<PredictionLogRecord?> ReadRecordAsync(LabelManifestEntry entry, CancellationToken cancellationToken)
    {
        var key = entry.PredictionKey;
        if (string.IsNullOrEmpty(key) || PredictionLogLayout.DayOf(key) is null || !key.EndsWith(".json", StringComparison.Ordinal) || key.Contains(".."))
        {
            return null;
        }

        try
        {
            return await ReadJsonAsync<PredictionLogRecord>(PredictionLogLayout.Bucket, key, cancellationToken);
        }
        catch (Exception ex) when (ex is ObjectNotFoundException or BucketNotFoundException)
        {
            return null;
        }
        catch (JsonException ex)
        {
            logger.LogInformation("Logged prediction {Key} is unreadable ({Reason}); scoring the champion from the review alone", key, ex.Message);
            return null;
        }
    }

    private async Task<T> ReadJsonAsync<T>(string bucket, string key, CancellationToken cancellationToken)
    {
        var temp = Path.Combine(workDirectory, $"live-{Guid.NewGuid():N}.json");
        try
        {
            await store.DownloadFileAsync(bucket, key, temp, cancellationToken);
            await using var stream = File.OpenRead(temp);
            return await JsonSerializer.DeserializeAsync<T>(stream, PredictionLogRecord.Json, cancellationToken)
                   ?? throw new JsonException("it is empty (null)");
        }
        finally
        {
            File.Delete(temp);
        }
    }
}

/// <summary>The scored reviews of one model, and the reviews that could not be scored (key: reason).</summary>
public sealed record LiveReading(LiveScoreboard Board, IReadOnlyList<string> Problems);
