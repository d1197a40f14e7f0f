using System.Text.Json;
using System.Text.Json.Nodes;
using DryWet.Core.Tracking;
using DryWet.TrainingWorker.Data;

namespace DryWet.TrainingWorker.Training;

/// <summary>
/// The training data as an MLflow dataset input (runs/log-inputs, context "training"): named after the data prefix,
/// file or folder; digest = the dataset version (the snapshot manifest's digest, 32 hex digits: MLflow keeps at most
/// 36); the source URI and the manifest's; a tensor schema (what the model reads: float32 N×3×S×S images, int64
/// labels) and a profile with the counts per class, per origin (archive, review) and per split.
/// </summary>
public static class TrainingDatasetInput
{
    public static TrackedDataset Describe(string source, PreparedDataset prepared, ImageFolderDataset dataset,
        int trainCount, int validationCount, int imageSize)
    {
        var manifest = prepared.Manifest;
        var isObject = DryWet.Core.Storage.ObjectStoreUri.IsObjectStoreUri(source);
        var name = source.TrimEnd('/', Path.DirectorySeparatorChar);
        name = Path.GetFileNameWithoutExtension(name[(name.LastIndexOf('/') + 1)..]);
        var features = $"[{{\"type\": \"tensor\", \"tensor-spec\": {{\"dtype\": \"float32\", \"shape\": [-1, 3, {imageSize}, {imageSize}]}}}}]";
        const string targets = "[{\"type\": \"tensor\", \"tensor-spec\": {\"dtype\": \"int64\", \"shape\": [-1]}}]";
        var schema = new JsonObject { ["mlflow_tensorspec"] = new JsonObject { ["features"] = features, ["targets"] = targets } };
        var profile = new JsonObject
        {
            ["num_images"] = dataset.Images.Count,
            ["classes"] = new JsonObject(dataset.Classes.Select((c, i) => KeyValuePair.Create(c, (JsonNode?)dataset.CountOf(i)))),
            ["origins"] = new JsonObject(prepared.Materialized.CountByOrigin(dataset).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["objects"] = manifest.Objects.Count,
            ["duplicates"] = prepared.Materialized.Duplicates,
            ["train_images"] = trainCount,
            ["validation_images"] = validationCount,
            ["skipped_files"] = dataset.Skipped.Count,
        };
        var sourceJson = new JsonObject { ["uri"] = isObject ? source : manifest.Source };
        if (prepared.ManifestUri is { } stored)
        {
            sourceJson["manifest"] = stored;
        }

        return new TrackedDataset(name.Length > 0 ? name : "training-data", manifest.Version, isObject ? "s3" : "local",
            sourceJson.ToJsonString(), schema.ToJsonString(), profile.ToJsonString(new JsonSerializerOptions()));
    }
}
