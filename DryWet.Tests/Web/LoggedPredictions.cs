using System.Text.Json;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;
using DryWet.Tests.Storage;
using DryWet.Web.Review;

namespace DryWet.Tests.Web;

/// <summary>Writes logged predictions the way serving's prediction log will: image + record under ml-feedback/predictions/&lt;date&gt;/.</summary>
internal static class LoggedPredictions
{
    public static async Task<PredictionLogRecord> WriteAsync(IObjectStore store, string id, string prediction, float confidence, byte[] jpeg,
        DateTimeOffset? time = null, ShadowAnswer? shadow = null)
    {
        var when = time ?? DateTimeOffset.UtcNow;
        var other = prediction == "wet" ? "dry" : "wet";
        var record = new PredictionLogRecord(id, when, "dry_wet_model", "1", prediction,
            new Dictionary<string, float> { [prediction] = confidence, [other] = 1 - confidence }, "image/jpeg", jpeg.Length, "4bf92f3577b34da6a3ce929d0e0e4736", shadow);
        var folder = $"predictions/{when:yyyy-MM-dd}";
        await store.EnsureBucketAsync(PredictionLog.FeedbackBucket);
        var image = TestFolders.NewTempFile("drywet-logged", ".jpg");
        var json = TestFolders.NewTempFile("drywet-logged", ".json");
        try
        {
            await File.WriteAllBytesAsync(image, jpeg);
            await File.WriteAllTextAsync(json, JsonSerializer.Serialize(record, PredictionLogRecord.Json));
            await store.UploadFileAsync(PredictionLog.FeedbackBucket, $"{folder}/{id}.jpg", image);
            await store.UploadFileAsync(PredictionLog.FeedbackBucket, $"{folder}/{id}.json", json);
        }
        finally
        {
            TestFolders.DeleteQuietly(image);
            TestFolders.DeleteQuietly(json);
        }

        return record;
    }
}
