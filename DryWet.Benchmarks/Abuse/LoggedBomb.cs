using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// A bomb image in the web's prediction log, written where serving's prediction log writes (bucket
/// <c>ml-feedback</c> of the embedded store under the web's <c>DryWet:Home</c>): as if an older serving had answered
/// and logged it. The web's thumbnail endpoint is then asked for it.
/// </summary>
internal sealed record LoggedBomb(string Date, string Id)
{
    public static async Task<IReadOnlyList<LoggedBomb>> WriteAsync(string home, IReadOnlyList<byte[]> images)
    {
        var store = new EmbeddedObjectStore(DryWetHome.Objects(home));
        await store.EnsureBucketAsync(PredictionLogLayout.Bucket);
        var logged = new List<LoggedBomb>();
        foreach (var image in images)
        {
            var time = DateTimeOffset.UtcNow;
            var id = Guid.CreateVersion7().ToString("N");
            var (contentType, extension) = PredictionLogLayout.ImageFormat(image);
            var record = new PredictionLogRecord(id, time, "dry_wet_model", "1", "dry",
                new Dictionary<string, float> { ["dry"] = 0.9f, ["wet"] = 0.1f }, contentType, image.Length, null);
            await store.UploadAsync(PredictionLogLayout.Bucket, PredictionLogLayout.ImageKey(time, id, extension), image, contentType);
            await store.UploadAsync(PredictionLogLayout.Bucket, PredictionLogLayout.RecordKey(time, id),
                System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(record, PredictionLogRecord.Json), "application/json");
            logged.Add(new LoggedBomb(PredictionLogLayout.DateFolder(time), id));
        }

        return logged;
    }
}
