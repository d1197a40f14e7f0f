using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;

namespace DryWet.Tests.Training;

/// <summary>
/// The same seed gives the same run: twice in a row, and under constant garbage collection. TorchSharp 0.107 lets
/// implicitly created Scalars be finalized while the native call that uses them runs; DryWet's training step
/// (BatchNorm, stochastic depth, focal loss, AdamW) keeps every Scalar rooted instead, so a thread forcing full GCs
/// and finalizers without pause changes nothing: bit-identical losses and weights, no crash. (This replaces the old
/// workaround of a huge gen0 budget.)
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

    [Fact]
    public async Task Training_under_constant_garbage_collection_gives_identical_losses_and_weights()
    {
        var zip = SampleZip(seed: 3);
        var calm = await RunAsync(zip, epochs: 3, "calm");

        using var stop = new CancellationTokenSource();
        var collections = 0;
        var hammer = Task.Factory.StartNew(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                collections++;
            }
        }, TaskCreationOptions.LongRunning);
        (IReadOnlyList<EpochMetrics> History, byte[] Onnx) stressed;
        try
        {
            stressed = await RunAsync(zip, epochs: 3, "stressed");
        }
        finally
        {
            await stop.CancelAsync();
            await hammer;
        }

        TestContext.Current.SendDiagnosticMessage($"{collections} forced full GCs during the stressed run");
        stressed.History.Select(Numbers).ShouldBe(calm.History.Select(Numbers));
        stressed.Onnx.ShouldBe(calm.Onnx); // the exported weights, bit for bit
        // Dozens of full GCs with finalizers ran during the ~100 training steps (a full GC of the suite's heap takes longer).
        collections.ShouldBeGreaterThan(20);
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
