using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.Web.Review;

/// <summary>
/// Turns a reviewed prediction into training data, safe against concurrent reviewers on every object store:
/// <list type="number">
/// <item>the manifest entry <c>ml-data/.manifest/&lt;id&gt;.json</c> is created create-only (the first reviewer wins; a
/// later one gets 409 naming who labelled it), or, for a change, replaced by compare-and-swap on the version tag that was
/// read (a concurrent change gets 409 naming who changed it);</item>
/// <item>then the image is put where the entry says (<c>ml-data/&lt;label&gt;/&lt;id&gt;.&lt;ext&gt;</c>, the class-folder
/// layout) and removed from every other class folder, and the entry is read again: when it changed meanwhile, the
/// placement is redone for what it says now.</item>
/// </list>
/// Every writer ends with a placement checked against the entry as it last read it, so when the writers are done the
/// image is in exactly the class folder of the entry's label, never in two.
/// </summary>
public sealed class TrainingLabelWriter(IObjectStore store, WebCache cache, ILogger<TrainingLabelWriter> logger)
{
    public static readonly IReadOnlyList<string> Labels = ["dry", "wet"];

    /// <summary>A manifest entry is a few hundred bytes plus its history; anything far larger is not one.</summary>
    internal const int MaxEntryBytes = 256 * 1024;

    /// <summary>Placement rounds before leaving the rest to the writer that changed the entry meanwhile.</summary>
    private const int MaxPlacements = 8;

    public static string ManifestKey(string id) => $"{PredictionLog.ManifestPrefix}{id}.json";

    /// <summary>The first label of a prediction: 409 when any reviewer labelled it already (the loser of a race too).</summary>
    public async Task<LabelManifestEntry> WriteAsync(LoggedPrediction prediction, string label, string reviewer, CancellationToken cancellationToken)
    {
        RequireLabel(label);
        var now = DateTimeOffset.UtcNow;
        var record = prediction.Record;
        var entry = new LabelManifestEntry(record.Id, label, record.Prediction, label != record.Prediction, reviewer, now, ImageKey(prediction, label),
            prediction.RecordKey, record.ModelName, record.ModelVersion, record.Confidence, record.TraceId, [new LabelChange(null, label, reviewer, now)]);
        await store.EnsureBucketAsync(PredictionLog.DataBucket, cancellationToken);
        if (!await store.TryCreateAsync(PredictionLog.DataBucket, ManifestKey(record.Id), Serialize(entry), "application/json", cancellationToken))
        {
            var (done, _) = await ReadEntryAsync(record.Id, cancellationToken)
                            ?? throw new LabelRejectedException(409, $"Prediction {record.Id} is being labelled by another reviewer: reload and try again.");
            // The earlier writer may have stopped between its entry and its image: make the image match the entry.
            await PlaceImageAsync(prediction, cancellationToken);
            throw new LabelRejectedException(409, done.Label == label
                ? $"Prediction {record.Id} is already labelled '{label}' (by {done.Reviewer} at {done.ReviewedAt:u})."
                : $"Prediction {record.Id} was already labelled '{done.Label}' by {done.Reviewer} at {done.ReviewedAt:u}; change the label to correct it.");
        }

        await PlaceImageAsync(prediction, cancellationToken);
        logger.LogInformation("{Reviewer} labelled prediction {Id} ({Predicted}, model {Version}) as {Label}: {Key}",
            reviewer, entry.Id, entry.Predicted, entry.ModelVersion, label, entry.ImageKey);
        return entry;
    }

    /// <summary>
    /// Changes a label from <paramref name="from"/> (what the reviewer saw) to <paramref name="to"/>: 409 when it is not
    /// labelled, or no longer <paramref name="from"/>, or another change won the race.
    /// </summary>
    public async Task<LabelManifestEntry> ChangeAsync(LoggedPrediction prediction, string from, string to, string reviewer, CancellationToken cancellationToken)
    {
        RequireLabel(from);
        RequireLabel(to);
        var id = prediction.Record.Id;
        if (from == to)
        {
            throw new LabelRejectedException(400, $"A change needs another label than '{from}'.");
        }

        var (current, tag) = await ReadEntryAsync(id, cancellationToken)
                             ?? throw new LabelRejectedException(409, $"Prediction {id} has no label to change yet: label it first.");
        if (current.Label != from)
        {
            throw new LabelRejectedException(409, Changed(id, current));
        }

        var now = DateTimeOffset.UtcNow;
        var history = current.History ?? [new LabelChange(null, current.Label, current.Reviewer, current.ReviewedAt)];
        var changed = current with
        {
            Label = to,
            Corrected = to != current.Predicted,
            Reviewer = reviewer,
            ReviewedAt = now,
            ImageKey = ImageKey(prediction, to),
            History = [.. history, new LabelChange(from, to, reviewer, now)],
        };
        if (!await store.TryReplaceAsync(PredictionLog.DataBucket, ManifestKey(id), Serialize(changed), "application/json", tag, cancellationToken))
        {
            var latest = await ReadEntryAsync(id, cancellationToken);
            throw new LabelRejectedException(409, latest is { } winner ? Changed(id, winner.Entry) : $"Prediction {id}'s label changed meanwhile: reload and try again.");
        }

        await PlaceImageAsync(prediction, cancellationToken);
        logger.LogInformation("{Reviewer} changed the label of prediction {Id} from {From} to {To}: {Key}", reviewer, id, from, to, changed.ImageKey);
        return changed;
    }

    /// <summary>
    /// Puts the image in the class folder of the entry's label and removes it from the others, until the entry reads the
    /// same before and after (a concurrent change makes the next round follow it).
    /// </summary>
    private async Task PlaceImageAsync(LoggedPrediction prediction, CancellationToken cancellationToken)
    {
        var image = cache.TempFile(prediction.Extension);
        try
        {
            await store.DownloadFileAsync(PredictionLog.FeedbackBucket, prediction.ImageKey, image, cancellationToken);
            var bytes = await File.ReadAllBytesAsync(image, cancellationToken);
            var seen = await ReadEntryAsync(prediction.Record.Id, cancellationToken);
            for (var round = 0; seen is { } placed && round < MaxPlacements; round++)
            {
                await store.UploadAsync(PredictionLog.DataBucket, placed.Entry.ImageKey, bytes, "application/octet-stream", cancellationToken);
                foreach (var other in Labels.Where(l => l != placed.Entry.Label))
                {
                    await store.DeleteAsync(PredictionLog.DataBucket, ImageKey(prediction, other), cancellationToken);
                }

                seen = await ReadEntryAsync(prediction.Record.Id, cancellationToken);
                if (seen?.Tag == placed.Tag)
                {
                    return;
                }
            }

            logger.LogInformation("Prediction {Id}'s label keeps changing; the reviewer who changed it last places its image", prediction.Record.Id);
        }
        finally
        {
            File.Delete(image);
        }
    }

    private async Task<(LabelManifestEntry Entry, string Tag)?> ReadEntryAsync(string id, CancellationToken cancellationToken)
    {
        VersionedObject read;
        try
        {
            read = await store.ReadAsync(PredictionLog.DataBucket, ManifestKey(id), MaxEntryBytes, cancellationToken);
        }
        catch (ObjectNotFoundException)
        {
            return null;
        }

        try
        {
            var entry = JsonSerializer.Deserialize<LabelManifestEntry>(read.Content, PredictionLogRecord.Json);
            return entry is { Label: not null, ImageKey: not null }
                ? (entry, read.ETag)
                : throw new LabelRejectedException(409, $"The manifest entry {ManifestKey(id)} lacks label or image_key: fix or remove it, then label again.");
        }
        catch (JsonException ex)
        {
            throw new LabelRejectedException(409, $"The manifest entry {ManifestKey(id)} is not valid JSON ({ex.Message}): fix or remove it, then label again.");
        }
    }

    private static string ImageKey(LoggedPrediction prediction, string label) => $"{label}/{prediction.Record.Id}{prediction.Extension.ToLowerInvariant()}";

    private static byte[] Serialize(LabelManifestEntry entry) => JsonSerializer.SerializeToUtf8Bytes(entry, PredictionLogRecord.Json);

    private static string Changed(string id, LabelManifestEntry now) =>
        $"Prediction {id} was labelled '{now.Label}' by {now.Reviewer} at {now.ReviewedAt:u} meanwhile: reload to see it.";

    private static void RequireLabel(string label)
    {
        if (!Labels.Contains(label))
        {
            throw new LabelRejectedException(400, $"Label '{label}' is not one of {string.Join(", ", Labels)}.");
        }
    }
}
