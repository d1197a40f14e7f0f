namespace DryWet.TrainingWorker.Data;

/// <summary>Run and version tags that identify the training data (the watcher skips a dataset version already trained).</summary>
public static class DatasetTags
{
    /// <summary>The dataset version: the snapshot manifest's digest (<see cref="DatasetManifest.Version"/>).</summary>
    public const string Version = "dataset.version";

    /// <summary>How many reviewed images (origin review) the trained dataset holds, after duplicates.</summary>
    public const string ReviewedImages = "dataset.reviewed_images";

    /// <summary>SHA-256 of the archive when the dataset is one archive (what the watcher's <c>--object</c> mode compares).</summary>
    public const string Sha256 = "dataset.sha256";

    public const string Bytes = "dataset.bytes";
    public const string Source = "dataset.source";
}
