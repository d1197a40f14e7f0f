using System.Collections.Concurrent;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;

namespace DryWet.TrainingWorker.Data;

/// <summary>
/// Turns a labelled file into the model input. Evaluation: exactly <see cref="ImagePreprocessor"/> (decode → resize →
/// normalize), the code serving runs. Training: the same decode + resize, then <see cref="Augmenter"/> on the RGB
/// pixels, then the same normalization. Decoded images are cached in memory up to a budget, so each file is decoded
/// once and only augmentation runs per epoch. Thread-safe.
/// </summary>
public sealed class SampleLoader
{
    private readonly ImagePreprocessor preprocessor;
    private readonly Augmenter augmenter;
    private readonly ConcurrentDictionary<string, DecodedImage> cache = new(StringComparer.Ordinal);
    private readonly long cacheBudgetBytes;
    private long cachedBytes;

    public SampleLoader(DryWetConfig config, long cacheBudgetBytes = 1L << 30)
    {
        preprocessor = new ImagePreprocessor(PreprocessorOptions.FromConfig(config));
        augmenter = new Augmenter(config.Augmentation);
        this.cacheBudgetBytes = cacheBudgetBytes;
    }

    /// <summary>Floats per sample: 3 × img_size × img_size.</summary>
    public int SampleLength => preprocessor.TensorLength;

    public int ImageSize => preprocessor.Options.Width;

    /// <summary>The evaluation (and serving) input of one file.</summary>
    public void WriteEvaluation(string path, Span<float> destination) => preprocessor.ToTensor(Decode(path), destination);

    /// <summary>The augmented training input; <paramref name="random"/> decides every random choice.</summary>
    public void WriteTraining(string path, Random random, Span<float> destination) =>
        preprocessor.ToTensor(augmenter.Apply(Decode(path), random), destination);

    private DecodedImage Decode(string path)
    {
        if (cache.TryGetValue(path, out var cached))
        {
            return cached;
        }

        DecodedImage image;
        try
        {
            image = preprocessor.Decode(File.ReadAllBytes(path));
        }
        catch (InvalidImageException ex)
        {
            throw new DryWetException($"Image '{path}' could not be decoded during training: {ex.Message} Remove or replace the file.", ex);
        }

        if (Interlocked.Add(ref cachedBytes, image.Rgb.Length) <= cacheBudgetBytes)
        {
            cache.TryAdd(path, image);
        }
        else
        {
            Interlocked.Add(ref cachedBytes, -image.Rgb.Length);
        }

        return image;
    }
}
