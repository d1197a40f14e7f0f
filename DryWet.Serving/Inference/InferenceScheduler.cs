using System.Collections.Concurrent;
using System.Diagnostics;
using DryWet.Serving.Admission;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// Dynamic batching in front of one shared session (the Triton/KServe idea) without a hand-off thread: a request
/// queues its preprocessed tensor, and if a run slot is free it becomes the runner and executes everything queued, in
/// batches of up to the limit, in preallocated buffers; otherwise it waits for the runner that holds the slot. At
/// concurrency 1 the request thread runs ONNX Runtime itself (no thread hand-off: what latency costs on a busy CPU);
/// under load, requests arriving during a run form the next batch. With one slot (the default) ONNX Runtime's intra-op
/// threads never compete with each other, while other request threads decode the next images. A request thread runs
/// batches only until its own images are done; then, if more are queued, a pool thread takes over, so no client waits
/// for other clients' batches.
/// <para>
/// Admission (Triton's <c>max_queue_size</c> and queue timeout): at most <c>Serving:MaxQueuedRequests</c> requests wait
/// for a run, each at most <c>Serving:QueueTimeout</c>; past either a <see cref="ServerBusyException"/> (503) sheds it.
/// A request whose images a runner has started is never abandoned: it finishes.
/// </para>
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
    private readonly int _maxQueued;
    private readonly TimeSpan _queueTimeout;
    private int _queued;

    /// <param name="maxBatch">The effective batch size (<see cref="OnnxClassifier.EffectiveBatchSize"/>).</param>
    public InferenceScheduler(OnnxClassifier classifier, int height, int width, int classes, int maxBatch, ModelOptions options,
        ServingOptions serving, ServingTelemetry telemetry)
    {
        _classifier = classifier;
        _maxQueued = serving.MaxQueuedRequests;
        _queueTimeout = serving.QueueTimeout;
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

    /// <summary>Requests waiting for a run now (not yet started).</summary>
    public int Queued => Volatile.Read(ref _queued);

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

        return (await ClassifyManyAsync(tensor, 1, cancellationToken))[0];
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

        if (Interlocked.Increment(ref _queued) > _maxQueued)
        {
            Interlocked.Decrement(ref _queued);
            throw new ServerBusyException(RejectionReasons.QueueFull,
                $"The server is busy: {_maxQueued} requests already wait for inference (Serving:MaxQueuedRequests). Retry shortly.");
        }

        var started = Stopwatch.GetTimestamp();
        var request = new QueuedRequest(count);
        var results = new Task<float[]>[count];
        for (var i = 0; i < count; i++)
        {
            // Completions run inline on the runner: finishing a response takes microseconds.
            var pending = new PendingImage(request, images.Slice(i * ImageLength, ImageLength), new TaskCompletionSource<float[]>());
            results[i] = pending.Result.Task;
            _queue.Enqueue(pending);
        }

        await RunQueuedAsync(request);
        var all = Task.WhenAll(results);
        try
        {
            var left = _queueTimeout - Stopwatch.GetElapsedTime(started);
            return await all.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            if (!request.TryAbandon())
            {
                // A runner has started it: its images are being read; wait for the answer, it comes within a batch.
                return await all;
            }

            Interlocked.Decrement(ref _queued);
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new ServerBusyException(RejectionReasons.QueueTimeout,
                $"The server is busy: inference did not start within {_queueTimeout.TotalSeconds:0.#} s (Serving:QueueTimeout). Retry shortly.");
        }
    }

    /// <summary>
    /// Runs queued batches while a run slot is free. A request thread (<paramref name="own"/> set) stops once its own
    /// images are done and hands what is still queued to a pool thread.
    /// </summary>
    private async Task RunQueuedAsync(QueuedRequest? own)
    {
        // Re-check after releasing the slot: an image queued while we held it, by a request that found no free
        // slot, must not be left behind.
        while (!_queue.IsEmpty && _runSlots.Wait(0))
        {
            var handOff = false;
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
                    if (own is { IsDone: true })
                    {
                        handOff = !_queue.IsEmpty;
                        break;
                    }

                    batch.Clear();
                    while (batch.Count < buffers.MaxBatch && _queue.TryDequeue(out var item))
                    {
                        if (item.Request.TryStart())
                        {
                            Interlocked.Decrement(ref _queued);
                        }

                        // An abandoned request's memory may already be reused: never read it.
                        if (!item.Request.IsAbandoned)
                        {
                            batch.Add(item);
                        }
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

            if (handOff)
            {
                _ = Task.Run(() => RunQueuedAsync(null));
                return;
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
                batch[i].Request.ImageDone();
            }
        }
        catch (Exception ex)
        {
            foreach (var item in batch)
            {
                if (item.Result.TrySetException(ex))
                {
                    item.Request.ImageDone();
                }
            }
        }
    }

    /// <summary>
    /// Called when the last request using the model is done. A pool-thread runner may still be finishing its last batch
    /// (it holds no request of its own), so wait until every run slot is free, and keep them: no runner starts again.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = 0; i < _allBuffers.Length; i++)
        {
            await _runSlots.WaitAsync();
        }

        foreach (var buffers in _allBuffers)
        {
            buffers.Dispose();
        }
    }

    private sealed record PendingImage(QueuedRequest Request, ReadOnlyMemory<float> Tensor, TaskCompletionSource<float[]> Result);

    /// <summary>
    /// One request's images in the queue: waiting (0) until a runner takes its first image (started, 1), or abandoned
    /// (2) by its caller after the queue timeout; the two transitions are exclusive, so abandoned memory is never read.
    /// </summary>
    private sealed class QueuedRequest(int images)
    {
        private int _state;
        private int _remaining = images;

        public bool IsAbandoned => Volatile.Read(ref _state) == 2;

        /// <summary>All its images have their result (the request thread may stop running batches).</summary>
        public bool IsDone => Volatile.Read(ref _remaining) == 0;

        /// <summary>True the first time: the request leaves the waiting count.</summary>
        public bool TryStart() => Interlocked.CompareExchange(ref _state, 1, 0) == 0;

        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

        public void ImageDone() => Interlocked.Decrement(ref _remaining);
    }
}
