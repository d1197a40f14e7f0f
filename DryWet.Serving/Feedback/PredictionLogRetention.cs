using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.Serving.Feedback;

/// <summary>Deletes the prediction log's date folders older than the retention: a folder's day is its UTC date.</summary>
internal static class PredictionLogRetention
{
    /// <summary>
    /// Deletes every object under <c>predictions/&lt;day&gt;/</c> whose day is more than <paramref name="retentionDays"/>
    /// days before today (UTC); today and the last <paramref name="retentionDays"/> days are kept. Keys outside the
    /// layout are never touched. A missing bucket means nothing to delete.
    /// </summary>
    public static async Task<(int Objects, int Folders)> ApplyAsync(IObjectStore store, int retentionDays, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (!await store.BucketExistsAsync(PredictionLogLayout.Bucket, cancellationToken))
        {
            return (0, 0);
        }

        var oldestKept = DateOnly.FromDateTime(now.UtcDateTime).AddDays(-retentionDays);
        var expired = (await store.ListAsync(PredictionLogLayout.Bucket, PredictionLogLayout.Prefix, cancellationToken))
            .Select(o => (o.Key, Day: PredictionLogLayout.DayOf(o.Key)))
            .Where(o => o.Day is { } day && day < oldestKept)
            .ToList();
        foreach (var (key, _) in expired)
        {
            await store.DeleteAsync(PredictionLogLayout.Bucket, key, cancellationToken);
        }

        return (expired.Count, expired.Select(o => o.Day).Distinct().Count());
    }
}
