namespace DryWet.TrainingWorker.Data;

/// <summary>Run and version tags that identify the training data (the watcher skips content already trained by hash).</summary>
public static class DatasetTags
{
    public const string Sha256 = "dataset.sha256";
    public const string Bytes = "dataset.bytes";
    public const string Source = "dataset.source";
}
