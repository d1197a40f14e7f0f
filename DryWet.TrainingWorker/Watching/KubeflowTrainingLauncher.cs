using DryWet.TrainingWorker.Pipelines;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// Trains on the cluster: compiles the training pipeline for the watched object (or dataset version) and submits it to Kubeflow Pipelines
/// as <c>pipeline submit --wait</c> does, so there is one run at a time. The pipeline's train step runs the gate.
/// </summary>
public sealed class KubeflowTrainingLauncher(TrainingPipelineSubmitter submitter, TrainingPipelineSettings settings,
    TrainingPipelineSubmitter.Options options) : ITrainingLauncher
{
    public string Description => $"Kubeflow Pipelines at {options.KubeflowHost}";

    public Task<LaunchResult> LaunchAsync(WatchedObject data, string localZip, CancellationToken cancellationToken) =>
        SubmitAsync(data.Bucket, data.Key, cancellationToken);

    /// <summary>The pipeline's download step copies exactly the snapshot its manifest names (<c>download --object .datasets/&lt;version&gt;.json</c>).</summary>
    public Task<LaunchResult> LaunchDatasetAsync(WatchedDataset data, string version, CancellationToken cancellationToken) =>
        SubmitAsync(data.Bucket, data.ManifestKey(version), cancellationToken);

    private async Task<LaunchResult> SubmitAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var pipeline = KubeflowPipelineCompiler.Compile(settings with { SourceDataBucket = bucket, SourceDataObject = key });
        try
        {
            var outcome = await submitter.SubmitAsync(pipeline, options with { Wait = true }, cancellationToken);
            return new LaunchResult(outcome.ExitCode == 0, $"KFP run {outcome.RunId} {outcome.FinalState ?? "submitted"} ({outcome.RunUrl})");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new LaunchResult(false, ex.Message);
        }
    }
}
