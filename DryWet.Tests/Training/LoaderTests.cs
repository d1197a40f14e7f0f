using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.TrainingWorker.Data;

namespace DryWet.Tests.Training;

public sealed class LoaderTests
{
    private static (TempFolder Temp, LabeledImage[] Items) Files(int perClass, int size = 48)
    {
        var temp = new TempFolder();
        var items = new List<LabeledImage>();
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                var path = Path.Combine(temp.Path, $"{c}_{i}.jpg");
                File.WriteAllBytes(path, SyntheticRoadGenerator.DrawJpeg(c == 1, size, SampleDataset.ImageSeed(1, c, i)));
                items.Add(new LabeledImage(path, c));
            }
        }

        return (temp, items.ToArray());
    }

    [Fact]
    public void Evaluation_path_yields_exactly_the_tensor_of_ImagePreprocessor_that_serving_uses()
    {
        var (temp, items) = Files(3, size: 80);
        using var _ = temp;
        var config = new DryWetConfig();
        config.Training.ImgSize = 40;
        config.Normalization.Mean = [0.5f, 0.4f, 0.3f];
        var loader = new SampleLoader(config);
        var serving = new ImagePreprocessor(PreprocessorOptions.FromConfig(config));

        // Through the batch path the trainer evaluates with (prefetcher, eval mode).
        using var prefetcher = new BatchPrefetcher(loader, items, batchSize: 4, train: false, seed: 1, epoch: 0);
        var batched = prefetcher.ReadAll().SelectMany(b => b.Data).ToArray();
        var expected = items.SelectMany(i => serving.Preprocess(File.ReadAllBytes(i.Path))).ToArray();
        batched.ShouldBe(expected);
    }

    [Fact]
    public void Training_batches_are_repeatable_per_epoch_and_differ_between_epochs()
    {
        var (temp, items) = Files(6);
        using var _ = temp;
        var config = new DryWetConfig();
        config.Training.ImgSize = 32;
        var loader = new SampleLoader(config);
        float[] Epoch(int epoch, int workers)
        {
            using var p = new BatchPrefetcher(loader, items, 5, train: true, seed: 42, epoch, workers);
            return p.ReadAll().SelectMany(b => b.Data).ToArray();
        }

        Epoch(1, workers: 1).ShouldBe(Epoch(1, workers: 2), "thread count does not change the augmentation");
        Epoch(1, 2).ShouldNotBe(Epoch(2, 2));
    }

    [Fact]
    public void Prefetcher_reports_the_time_the_consumer_waited_for_data()
    {
        var (temp, items) = Files(8, size: 256);
        using var _ = temp;
        var config = new DryWetConfig();
        config.Training.ImgSize = 128;
        // A consumer that does nothing waits for nearly every batch; one that works longer than decoding barely waits.
        using var fast = new BatchPrefetcher(new SampleLoader(config, cacheBudgetBytes: 0), items, 2, train: true, 1, 1, workers: 1, depth: 1);
        var batches = fast.ReadAll().Count();
        batches.ShouldBe(8);
        fast.WaitTime.ShouldBeGreaterThan(TimeSpan.Zero);

        using var slow = new BatchPrefetcher(new SampleLoader(config, cacheBudgetBytes: 0), items, 2, train: true, 1, 1, workers: 1, depth: 8);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var batch in slow.ReadAll())
        {
            Thread.Sleep(150);
        }

        (slow.WaitTime.TotalSeconds / watch.Elapsed.TotalSeconds).ShouldBeLessThan(0.5, "decoding runs ahead while the step runs");
    }

    [Fact]
    public void A_file_that_fails_to_decode_mid_training_surfaces_as_an_error_naming_it()
    {
        var (temp, items) = Files(2);
        using var _ = temp;
        File.WriteAllBytes(items[1].Path, [0xFF, 0xD8, 0xFF, 0x00, 0x01]);
        var config = new DryWetConfig();
        config.Training.ImgSize = 32;
        using var prefetcher = new BatchPrefetcher(new SampleLoader(config), items, 2, train: false, 1, 0);
        Should.Throw<DryWet.Core.DryWetException>(() => prefetcher.ReadAll().ToList()).Message.ShouldContain(items[1].Path);
    }
}
