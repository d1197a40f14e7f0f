namespace DryWet.TrainingWorker.Watching;

/// <summary>Starts one training run on data the watcher found and waits for it: in this process, or as a Kubeflow pipeline run.</summary>
public interface ITrainingLauncher
{
    string Description { get; }

    /// <summary>One archive (<c>watch --object</c>).</summary>
    /// <param name="localZip">The data, already downloaded (the watcher hashed it).</param>
    Task<LaunchResult> LaunchAsync(WatchedObject data, string localZip, CancellationToken cancellationToken);

    /// <summary>Exactly the dataset version <paramref name="version"/> of the prefix (its manifest is stored there).</summary>
    Task<LaunchResult> LaunchDatasetAsync(WatchedDataset data, string version, CancellationToken cancellationToken);
}
