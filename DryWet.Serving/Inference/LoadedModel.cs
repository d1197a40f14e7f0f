using System.Buffers;
using System.Diagnostics;
using DryWet.Core.Imaging;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// A model ready to serve: session, batcher, the preprocessing that matches it, and its metadata; it classifies encoded
/// images and preprocessed tensors through the same batching, with the decode/preprocess spans. Reference-counted:
/// the host holds one reference while it is current, each request one while it uses it; the last release disposes it,
/// so a replaced model finishes its in-flight requests before its session goes away.
/// </summary>
internal sealed class LoadedModel
{
    private readonly OnnxClassifier _classifier;
    private readonly InferenceScheduler _scheduler;
    private readonly ServingTelemetry _telemetry;
    private int _references = 1;

    public LoadedModel(ModelDescriptor descriptor, IReadOnlyList<string> labels, OnnxClassifier classifier,
        InferenceScheduler scheduler, ImagePreprocessor preprocessor, int maxBatchSize, ServingTelemetry telemetry)
    {
        _telemetry = telemetry;
        Descriptor = descriptor;
        Labels = labels;
        _classifier = classifier;
        _scheduler = scheduler;
        Preprocessor = preprocessor;
        MaxBatchSize = maxBatchSize;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    public ModelDescriptor Descriptor { get; }
    public IReadOnlyList<string> Labels { get; }
    public ImagePreprocessor Preprocessor { get; }
    public string ExecutionProvider => _classifier.ExecutionProvider;
    public string InputName => _classifier.InputName;
    public string OutputName => _classifier.OutputName;
    public int MaxBatchSize { get; }
    public DateTimeOffset LoadedAt { get; }

    /// <summary>Floats in one preprocessed image: 3 × H × W.</summary>
    public int ImageLength => Preprocessor.TensorLength;

    /// <summary>
    /// Decodes and preprocesses an encoded image (JPEG, PNG, WebP, BMP, GIF) and classifies it. Throws
    /// <see cref="InvalidImageException"/> for input that is not a usable image.
    /// </summary>
    public async Task<Prediction> ClassifyAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken)
    {
        var tensor = ArrayPool<float>.Shared.Rent(ImageLength);
        try
        {
            Preprocess(encoded.Span, tensor);
            _telemetry.RecordInputBrightness(Descriptor.Version,
                InputBrightness.Of(tensor.AsSpan(0, ImageLength), Preprocessor.Options.Mean, Preprocessor.Options.Std));
            return await ClassifyTensorAsync(tensor.AsMemory(0, ImageLength), cancellationToken);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(tensor);
        }
    }

    /// <summary>Classifies an image that is already preprocessed ([3, H, W] floats, normalised as the package says).</summary>
    public async Task<Prediction> ClassifyTensorAsync(ReadOnlyMemory<float> tensor, CancellationToken cancellationToken)
    {
        var prediction = Prediction.FromProbabilities(await _scheduler.ClassifyAsync(tensor, cancellationToken), Labels);
        _telemetry.RecordPrediction(Descriptor.Version, prediction.Label, prediction.Confidence);
        return prediction;
    }

    /// <summary>Classifies <paramref name="count"/> preprocessed images laid out one after another, batched together.</summary>
    public async Task<Prediction[]> ClassifyTensorsAsync(ReadOnlyMemory<float> images, int count, CancellationToken cancellationToken)
    {
        var rows = await _scheduler.ClassifyManyAsync(images, count, cancellationToken);
        var predictions = new Prediction[count];
        for (var i = 0; i < count; i++)
        {
            predictions[i] = Prediction.FromProbabilities(rows[i], Labels);
            _telemetry.RecordPrediction(Descriptor.Version, predictions[i].Label, predictions[i].Confidence);
        }

        return predictions;
    }

    /// <summary>
    /// Decodes and preprocesses an encoded image into <paramref name="tensor"/> ([3, H, W]), with the decode and
    /// preprocess spans and timings. Throws <see cref="InvalidImageException"/> for input that is not a usable image.
    /// </summary>
    public void Preprocess(ReadOnlySpan<byte> encoded, Span<float> tensor)
    {
        using var activity = ServingTelemetry.ActivitySource.StartActivity("preprocess");
        var started = Stopwatch.GetTimestamp();
        SkiaSharp.SKBitmap bitmap;
        using (ServingTelemetry.ActivitySource.StartActivity("decode"))
        {
            bitmap = Preprocessor.DecodeBitmap(encoded);
            _telemetry.RecordDecode(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }

        using (bitmap)
        {
            Preprocessor.ToTensor(bitmap, tensor);
        }

        _telemetry.RecordPreprocess(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>Adds a reference unless the model is already being disposed.</summary>
    public bool TryAddReference()
    {
        var current = Volatile.Read(ref _references);
        while (current > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, current + 1, current);
            if (seen == current)
            {
                return true;
            }

            current = seen;
        }

        return false;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _ = DisposeAsync();
        }
    }

    private async Task DisposeAsync()
    {
        await _scheduler.DisposeAsync();
        _classifier.Dispose();
        NativeHeap.Trim();
    }
}

/// <summary>A request's hold on a model; disposing it releases the reference.</summary>
internal sealed class ModelLease(LoadedModel model) : IDisposable
{
    private int _disposed;

    public LoadedModel Model { get; } = model;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Model.Release();
        }
    }
}
