namespace DryWet.TrainingWorker.Watching;

/// <summary>Starts one training run on data the watcher found and waits for it: in this process, or as a Kubeflow pipeline run.</summary>
public interface ITrainingLauncher
{
    string Description { get; }

    /// <param name="localZip">The data, already downloaded (in-process training uses it; a pipeline downloads its own).</param>
    Task<LaunchResult> LaunchAsync(WatchedObject data, string localZip, CancellationToken cancellationToken);
}
