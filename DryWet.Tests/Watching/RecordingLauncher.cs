using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Watching;

namespace DryWet.Tests.Watching;

/// <summary>
/// Stands in for training (the watcher tests are about when a watcher trains, not how): records what it was asked to
/// train — an archive's SHA-256 (<c>watch --object</c>) or a dataset version (the whole dataset) — and fails the next
/// launch when told to. A launch of the other kind fails the test: each watcher launches only its own.
/// </summary>
internal sealed class RecordingLauncher(bool datasets) : ITrainingLauncher
{
    public List<string> Calls { get; } = [];
    public string? FailNext { get; set; }
    public string Description => "recording launcher";

    public Task<LaunchResult> LaunchAsync(WatchedObject data, string localZip, CancellationToken cancellationToken) => datasets
        ? throw new InvalidOperationException("the dataset watcher launches dataset versions")
        : Record(DatasetFingerprint.Compute(localZip).Sha256);

    public Task<LaunchResult> LaunchDatasetAsync(WatchedDataset data, string version, CancellationToken cancellationToken) => datasets
        ? Record(version)
        : throw new InvalidOperationException("watch --object launches one archive, never a dataset version");

    private Task<LaunchResult> Record(string what)
    {
        Calls.Add(what);
        var fail = FailNext;
        FailNext = null;
        return Task.FromResult(fail is null ? new LaunchResult(true, "trained") : new LaunchResult(false, fail));
    }
}
