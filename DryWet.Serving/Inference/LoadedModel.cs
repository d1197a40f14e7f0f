using DryWet.Core.Imaging;
using DryWet.Serving.Models;

namespace DryWet.Serving.Inference;

/// <summary>
/// A model ready to serve: session, batcher, the preprocessing that matches it, and its metadata. Reference-counted:
/// the host holds one reference while it is current, each request one while it uses it; the last release disposes it,
/// so a replaced model finishes its in-flight requests before its session goes away.
/// </summary>
internal sealed class LoadedModel
{
    private readonly OnnxClassifier _classifier;
    private readonly InferenceScheduler _scheduler;
    private int _references = 1;

    public LoadedModel(ModelDescriptor descriptor, IReadOnlyList<string> labels, OnnxClassifier classifier,
        InferenceScheduler scheduler, ImagePreprocessor preprocessor, int maxBatchSize)
    {
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
    public InferenceScheduler Scheduler => _scheduler;
    public string ExecutionProvider => _classifier.ExecutionProvider;
    public string InputName => _classifier.InputName;
    public string OutputName => _classifier.OutputName;
    public int MaxBatchSize { get; }
    public DateTimeOffset LoadedAt { get; }

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
