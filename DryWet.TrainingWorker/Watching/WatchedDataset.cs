using DryWet.Core.Storage;
using DryWet.TrainingWorker.Data;

namespace DryWet.TrainingWorker.Watching;

/// <summary>The data prefix the watcher follows (<c>watch</c> without <c>--object</c>): <c>s3://bucket/prefix/</c>, the whole dataset.</summary>
public sealed record WatchedDataset(string Bucket, string Prefix)
{
    public override string ToString() => $"s3://{Bucket}/{DatasetManifest.PrefixFolder(Prefix)}";

    /// <summary>Where the watcher keeps what it last acted on (a dot-folder at the bucket's root: never training data).</summary>
    public string StateKey => DatasetManifest.PrefixFolder(Prefix) is { Length: > 0 } folder ? $".drywet/watch/{folder}dataset.json" : ".drywet/watch/dataset.json";

    /// <summary>The object key of a version's manifest (what a pipeline's download step copies from).</summary>
    public string ManifestKey(string version) => DatasetManifest.KeyFor(Prefix, version);

    public static WatchedDataset From(string bucket, string? prefix)
    {
        ObjectKeys.ValidateBucket(bucket);
        var trimmed = (prefix ?? "").Trim('/');
        if (trimmed.Length > 0)
        {
            ObjectKeys.ValidateKey(trimmed);
        }

        return new WatchedDataset(bucket, trimmed);
    }
}
