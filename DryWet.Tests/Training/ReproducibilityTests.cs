using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;

namespace DryWet.Tests.Training;

/// <summary>
/// The same seed gives the same run, twice in a row; and nothing in a run is left to the GC that a GC could free under
/// libtorch. TorchSharp 0.107 lets implicitly created Scalars be finalized while the native call that uses them runs;
/// DryWet's training step (BatchNorm, stochastic depth, focal loss, AdamW) disposes every Scalar it makes instead, so
/// the runtime finalizes none of them. (This replaces the old workaround of a huge gen0 budget, and the GC-hammer runs
/// that could not catch the race: see docs/training.md.)
/// </summary>
// torch's global RNG drives dropout and stochastic depth: no other TorchSharp test may run alongside.
[Collection("TorchSharp")]
public sealed class ReproducibilityTests : IDisposable
{
    private readonly TempFolder _temp = new();

    [Fact]
    public async Task Two_runs_with_the_same_random_seed_give_identical_metrics()
    {
        var zip = SampleZip(seed: 2);
        var first = await RunAsync(zip, epochs: 2, "a");
        var second = await RunAsync(zip, epochs: 2, "b");

        first.History.Select(Numbers).ShouldBe(second.History.Select(Numbers));
        File.ReadAllText(Path.Combine(_temp.Path, "a", "classification_report.txt"))
            .ShouldBe(File.ReadAllText(Path.Combine(_temp.Path, "b", "classification_report.txt")));
    }

    /// <summary>
    /// The whole training step (BatchNorm, stochastic depth, focal loss, AdamW) and the rest of a run — loading,
    /// validation, export — leave no Scalar to the GC, so no GC can free one while the native call that uses it runs:
    /// the runtime's own FinalizeObject events over one seeded epoch (<see cref="FinalizerWatch"/>; that it sees a
    /// Scalar left to the GC is shown in <see cref="AdamWOptimizerTests"/>).
    /// </summary>
    [Fact]
    public async Task A_training_run_leaves_no_Scalar_to_the_finalizer_so_no_GC_can_free_one_during_its_native_call()
    {
        var zip = SampleZip(seed: 3);
        using var watch = new FinalizerWatch();
        watch.Settle();
        var (scalars, tensors) = (watch.Finalized(typeof(TorchSharp.Scalar)), watch.Finalized(typeof(TorchSharp.torch.Tensor)));

        var run = await RunAsync(zip, epochs: 1, "watched");
        watch.Settle();

        run.History.ShouldHaveSingleItem();
        TestContext.Current.SendDiagnosticMessage($"finalized during the run: {watch.Finalized(typeof(TorchSharp.Scalar)) - scalars} Scalars, {watch.Finalized(typeof(TorchSharp.torch.Tensor)) - tensors} tensors");
        (watch.Finalized(typeof(TorchSharp.Scalar)) - scalars).ShouldBe(0, "every Scalar of the run is disposed, none left to the GC");
    }

    public void Dispose() => _temp.Dispose();

    private string SampleZip(int seed)
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        var zip = Path.Combine(_temp.Path, $"data-{seed}.zip");
        SampleDataset.WriteZip(zip, countPerClass: 16, size: 40, seed: seed);
        return zip;
    }

    /// <summary>The CI config at 32 px, batch 8: one seeded run; its epochs and its exported ONNX bytes.</summary>
    private async Task<(IReadOnlyList<EpochMetrics> History, byte[] Onnx)> RunAsync(string zip, int epochs, string name)
    {
        var config = TrainingPipelineTests.CiConfig(epochs);
        config.Training.ImgSize = 32;
        config.Training.BatchSize = 8;
        var progress = new CollectingProgress();
        var output = Path.Combine(_temp.Path, name);
        var result = await new TrainingRun(new RecordingTracker(), null, null, null, new EfficientNetBackend(progress), progress)
            .ExecuteAsync(new TrainingRequest(config, zip, output), TestContext.Current.CancellationToken);
        return (result.History, await File.ReadAllBytesAsync(Path.Combine(output, "model.onnx"), TestContext.Current.CancellationToken));
    }

    // Everything but wall-clock figures.
    private static string Numbers(EpochMetrics m) => $"{m.Epoch} {m.TrainLoss:R} {m.TrainAcc:R} {m.ValLoss:R} {m.ValAcc:R} {m.LearningRate:R}";
}
