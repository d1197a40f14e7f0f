using System.Diagnostics;
using System.Threading.Channels;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// Dynamic batching in front of one shared session (the Triton/KServe pattern): requests queue preprocessed tensors;
/// each inference loop takes whatever is queued (up to the batch limit, optionally waiting a few ms for more), runs it
/// as one batch in preallocated buffers, and completes the callers. With one loop, ONNX Runtime's intra-op threads
/// never compete with each other, while request threads decode the next images in parallel.
/// </summary>
internal sealed class InferenceScheduler : IAsyncDisposable
{
    private readonly OnnxClassifier _classifier;
    private readonly ServingTelemetry _telemetry;
    private readonly TimeSpan _maxDelay;
    private readonly Channel<PendingImage> _queue;
    private readonly Task[] _loops;

    public InferenceScheduler(OnnxClassifier classifier, int height, int width, int classes, ModelOptions options, ServingTelemetry telemetry)
    {
        _classifier = classifier;
        _telemetry = telemetry;
        _maxDelay = TimeSpan.FromMilliseconds(Math.Max(0, options.MaxBatchDelayMilliseconds));
        ImageLength = 3 * height * width;
        _queue = Channel.CreateBounded<PendingImage>(new BoundedChannelOptions(Math.Max(64, options.MaxBatchSize * 8))
        {
            SingleWriter = false,
            SingleReader = options.ConcurrentRuns <= 1,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var maxBatch = Math.Clamp(options.MaxBatchSize, 1, 256);
        _loops = new Task[Math.Clamp(options.ConcurrentRuns, 1, 64)];
        for (var i = 0; i < _loops.Length; i++)
        {
            var buffers = classifier.CreateBuffers(maxBatch, height, width, classes);
            _loops[i] = Task.Run(() => RunLoopAsync(buffers));
        }
    }

    public int ImageLength { get; }

    /// <summary>Queues one preprocessed image (3 × H × W floats; the array is only read until this completes) and returns its class probabilities.</summary>
    public async Task<float[]> ClassifyAsync(float[] tensor, CancellationToken cancellationToken)
    {
        // Continuations run inline on the inference loop (writing a response takes microseconds): one thread hand-off
        // fewer per request, which is what latency costs on a busy CPU.
        var pending = new PendingImage(tensor, new TaskCompletionSource<float[]>());
        await _queue.Writer.WriteAsync(pending, cancellationToken);
        return await pending.Result.Task;
    }

    private async Task RunLoopAsync(BatchBuffers buffers)
    {
        using var _ = buffers;
        var batch = new List<PendingImage>(buffers.MaxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < buffers.MaxBatch && reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            if (batch.Count < buffers.MaxBatch && _maxDelay > TimeSpan.Zero)
            {
                using var timeout = new CancellationTokenSource(_maxDelay);
                try
                {
                    while (batch.Count < buffers.MaxBatch && await reader.WaitToReadAsync(timeout.Token))
                    {
                        while (batch.Count < buffers.MaxBatch && reader.TryRead(out var item))
                        {
                            batch.Add(item);
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                    // The batching window closed; run what we have.
                }
            }

            if (batch.Count > 0)
            {
                RunBatch(buffers, batch);
            }
        }
    }

    private void RunBatch(BatchBuffers buffers, List<PendingImage> batch)
    {
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Tensor.AsSpan(0, ImageLength).CopyTo(buffers.ImageSlot(i));
            }

            using var activity = ServingTelemetry.ActivitySource.StartActivity("inference");
            activity?.SetTag("drywet.batch_size", batch.Count);
            var started = Stopwatch.GetTimestamp();
            _classifier.Run(buffers, batch.Count);
            _telemetry.RecordInference(Stopwatch.GetElapsedTime(started).TotalSeconds, batch.Count);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(buffers.ProbabilitiesOf(i).ToArray());
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

    /// <summary>Stops accepting work, lets queued images finish, then ends the loops.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_loops);
    }

    private sealed record PendingImage(float[] Tensor, TaskCompletionSource<float[]> Result);
}
