using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Feedback;
using DryWet.Core.Storage;

namespace DryWet.Web.Review;

/// <summary>
/// Turns a reviewed prediction into training data: the image goes to <c>ml-data/&lt;label&gt;/&lt;id&gt;.&lt;ext&gt;</c> (the
/// class-folder layout the trainer reads), then the manifest entry <c>ml-data/.manifest/&lt;id&gt;.json</c> records who,
/// when and which prediction. The entry is written last: an entry means its image is in place.
/// </summary>
public sealed class TrainingLabelWriter(IObjectStore store, WebCache cache, ILogger<TrainingLabelWriter> logger)
{
    public static readonly IReadOnlyList<string> Labels = ["dry", "wet"];

    public async Task<LabelManifestEntry> WriteAsync(LoggedPrediction prediction, string label, string reviewer, CancellationToken cancellationToken)
    {
        if (!Labels.Contains(label))
        {
            throw new LabelRejectedException(400, $"Label '{label}' is not one of {string.Join(", ", Labels)}.");
        }

        if (prediction.Review is { } done)
        {
            // The port cannot delete, so a second, different label would leave the image in both class folders.
            throw new LabelRejectedException(409, done.Label == label
                ? $"Prediction {prediction.Record.Id} is already labelled '{label}' (by {done.Reviewer} at {done.ReviewedAt:u})."
                : $"Prediction {prediction.Record.Id} was already labelled '{done.Label}' by {done.Reviewer} at {done.ReviewedAt:u}; remove {done.ImageKey} from ml-data before labelling it '{label}'.");
        }

        var imageKey = $"{label}/{prediction.Record.Id}{prediction.Extension.ToLowerInvariant()}";
        var entry = new LabelManifestEntry(prediction.Record.Id, label, prediction.Record.Prediction, label != prediction.Record.Prediction,
            reviewer, DateTimeOffset.UtcNow, imageKey, prediction.RecordKey, prediction.Record.ModelName, prediction.Record.ModelVersion,
            prediction.Record.Confidence, prediction.Record.TraceId);
        var manifestKey = $"{PredictionLog.ManifestPrefix}{prediction.Record.Id}.json";
        var image = cache.TempFile(prediction.Extension);
        var manifest = cache.TempFile(".json");
        try
        {
            await store.EnsureBucketAsync(PredictionLog.DataBucket, cancellationToken);
            await store.DownloadFileAsync(PredictionLog.FeedbackBucket, prediction.ImageKey, image, cancellationToken);
            await store.UploadFileAsync(PredictionLog.DataBucket, imageKey, image, cancellationToken);
            await File.WriteAllTextAsync(manifest, JsonSerializer.Serialize(entry, PredictionLogRecord.Json), cancellationToken);
            await store.UploadFileAsync(PredictionLog.DataBucket, manifestKey, manifest, cancellationToken);
        }
        finally
        {
            File.Delete(image);
            File.Delete(manifest);
        }

        logger.LogInformation("{Reviewer} labelled prediction {Id} ({Predicted}, model {Version}) as {Label}: {Key}",
            reviewer, entry.Id, entry.Predicted, entry.ModelVersion, label, imageKey);
        return entry;
    }
}

/// <summary>A label that cannot be written, with the HTTP status it maps to.</summary>
public sealed class LabelRejectedException(int statusCode, string message) : DryWetException(message)
{
    public int StatusCode { get; } = statusCode;
}
