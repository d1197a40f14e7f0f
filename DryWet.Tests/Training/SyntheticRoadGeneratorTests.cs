using System.IO.Compression;
using DryWet.TrainingWorker.Data;
using SkiaSharp;

namespace DryWet.Tests.Training;

public sealed class SyntheticRoadGeneratorTests
{
    [Fact]
    public void Same_seed_draws_identical_images_and_different_seeds_differ()
    {
        var a = SyntheticRoadGenerator.DrawJpeg(wet: true, 64, seed: 7);
        var b = SyntheticRoadGenerator.DrawJpeg(wet: true, 64, seed: 7);
        var c = SyntheticRoadGenerator.DrawJpeg(wet: true, 64, seed: 8);
        a.ShouldBe(b);
        a.ShouldNotBe(c);
    }

    [Fact]
    public void Neither_mean_brightness_nor_any_single_pixel_separates_the_classes()
    {
        const int size = 48;
        const int perClass = 120;
        var gray = new List<(float[] Pixels, bool Wet)>();
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < perClass; i++)
            {
                using var bitmap = SyntheticRoadGenerator.Draw(wet: c == 1, size, SampleDataset.ImageSeed(3, c, i));
                var pixels = new float[size * size];
                for (var y = 0; y < size; y++)
                {
                    for (var x = 0; x < size; x++)
                    {
                        var p = bitmap.GetPixel(x, y);
                        pixels[y * size + x] = 0.299f * p.Red + 0.587f * p.Green + 0.114f * p.Blue;
                    }
                }

                gray.Add((pixels, c == 1));
            }
        }

        var labels = gray.Select(g => g.Wet).ToArray();
        var brightness = BestThresholdAccuracy(gray.Select(g => (double)g.Pixels.Average()).ToArray(), labels);
        var bestPixel = Enumerable.Range(0, size * size)
            .Max(p => BestThresholdAccuracy(gray.Select(g => (double)g.Pixels[p]).ToArray(), labels));
        TestContext.Current.SendDiagnosticMessage($"mean brightness: {brightness:F3}, best single pixel: {bestPixel:F3}");

        brightness.ShouldBeLessThan(0.8, "mean brightness alone must not give the class away");
        bestPixel.ShouldBeLessThan(0.8, "no single pixel may give the class away");
    }

    [Fact]
    public void Sample_zip_has_dry_and_wet_folders_of_decodable_jpegs_and_is_deterministic()
    {
        using var temp = new TempFolder();
        var first = Path.Combine(temp.Path, "a.zip");
        var second = Path.Combine(temp.Path, "b.zip");
        SampleDataset.WriteZip(first, countPerClass: 5, size: 32, seed: 11);
        SampleDataset.WriteZip(second, countPerClass: 5, size: 32, seed: 11);

        File.ReadAllBytes(first).ShouldBe(File.ReadAllBytes(second));
        using var zip = ZipFile.OpenRead(first);
        zip.Entries.Count(e => e.FullName.StartsWith("dry/", StringComparison.Ordinal)).ShouldBe(5);
        zip.Entries.Count(e => e.FullName.StartsWith("wet/", StringComparison.Ordinal)).ShouldBe(5);
        foreach (var entry in zip.Entries)
        {
            using var stream = entry.Open();
            using var bitmap = SKBitmap.Decode(stream);
            bitmap.ShouldNotBeNull(entry.FullName);
            bitmap.Width.ShouldBe(32);
        }

        Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order().ShouldBe(["a.zip", "b.zip"]);
    }

    /// <summary>Accuracy of the best single threshold (either direction) on one feature.</summary>
    internal static double BestThresholdAccuracy(double[] feature, bool[] labels)
    {
        var order = Enumerable.Range(0, feature.Length).OrderBy(i => feature[i]).ToArray();
        var positives = labels.Count(l => l);
        var negatives = labels.Length - positives;
        int belowPositive = 0, belowNegative = 0;
        var best = Math.Max(positives, negatives) / (double)labels.Length;
        foreach (var i in order)
        {
            if (labels[i]) belowPositive++; else belowNegative++;
            // Predict "negative" below the threshold, "positive" above (or the reverse).
            var a = (belowNegative + positives - belowPositive) / (double)labels.Length;
            best = Math.Max(best, Math.Max(a, 1 - a));
        }

        return best;
    }
}
