using System.Globalization;
using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Data;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Training;
using static TorchSharp.torch;

namespace DryWet.Benchmarks;

/// <summary>
/// Training throughput (images/s) and the data-wait share of step time for a variant and input size, measured
/// through the real loop (<see cref="Trainer"/>: decode + augment on the prefetch thread, focal loss, AdamW, clipping).
/// The decode cache is off so every step decodes JPEGs, as with a dataset larger than memory. Like the PyTorch peer
/// (<c>seed_train_bench.py</c>), the first step of the epoch is a warm-up: the clock runs from its end to the end of
/// the last step, so <c>steps</c> steps are timed (the prefetcher's start and the first allocations are not).
/// </summary>
internal static class TrainingBenchmark
{
    /// <param name="EpochImagesPerSecond">The whole epoch's rate, warm-up step and prefetcher start included.</param>
    public sealed record Result(string Architecture, int ImageSize, int BatchSize, int Images, double ImagesPerSecond, double DataWaitShare, TimeSpan Duration, double EpochImagesPerSecond)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Architecture} {ImageSize}px batch {BatchSize}: {ImagesPerSecond:F2} img/s, data wait {DataWaitShare:P1} of step time ({Images} images timed in {Duration.TotalSeconds:F1} s; whole epoch with its warm-up step {EpochImagesPerSecond:F2} img/s)");
    }

    public static Result Measure(string architecture, int imageSize, int batchSize, int steps, int sourceSize, string workFolder)
    {
        TorchRuntime.EnsureLoaded();
        var images = batchSize * (steps + 1);
        var folder = Path.Combine(workFolder, $"bench-{sourceSize}px-{images}");
        if (!Directory.Exists(folder))
        {
            var zip = folder + ".zip";
            SampleDataset.WriteZip(zip, images / 2 + 1, sourceSize, seed: 1);
            SafeZipExtractor.Extract(zip, folder);
        }

        var dataset = ImageFolderDataset.Open(folder, workFolder);
        var train = dataset.Images.Take(images).ToArray();
        var config = new DryWetConfig();
        config.Model.Architecture = architecture;
        config.Training.ImgSize = imageSize;
        config.Training.BatchSize = batchSize;
        config.Training.Epochs = 1;
        random.manual_seed(1);
        using var model = new EfficientNetBackend(SilentProgress.Instance).Create(config);
        var loader = new SampleLoader(config, cacheBudgetBytes: 0);
        var clock = new StepClock();
        var trainer = new Trainer(config, clock);
        var outcome = trainer.Fit(model, loader, train, train.Take(2).ToArray(), dataset.Classes, CPU);
        var epoch = outcome.History.Single();
        if (steps == 0 || clock.Window is not { } window)
        {
            return new Result(architecture, imageSize, batchSize, train.Length, epoch.ImagesPerSecond, epoch.DataWaitShare, epoch.Duration, epoch.ImagesPerSecond);
        }

        var timed = steps * batchSize;
        return new Result(architecture, imageSize, batchSize, timed, timed / window.TotalSeconds, epoch.DataWaitShare, window, epoch.ImagesPerSecond);
    }
}
