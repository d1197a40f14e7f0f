using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Training;

namespace DryWet.Tests.Training;

// torch's global RNG drives dropout and stochastic depth: no other TorchSharp test may run alongside.
[Collection("TorchSharp")]
public sealed class ReproducibilityTests
{
    [Fact]
    public async Task Two_runs_with_the_same_random_seed_give_identical_metrics()
    {
        DryWet.Tests.Model.TorchTestSupport.EnsureTorch();
        using var temp = new TempFolder();
        var zip = Path.Combine(temp.Path, "data.zip");
        SampleDataset.WriteZip(zip, countPerClass: 16, size: 40, seed: 2);
        var config = TrainingPipelineTests.CiConfig(epochs: 2);
        config.Training.ImgSize = 32;
        config.Training.BatchSize = 8;

        async Task<IReadOnlyList<EpochMetrics>> Run(string name)
        {
            var progress = new CollectingProgress();
            var result = await new TrainingRun(new RecordingTracker(), null, null, null, new EfficientNetBackend(progress), progress)
                .ExecuteAsync(new TrainingRequest(config, zip, Path.Combine(temp.Path, name)), TestContext.Current.CancellationToken);
            return result.History;
        }

        var first = await Run("a");
        var second = await Run("b");
        first.Select(Numbers).ShouldBe(second.Select(Numbers));
        File.ReadAllText(Path.Combine(temp.Path, "a", "classification_report.txt"))
            .ShouldBe(File.ReadAllText(Path.Combine(temp.Path, "b", "classification_report.txt")));
    }

    // Everything but wall-clock figures.
    private static string Numbers(EpochMetrics m) => $"{m.Epoch} {m.TrainLoss:R} {m.TrainAcc:R} {m.ValLoss:R} {m.ValAcc:R} {m.LearningRate:R}";
}
