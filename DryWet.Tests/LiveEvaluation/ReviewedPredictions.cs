using System.Text;
using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.LiveEvaluation;
using DryWet.Core.Storage;

namespace DryWet.Tests.LiveEvaluation;

/// <summary>
/// Writes what the live gate reads, in the shared contracts' JSON: a logged record (serving's prediction log, with
/// the shadow's answer) and its review (the review page's manifest entry).
/// </summary>
internal static class ReviewedPredictions
{
    public static readonly DateTimeOffset Day = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    /// <param name="shadow">The shadow's answer; null: no shadow answered this request.</param>
    /// <param name="withRecord">False: the record was removed (retention) and only the review is left.</param>
    public static async Task WriteAsync(IObjectStore store, string id, string label, string champion, string championVersion,
        string? shadow, string? shadowVersion, bool withRecord = true, string modelName = "dry_wet_model", string? extraEntryJson = null)
    {
        await store.EnsureBucketAsync(PredictionLogLayout.Bucket);
        await store.EnsureBucketAsync(LiveReviewReader.DataBucket);
        var recordKey = PredictionLogLayout.RecordKey(Day, id);
        if (withRecord)
        {
            var record = new PredictionLogRecord(id, Day, modelName, championVersion, champion, Probabilities(champion), "image/jpeg", 100, null,
                shadow is null ? null : new ShadowAnswer(shadowVersion!, shadow, Probabilities(shadow)));
            await UploadAsync(store, PredictionLogLayout.Bucket, recordKey, JsonSerializer.Serialize(record, PredictionLogRecord.Json));
        }

        var entry = new LabelManifestEntry(id, label, champion, label != champion, "reviewer@example.test", Day.AddHours(1),
            $"{label}/{id}.jpg", recordKey, modelName, championVersion, 0.9f, null);
        var json = JsonSerializer.Serialize(entry, PredictionLogRecord.Json);
        if (extraEntryJson is not null)
        {
            json = json[..^1] + "," + extraEntryJson + "}";
        }

        await UploadAsync(store, LiveReviewReader.DataBucket, $"{LiveReviewReader.ManifestPrefix}{id}.json", json);
    }

    /// <summary>
    /// <paramref name="bothRight"/> + <paramref name="championOnly"/> + <paramref name="shadowOnly"/> + <paramref name="bothWrong"/>
    /// reviewed requests of champion v<paramref name="championVersion"/> shadowed by v<paramref name="shadowVersion"/>.
    /// </summary>
    public static async Task WriteTableAsync(IObjectStore store, string championVersion, string shadowVersion,
        int bothRight, int championOnly, int shadowOnly, int bothWrong, string idPrefix = "req")
    {
        var i = 0;
        async Task Many(int count, string champion, string shadow)
        {
            for (var k = 0; k < count; k++, i++)
            {
                await WriteAsync(store, $"{idPrefix}{i:D5}", "wet", champion, championVersion, shadow, shadowVersion);
            }
        }

        await Many(bothRight, "wet", "wet");
        await Many(championOnly, "wet", "dry");
        await Many(shadowOnly, "dry", "wet");
        await Many(bothWrong, "dry", "dry");
    }

    public static async Task UploadAsync(IObjectStore store, string bucket, string key, string text) =>
        await store.UploadAsync(bucket, key, Encoding.UTF8.GetBytes(text), "application/json");

    private static Dictionary<string, float> Probabilities(string prediction) =>
        new() { [prediction] = 0.9f, [prediction == "wet" ? "dry" : "wet"] = 0.1f };
}
