using System.Collections.Concurrent;
using System.Diagnostics;
using DryWet.Serving.Admission;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Inference;

/// <summary>
/// Dynamic batching in front of one shared session (the Triton/KServe idea). A request queues its preprocessed images
/// and waits without a thread; the batches run on the process's dedicated <see cref="InferenceRunner"/> threads in
/// this model's lane (live for the served model, background for a model no client waits for), one batch per turn, so
/// models being loaded or shadowed take turns with it instead of running beside it. A batch holds up to the
/// <see cref="BatchPlan"/>'s size; when fewer images are queued the runner waits up to the plan's delay for more. A
/// tuned delay is waited only while more images are likely (<see cref="CompanyLikely"/>: requests decoding or waiting
/// to, or requests arriving less than a delay apart): a lone request does not wait for company that cannot come. A configured delay
/// (<c>Model:MaxBatchDelayMilliseconds</c>, Triton's <c>max_queue_delay</c>) is the operator's and is waited in full.
/// <para>
/// Admission (Triton's <c>max_queue_size</c> and queue timeout): at most <c>Serving:MaxQueuedRequests</c> requests wait
/// for a run, each at most <c>Serving:QueueTimeout</c>; past either a <see cref="ServerBusyException"/> (503) sheds it.
/// A request whose images a runner has started is never abandoned: it finishes.
/// </para>
/// <para>
/// The plan is re-checked from live run times (<see cref="LiveBatchLatencies"/>) every <see cref="RecheckInterval"/>
/// unless every value of it was set explicitly.
/// </para>
/// </summary>
internal sealed class InferenceScheduler : IAsyncDisposable
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(30);

    private readonly OnnxClassifier _classifier;
    private readonly InferenceRunner _runner;
    private readonly InferencePriority _priority;
    private readonly ServingTelemetry _telemetry;
    private readonly ConcurrentQueue<PendingImage> _queue = new();
    private readonly ConcurrentBag<BatchBuffers> _buffers = [];
    private readonly ManualResetEventSlim _arrival = new(false);
    private readonly int _height;
    private readonly int _width;
    private readonly int _classes;
    private readonly int _maxQueued;
    private readonly TimeSpan _queueTimeout;
    private readonly BatchTuning _tuning;
    private readonly LiveBatchLatencies _live = new();
    private long _lastRecheck = Stopwatch.GetTimestamp();
    private BatchPlan _plan;
    private int _queued;
    private int _preparing;
    private long _lastArrival;
    private long _lastArrivalGap = long.MaxValue;
    private int _scheduled;
    private bool _disposing;

    public InferenceScheduler(OnnxClassifier classifier, int height, int width, int classes, BatchTuning tuning, InferenceRunner runner,
        InferencePriority priority, ServingOptions serving, ServingTelemetry telemetry)
    {
        _classifier = classifier;
        _runner = runner;
        _priority = priority;
        _height = height;
        _width = width;
        _classes = classes;
        _tuning = tuning;
        _plan = tuning.Plan;
        _maxQueued = serving.MaxQueuedRequests;
        _queueTimeout = serving.QueueTimeout;
        _telemetry = telemetry;
        ImageLength = 3 * height * width;
    }

    public int ImageLength { get; }

    /// <summary>The batch size and delay in use now (tuned at load, re-checked from live run times).</summary>
    public BatchPlan Plan => Volatile.Read(ref _plan);

    /// <summary>Requests waiting for a run now (not yet started).</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary><c>Serving:MaxQueuedRequests</c>.</summary>
    public int MaxQueued => _maxQueued;

    /// <summary>True when one more request would be refused: checked before a request's body is read.</summary>
    public bool IsFull => Queued >= _maxQueued;

    /// <summary>Images announced by <see cref="ExpectImages"/> and not yet queued or given up.</summary>
    public int Preparing => Volatile.Read(ref _preparing);

    /// <summary>
    /// Announces images that a request is about to decode and queue (<see cref="ClassifyManyAsync"/> with the returned
    /// announcement): a runner holding a batch open on a tuned delay waits for them. Disposing it before they are
    /// queued gives them up and wakes the runner, which stops waiting once nothing more is on its way.
    /// </summary>
    public ExpectedImages ExpectImages(int count)
    {
        Interlocked.Add(ref _preparing, count);
        return new ExpectedImages(this, count);
    }

    /// <summary>
    /// Queues one preprocessed image (3 × H × W floats; only read until this completes) and returns its class probabilities.
    /// </summary>
    public async Task<float[]> ClassifyAsync(ReadOnlyMemory<float> tensor, CancellationToken cancellationToken)
    {
        if (tensor.Length < ImageLength)
        {
            throw new ArgumentException($"A preprocessed image has {ImageLength} floats; got {tensor.Length}.", nameof(tensor));
        }

        return (await ClassifyManyAsync(tensor, 1, null, cancellationToken))[0];
    }

    /// <summary>
    /// Queues <paramref name="count"/> preprocessed images laid out one after another (a request's [N, 3, H, W]) at once,
    /// so they run in the same batches, and returns their probabilities in order. <paramref name="expected"/>, when the
    /// request announced them, counts as arrived once they are queued.
    /// </summary>
    public async Task<float[][]> ClassifyManyAsync(ReadOnlyMemory<float> images, int count, ExpectedImages? expected, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (images.Length < count * ImageLength)
        {
            throw new ArgumentException($"{count} preprocessed images need {count * ImageLength} floats; got {images.Length}.", nameof(images));
        }

        if (Interlocked.Increment(ref _queued) > _maxQueued)
        {
            Interlocked.Decrement(ref _queued);
            throw QueueFull();
        }

        var started = Stopwatch.GetTimestamp();
        var request = new QueuedRequest(count);
        var results = new Task<float[]>[count];
        for (var i = 0; i < count; i++)
        {
            // Completions hop to the pool: the inference thread goes straight on to the next batch.
            var pending = new PendingImage(request, images.Slice(i * ImageLength, ImageLength),
                new TaskCompletionSource<float[]>(TaskCreationOptions.RunContinuationsAsynchronously));
            results[i] = pending.Result.Task;
            _queue.Enqueue(pending);
        }

        expected?.Arrived();
        var now = Stopwatch.GetTimestamp();
        var previous = Interlocked.Exchange(ref _lastArrival, now);
        Volatile.Write(ref _lastArrivalGap, previous == 0 ? long.MaxValue : now - previous);
        _arrival.Set();
        Schedule();
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

    /// <summary>The 503 of a full queue, also given before a request's body is read.</summary>
    public ServerBusyException QueueFull() => new(RejectionReasons.QueueFull,
        $"The server is busy: {_maxQueued} requests already wait for inference (Serving:MaxQueuedRequests). Retry shortly.");

    /// <summary>Posts one batch turn to the runner unless as many turns as it has threads are already posted.</summary>
    private void Schedule()
    {
        while (true)
        {
            var scheduled = Volatile.Read(ref _scheduled);
            if (scheduled >= _runner.Threads || _queue.IsEmpty || Volatile.Read(ref _disposing))
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _scheduled, scheduled + 1, scheduled) == scheduled)
            {
                _runner.Post(RunOneBatch, _priority);
                return;
            }
        }
    }

    /// <summary>One turn on an inference thread: wait for the batch to fill (up to the delay), run it, queue the next turn.</summary>
    private void RunOneBatch()
    {
        var plan = Plan;
        if (!_buffers.TryTake(out var buffers) || buffers.MaxBatch < plan.MaxBatchSize)
        {
            buffers?.Dispose();
            buffers = _classifier.CreateBuffers(plan.MaxBatchSize, _height, _width, _classes);
        }

        try
        {
            WaitForCompany(plan);
            var batch = new List<PendingImage>(plan.MaxBatchSize);
            while (batch.Count < plan.MaxBatchSize && _queue.TryDequeue(out var item))
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

            if (batch.Count > 0)
            {
                RunBatch(buffers, batch);
                Recheck();
            }
        }
        finally
        {
            _buffers.Add(buffers);
            Interlocked.Decrement(ref _scheduled);
            Schedule();
        }
    }

    private void WaitForCompany(BatchPlan plan)
    {
        if (plan.MaxBatchDelay <= TimeSpan.Zero)
        {
            return;
        }

        // The request the batch forms around waits for the delay, not for capacity: the queue timeout no longer sheds it.
        if (_queue.TryPeek(out var head))
        {
            head.Request.TryOpenBatch();
        }

        var delayTicks = (long)(plan.MaxBatchDelay.TotalSeconds * Stopwatch.Frequency);
        var onlyWhileExpected = plan.MaxBatchDelaySource == BatchPlanSources.Tuned;
        var deadline = Stopwatch.GetTimestamp() + delayTicks;
        while (_queue.Count < plan.MaxBatchSize && !Volatile.Read(ref _disposing) && (!onlyWhileExpected || CompanyLikely(delayTicks)))
        {
            var left = TimeSpan.FromSeconds((double)(deadline - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            _arrival.Reset();
            if (_queue.Count >= plan.MaxBatchSize || (onlyWhileExpected && !CompanyLikely(delayTicks)))
            {
                return;
            }

            _arrival.Wait(left);
        }
    }

    /// <summary>
    /// More images are likely within the delay: some are announced (<see cref="ExpectImages"/>: decoding or waiting to),
    /// or requests are arriving faster than the delay (the last two came less than a delay apart: under load, requests
    /// still reading their bodies are on their way too). A lone client's request has neither.
    /// </summary>
    private bool CompanyLikely(long delayTicks) => Preparing > 0 || Volatile.Read(ref _lastArrivalGap) < delayTicks;

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
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                _telemetry.RecordInference(seconds, batch.Count);
                _live.Record(batch.Count, seconds);
            }

            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Result.TrySetResult(buffers.ProbabilitiesOf(i).ToArray());
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

    /// <summary>Every <see cref="RecheckInterval"/>: the plan chosen again from the load-time table refined by live medians.</summary>
    private void Recheck()
    {
        var last = Interlocked.Read(ref _lastRecheck);
        if (Stopwatch.GetElapsedTime(last) < RecheckInterval || Interlocked.CompareExchange(ref _lastRecheck, Stopwatch.GetTimestamp(), last) != last)
        {
            return;
        }

        var live = _live.Medians();
        if (live.Count > 0 && _tuning.Recheck(live) is { } changed)
        {
            Volatile.Write(ref _plan, changed);
        }
    }

    /// <summary>
    /// Called when the last request using the model is done: no turn is posted any more; waits for the turns already
    /// posted (they find nothing or abandoned images) and frees the buffers.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _disposing, true);
        _arrival.Set();
        while (Volatile.Read(ref _scheduled) > 0)
        {
            await Task.Delay(5);
        }

        while (_buffers.TryTake(out var buffers))
        {
            buffers.Dispose();
        }

        _arrival.Dispose();
    }

    /// <summary>
    /// A request's announced images (<see cref="ExpectImages"/>): <see cref="Arrived"/> when queued (the queue's own
    /// signal wakes the runner), or given up by <see cref="Dispose"/>; either counts once.
    /// </summary>
    internal sealed class ExpectedImages(InferenceScheduler scheduler, int count) : IDisposable
    {
        private int _done;

        public void Arrived()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Add(ref scheduler._preparing, -count);
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0 && Interlocked.Add(ref scheduler._preparing, -count) == 0)
            {
                scheduler._arrival.Set();
            }
        }
    }

    private sealed record PendingImage(QueuedRequest Request, ReadOnlyMemory<float> Tensor, TaskCompletionSource<float[]> Result);

    /// <summary>
    /// One request's images in the queue: waiting (0) until a runner takes its first image (started, 1), or abandoned
    /// (2) by its caller after the queue timeout; the two transitions are exclusive, so abandoned memory is never read.
    /// A waiting request that a runner holds a batch open for (3, still queued) can no longer be abandoned.
    /// </summary>
    private sealed class QueuedRequest(int images)
    {
        private int _state;
        private int _remaining = images;

        public bool IsAbandoned => Volatile.Read(ref _state) == 2;

        public bool TryStart() => Interlocked.CompareExchange(ref _state, 1, 0) == 0 || Interlocked.CompareExchange(ref _state, 1, 3) == 3;

        public void TryOpenBatch() => Interlocked.CompareExchange(ref _state, 3, 0);

        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, 2, 0) == 0;

        public void ImageDone() => Interlocked.Decrement(ref _remaining);
    }
}
