using DryWet.TrainingWorker.Promotion;
using DryWet.TrainingWorker.Training;

namespace DryWet.TrainingWorker.Watching;

/// <summary>Trains in the watcher's own process (the laptop): the same <see cref="TrainingRun"/> as <c>train</c>, gate included.</summary>
public sealed class InProcessTrainingLauncher(Func<TrainingRun> runs, TrainingRequest template) : ITrainingLauncher
{
    public string Description => $"in-process training (--promote {template.Promotion.ToOptionValue()})";

    /// <summary>Trains on the object itself (<c>s3://bucket/key</c>), so the run's dataset manifest is stored next to it.</summary>
    public Task<LaunchResult> LaunchAsync(WatchedObject data, string localZip, CancellationToken cancellationToken) =>
        RunAsync(template with { Data = data.ToString() }, cancellationToken);

    public Task<LaunchResult> LaunchDatasetAsync(WatchedDataset data, string version, CancellationToken cancellationToken) =>
        RunAsync(template with { Data = data.ToString(), DatasetVersion = version }, cancellationToken);

    private async Task<LaunchResult> RunAsync(TrainingRequest request, CancellationToken cancellationToken)
    {
        try
        {
            var result = await runs().ExecuteAsync(request, cancellationToken);
            var version = result.RegisteredVersion is { } v ? $"v{v.Version} " : "";
            return new LaunchResult(true, $"run {result.RunId}: best_val_acc {result.BestValAcc:F4}; {version}{result.Promotion?.Summary ?? "not registered"}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A supervisor loop: one failed run is reported and the watcher keeps watching for new data.
            return new LaunchResult(false, ex.Message);
        }
    }
}
