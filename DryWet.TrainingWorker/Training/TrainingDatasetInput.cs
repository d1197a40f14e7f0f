using System.Text.Json;
using System.Text.Json.Nodes;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The training data as an MLflow dataset input (runs/log-inputs, context "training"): named after the file or
/// folder, digest = the first 10 hex digits of the <c>dataset.sha256</c> run tag (MLflow's own digests are that short),
/// the source URI, a tensor schema (what the model reads: float32 N×3×S×S images, int64 labels) and a profile with the
/// counts per class and per split.
/// </summary>
public static class TrainingDatasetInput
{
    public const int DigestLength = 10;

    /// <returns>Null when the run has no content hash to name the data by.</returns>
    public static TrackedDataset? Describe(string source, IReadOnlyDictionary<string, string> runTags, ImageFolderDataset dataset,
        int trainCount, int validationCount, int imageSize)
    {
        if (!runTags.TryGetValue("dataset.sha256", out var sha256) || sha256.Length < DigestLength)
        {
            return null;
        }

        var isObject = ObjectStoreUri.IsObjectStoreUri(source);
        var uri = isObject ? source : new Uri(Path.GetFullPath(source)).AbsoluteUri;
        var name = Path.GetFileNameWithoutExtension(source.TrimEnd('/', Path.DirectorySeparatorChar));
        var features = $"[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"float32\", \"shape\": [-1, 3, {imageSize}, {imageSize}]}}}}]";
        const string targets = "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1]}}]";
        var schema = new JsonObject { ["mlflow_tensorspec"] = new JsonObject { ["features"] = features, ["targets"] = targets } };
        var profile = new JsonObject
        {
            ["num_images"] = dataset.Images.Count,
            ["classes"] = new JsonObject(dataset.Classes.Select((c, i) => KeyValuePair.Create(c, (JsonNode?)dataset.CountOf(i)))),
            ["train_images"] = trainCount,
            ["validation_images"] = validationCount,
            ["skipped_files"] = dataset.Skipped.Count,
        };
        return new TrackedDataset(name.Length > 0 ? name : "training-data", sha256[..DigestLength], isObject ? "s3" : "local",
            new JsonObject { ["uri"] = uri }.ToJsonString(), schema.ToJsonString(), profile.ToJsonString(new JsonSerializerOptions()));
    }
}
