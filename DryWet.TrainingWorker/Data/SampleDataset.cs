using System.IO.Compression;
using DryWet.Core;

namespace DryWet.TrainingWorker.Data;

/// <summary>Writes a synthetic dry/wet dataset zip (<c>dry/</c> and <c>wet/</c> folders of JPEGs), atomically.</summary>
public static class SampleDataset
{
    /// <summary>
    /// <c>sample-data</c>'s (and the dashboard's "Load sample data") defaults: 300 images per class, 128 px, seed 42.
    /// Every seed draws from the same distribution; what decides how well a model trained on one seed does on another
    /// is how many images it learns from and how many it is validated on. With 100 per class (160 training, 40
    /// validation images) the tiny config scored 0.93–0.975 on fresh images while its 40-image validation said
    /// 0.975–1.0; with 300 (480 / 120) and the shipped 8 epochs, 0.9975–1.0 (docs/training.md has the table).
    /// </summary>
    public const int DefaultCount = 300;
    public const int DefaultSize = 128;
    public const int DefaultSeed = 42;

    /// <summary>The fixed evaluation set: 50 images per class from a seed no training set uses by default.</summary>
    public const int DefaultEvaluationCount = 50;
    public const int EvaluationSeed = 20261201;

    /// <summary>
    /// Writes <paramref name="countPerClass"/> images per class of <paramref name="size"/> px to <paramref name="zipPath"/>.
    /// The zip is built in a temp file next to the target and renamed into place, so a failure leaves nothing behind.
    /// Deterministic: the same seed gives byte-identical images. <paramref name="labelNoise"/> files that share of the
    /// images under the other class — a deliberately worse dataset, to watch the promotion gate reject its model.
    /// </summary>
    public static void WriteZip(string zipPath, int countPerClass, int size, int seed, double labelNoise = 0, IProgress<int>? progress = null)
    {
        if (labelNoise is not (>= 0 and <= 1))
        {
            throw new DryWetException($"--label-noise = {labelNoise}: must be a share in [0, 1] (0.5 = labels at random).");
        }

        if (countPerClass < 1)
        {
            throw new DryWetException($"--count = {countPerClass}: at least one image per class is needed.");
        }

        if (size is < 16 or > 2048)
        {
            throw new DryWetException($"--size = {size}: must be between 16 and 2048 pixels.");
        }

        zipPath = Path.GetFullPath(zipPath);
        var folder = Path.GetDirectoryName(zipPath)!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(zipPath)}.tmp-{Guid.NewGuid():N}");
        try
        {
            using (var zip = ZipFile.Open(temp, ZipArchiveMode.Create))
            {
                var done = 0;
                for (var c = 0; c < SyntheticRoadGenerator.Classes.Count; c++)
                {
                    for (var i = 0; i < countPerClass; i++)
                    {
                        var imageSeed = ImageSeed(seed, c, i);
                        var label = SyntheticRoadGenerator.Classes[IsMislabelled(imageSeed, labelNoise) ? 1 - c : c];
                        var jpeg = SyntheticRoadGenerator.DrawJpeg(wet: c == 1, size, imageSeed);
                        var entry = zip.CreateEntry($"{label}/{SyntheticRoadGenerator.Classes[c]}_{i:D5}.jpg", CompressionLevel.NoCompression);
                        // Fixed timestamp: same seed, same zip bytes.
                        entry.LastWriteTime = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
                        using var stream = entry.Open();
                        stream.Write(jpeg);
                        progress?.Report(++done);
                    }
                }
            }

            File.Move(temp, zipPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>
    /// Writes a fixed evaluation set (<c>dry/</c>, <c>wet/</c> JPEGs, never mislabelled) into <paramref name="folder"/>:
    /// what the promotion gate judges every model on besides its own validation split (docs/loop.md).
    /// </summary>
    public static int WriteEvaluationFolder(string folder, int countPerClass, int size, int seed)
    {
        var written = 0;
        for (var c = 0; c < SyntheticRoadGenerator.Classes.Count; c++)
        {
            var label = SyntheticRoadGenerator.Classes[c];
            Directory.CreateDirectory(Path.Combine(folder, label));
            for (var i = 0; i < countPerClass; i++)
            {
                var target = Path.Combine(folder, label, $"eval_{label}_{i:D5}.jpg");
                var temp = target + ".tmp";
                File.WriteAllBytes(temp, SyntheticRoadGenerator.DrawJpeg(wet: c == 1, size, ImageSeed(seed, c, i)));
                File.Move(temp, target, overwrite: true);
                written++;
            }
        }

        return written;
    }

    // A stable coin per image: the same seed mislabels the same images.
    private static bool IsMislabelled(int imageSeed, double labelNoise) =>
        labelNoise > 0 && (uint)ImageSeed(imageSeed, 7, 13) / (double)int.MaxValue < labelNoise;

    /// <summary>A distinct, stable seed per (dataset seed, class, index).</summary>
    /// <remarks>Not HashCode.Combine: that one is randomized per process; this mix is stable across runs and machines.</remarks>
    public static int ImageSeed(int seed, int classIndex, int index)
    {
        unchecked
        {
            var x = (uint)seed * 0x9E3779B1u ^ (uint)classIndex * 0x85EBCA77u ^ (uint)index * 0xC2B2AE3Du;
            x ^= x >> 16;
            x *= 0x7FEB352Du;
            x ^= x >> 15;
            x *= 0x846CA68Bu;
            x ^= x >> 16;
            return (int)(x & 0x7FFFFFFF);
        }
    }
}
