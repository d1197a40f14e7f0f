using System.Collections.Concurrent;
using System.Diagnostics;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// Dynamic batching in front of one shared session (the Triton/KServe idea) without a hand-off thread: a request
/// queues its preprocessed tensor, and if a run slot is free it becomes the runner and executes everything queued, in
/// batches of up to the limit, in preallocated buffers; otherwise it waits for the runner that holds the slot. At
/// concurrency 1 the request thread runs ONNX Runtime itself (no thread hand-off: what latency costs on a busy CPU);
/// under load, requests arriving during a run form the next batch. With one slot (the default) ONNX Runtime's intra-op
/// threads never compete with each other, while other request threads decode the next images.
/// </summary>
internal sealed class InferenceScheduler : IAsyncDisposable
{
    private readonly OnnxClassifier _classifier;
    private readonly ServingTelemetry _telemetry;
    private readonly TimeSpan _maxDelay;
    private readonly ConcurrentQueue<PendingImage> _queue = new();
    private readonly SemaphoreSlim _runSlots;
    private readonly ConcurrentBag<BatchBuffers> _buffers = [];
    private readonly BatchBuffers[] _allBuffers;

    /// <param name="maxBatch">The effective batch size (<see cref="OnnxClassifier.EffectiveBatchSize"/>).</param>
    public InferenceScheduler(OnnxClassifier classifier, int height, int width, int classes, int maxBatch, ModelOptions options, ServingTelemetry telemetry)
    {
        _classifier = classifier;
        _telemetry = telemetry;
        _maxDelay = TimeSpan.FromMilliseconds(Math.Max(0, options.MaxBatchDelayMilliseconds));
        ImageLength = 3 * height * width;
        var slots = Math.Clamp(options.ConcurrentRuns, 1, 64);
        _runSlots = new SemaphoreSlim(slots, slots);
        _allBuffers = new BatchBuffers[slots];
        for (var i = 0; i < slots; i++)
        {
            _allBuffers[i] = classifier.CreateBuffers(maxBatch, height, width, classes);
            _buffers.Add(_allBuffers[i]);
        }
    }

    public int ImageLength { get; }

    /// <summary>
    /// Queues one preprocessed image (3 × H × W floats; only read until this completes) and returns its class
    /// probabilities. Runs the queued batches itself when a run slot is free.
    /// </summary>
    public async Task<float[]> ClassifyAsync(ReadOnlyMemory<float> tensor, CancellationToken cancellationToken)
    {
        if (tensor.Length < ImageLength)
        {
            throw new ArgumentException($"A preprocessed image has {ImageLength} floats; got {tensor.Length}.", nameof(tensor));
        }

        cancellationToken.ThrowIfCancellationRequested();
        // Completions run inline on the runner: finishing a response takes microseconds.
        var pending = new PendingImage(tensor, new TaskCompletionSource<float[]>());
        _queue.Enqueue(pending);
        await RunQueuedAsync();
        return await pending.Result.Task;
    }

    /// <summary>
    /// Queues <paramref name="count"/> preprocessed images laid out one after another (a request's [N, 3, H, W]) at once,
    /// so they run in the same batches, and returns their probabilities in order.
    /// </summary>
    public async Task<float[][]> ClassifyManyAsync(ReadOnlyMemory<float> images, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (images.Length < count * ImageLength)
        {
            throw new ArgumentException($"{count} preprocessed images need {count * ImageLength} floats; got {images.Length}.", nameof(images));
        }

        var pending = new PendingImage[count];
        for (var i = 0; i < count; i++)
        {
            pending[i] = new PendingImage(images.Slice(i * ImageLength, ImageLength), new TaskCompletionSource<float[]>());
            _queue.Enqueue(pending[i]);
        }

        await RunQueuedAsync();
        return await Task.WhenAll(pending.Select(p => p.Result.Task));
    }

    private async Task RunQueuedAsync()
    {
        // Re-check after releasing the slot: an image queued while we held it, by a request that found no free
        // slot, must not be left behind.
        while (!_queue.IsEmpty && _runSlots.Wait(0))
        {
            _buffers.TryTake(out var buffers);
            try
            {
                if (_maxDelay > TimeSpan.Zero && _queue.Count < buffers!.MaxBatch)
                {
                    await Task.Delay(_maxDelay);
                }

                var batch = new List<PendingImage>(buffers!.MaxBatch);
                while (true)
                {
                    batch.Clear();
                    while (batch.Count < buffers.MaxBatch && _queue.TryDequeue(out var item))
                    {
                        batch.Add(item);
                    }

                    if (batch.Count == 0)
                    {
                        break;
                    }

                    RunBatch(buffers, batch);
                }
            }
            finally
            {
                _buffers.Add(buffers!);
                _runSlots.Release();
            }
        }
    }

    private void RunBatch(BatchBuffers buffers, List<PendingImage> batch)
    {
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Tensor.Span[..ImageLength].CopyTo(buffers.ImageSlot(i));
            }

            using (var activity = ServingTelemetry.ActivitySource.StartActivity("inference"))
            {
                activity?.SetTag("drywet.batch_size", batch.Count);
                var started = Stopwatch.GetTimestamp();
                _classifier.Run(buffers, batch.Count);
                _telemetry.RecordInference(Stopwatch.GetElapsedTime(started).TotalSeconds, batch.Count);
            }

            var results = new float[batch.Count][];
            for (var i = 0; i < batch.Count; i++)
            {
                results[i] = buffers.ProbabilitiesOf(i).ToArray();
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(results[i]);
            }
        }
        catch (Exception ex)
        {
            foreach (var item in batch)
            {
                item.Result.TrySetException(ex);
            }
        }
    }

    /// <summary>Called when the last request using the model is done: nothing is queued or running any more.</summary>
    public ValueTask DisposeAsync()
    {
        foreach (var buffers in _allBuffers)
        {
            buffers.Dispose();
        }

        _runSlots.Dispose();
        return ValueTask.CompletedTask;
    }

    private sealed record PendingImage(ReadOnlyMemory<float> Tensor, TaskCompletionSource<float[]> Result);
}
