using DryWet.Core.Registry;
using DryWet.Core.Tracking;
using DryWet.Tests.Storage;
using DryWet.Tests.Tracking;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;
using Microsoft.Extensions.DependencyInjection;

namespace DryWet.Tests.Training;

/// <summary>
/// A run cancelled in mid-epoch on MLflow (the fake that answers like MLflow): it stops at the next batch, the MLflow
/// run ends KILLED with the reason, nothing is registered and no package is written. The process-level behaviour
/// (signals, exit 130, scratch folders) is <see cref="TrainerSignalTests"/>.
/// </summary>
[Collection("TorchSharp")]
public sealed class TrainingRunCancellationTests : IDisposable
{
    private readonly string _work = TestFolders.NewTempDirectory("run-cancel");

    [Fact]
    public async Task A_run_cancelled_after_one_batch_stops_there_ends_KILLED_on_MLflow_and_registers_nothing()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        await using var mlflow = await FakeMlflowServer.StartAsync();
        using var platform = PlatformHost.Build(Path.Combine(_work, "home"), mlflow.BaseAddress);
        var registry = platform.Services.GetRequiredService<IModelRegistry>();
        var zip = Path.Combine(_work, "data.zip");
        SampleDataset.WriteZip(zip, countPerClass: 24, size: 64, seed: 5);
        var output = Path.Combine(_work, "package");
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var progress = new CancellingProgress(cancellation);
        var run = new TrainingRun(platform.Services.GetRequiredService<IExperimentTracker>(), registry, null, null, new EfficientNetBackend(progress), progress);

        await Should.ThrowAsync<OperationCanceledException>(() =>
            run.ExecuteAsync(new TrainingRequest(TrainingPipelineTests.CiConfig(epochs: 3), zip, output, Register: true), cancellation.Token));

        progress.StepsCompleted.ShouldBe(1, "the next batch does not start");
        progress.EpochsCompleted.ShouldBe(0);
        var summary = mlflow.RunSummaries.ShouldHaveSingleItem();
        summary.Status.ShouldBe("KILLED");
        summary.Tags[TrainingRun.FailureTag].ShouldBe("cancelled");
        (await registry.ListVersionsAsync("dry_wet_model", TestContext.Current.CancellationToken)).ShouldBeEmpty();
        Directory.Exists(output).ShouldBeFalse();
        Directory.GetFileSystemEntries(_work).Select(Path.GetFileName).Where(name => name != "home").ShouldBe(["data.zip"], "no temp folder next to the output");
    }

    public void Dispose() => TestFolders.DeleteQuietly(_work);
}
