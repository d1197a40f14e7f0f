namespace DryWet.TrainingWorker.Watching;

/// <summary>How a training run the watcher started ended: success, and a one-line detail (the gate's decision, the KFP run).</summary>
public sealed record LaunchResult(bool Succeeded, string Detail);
