using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using DryWet.Core.Feedback;
using DryWet.Core.Imaging;
using DryWet.Serving.Admission;
using DryWet.Serving.Inference;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Shadow;

/// <summary>
/// Runs the shadow model off the response path. A request hands over a copy of what the served model saw (its tensor
/// when the shadow takes the same input, else the encoded image) and never waits; one dedicated thread at the lowest
/// CPU priority (<see cref="LowPriorityThread"/>) classifies the queue one image at a time. It yields to live work:
/// when live requests wait for inference or decode memory, the image is dropped and counted instead of run; a full
/// queue (<c>Serving:Shadow:QueueCapacity</c>, <c>MaxQueuedMegabytes</c>) or a wait past <c>MaxWait</c> drops it too.
/// Every answer counts in <c>drywet_shadow_agreement_total{agree}</c> and completes its <see cref="ShadowRequest"/>.
/// </summary>
internal sealed class ShadowRunner : IDisposable
{
    private readonly ShadowOptions _options;
    private readonly ShadowHost _shadows;
    private readonly ModelHost _served;
    private readonly DecodeBudget _decodeBudget;
    private readonly ServingTelemetry _telemetry;
    private readonly ILogger<ShadowRunner> _logger;
    private readonly BlockingCollection<ShadowWork> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private long _queuedBytes;
    private float[] _scratch = [];

    public ShadowRunner(ShadowOptions options, ShadowHost shadows, ModelHost served, DecodeBudget decodeBudget, ServingTelemetry telemetry,
        ILogger<ShadowRunner> logger)
    {
        _options = options;
        _shadows = shadows;
        _served = served;
        _decodeBudget = decodeBudget;
        _telemetry = telemetry;
        _logger = logger;
        _queue = new BlockingCollection<ShadowWork>(new ConcurrentQueue<ShadowWork>(), options.QueueCapacity);
        telemetry.ObserveShadowQueue(() => _queue.Count);
        _thread = new Thread(Run) { IsBackground = true, Name = "drywet-shadow" };
        if (shadows.Enabled && options.SampleRate > 0)
        {
            _thread.Start();
        }
    }

    /// <summary>Whether an image with sampling draw <paramref name="draw"/> (uniform in [0, 1)) goes to the shadow now.</summary>
    public bool Samples(double draw) => draw < _options.SampleRate && _thread.IsAlive && _shadows.Current is not null;

    /// <summary>
    /// Hands one served image to the shadow (request path: copies, never waits). <paramref name="tensor"/> is what
    /// <paramref name="served"/> saw; <paramref name="encoded"/> the upload when there is one (empty for FP32 input).
    /// </summary>
    public ShadowRequest Offer(LoadedModel served, Prediction answer, ReadOnlySpan<float> tensor, ReadOnlyMemory<byte> encoded)
    {
        if (_shadows.Current is not { } shadow)
        {
            return ShadowRequest.Dropped;
        }

        var sameInput = SameInput(shadow.Preprocessor.Options, served.Preprocessor.Options);
        if (!sameInput && encoded.IsEmpty)
        {
            return Drop(ShadowDropReason.InputMismatch);
        }

        var bytes = sameInput ? tensor.Length * (long)sizeof(float) : encoded.Length;
        if (Interlocked.Add(ref _queuedBytes, bytes) > _options.MaxQueuedBytes)
        {
            Interlocked.Add(ref _queuedBytes, -bytes);
            return Drop(ShadowDropReason.QueueFull);
        }

        var request = new ShadowRequest(Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency));
        var work = sameInput
            ? ShadowWork.OfTensor(request, answer.Label, served.Preprocessor.Options, tensor, bytes)
            : ShadowWork.OfImage(request, answer.Label, encoded.Span, bytes);
        if (!_queue.TryAdd(work))
        {
            Release(work);
            return Drop(ShadowDropReason.QueueFull);
        }

        return request;
    }

    private ShadowRequest Drop(string reason)
    {
        _telemetry.RecordShadowDropped(reason);
        return ShadowRequest.Dropped;
    }

    private void Run()
    {
        _logger.LogInformation("Shadow runner started at priority {Priority}: sample rate {SampleRate}, queue {Capacity} images / {Megabytes} MB, max wait {MaxWait}.",
            LowPriorityThread.LowerCurrent(), _options.SampleRate, _options.QueueCapacity, _options.MaxQueuedMegabytes, _options.MaxWait);
        try
        {
            foreach (var work in _queue.GetConsumingEnumerable(_stop.Token))
            {
                try
                {
                    work.Request.Complete(Classify(work));
                }
                finally
                {
                    Release(work);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: what is still queued is answered with null below.
        }

        while (_queue.TryTake(out var left))
        {
            left.Request.Complete(null);
            Release(left);
        }
    }

    /// <summary>The shadow's answer, or null (dropped and counted).</summary>
    private ShadowAnswer? Classify(ShadowWork work)
    {
        if (work.Request.IsExpired)
        {
            return Dropped(ShadowDropReason.Expired);
        }

        if (LiveWorkWaits())
        {
            return Dropped(ShadowDropReason.LiveBusy);
        }

        using var lease = _shadows.TryAcquire();
        if (lease is null)
        {
            return Dropped(ShadowDropReason.Unloaded);
        }

        var shadow = lease.Model;
        try
        {
            ReadOnlySpan<float> input;
            if (work.Tensor is { } tensor)
            {
                if (!SameInput(shadow.Preprocessor.Options, work.TensorOptions!))
                {
                    return Dropped(ShadowDropReason.InputMismatch); // the shadow changed since it was queued
                }

                input = tensor.AsSpan(0, shadow.ImageLength);
            }
            else
            {
                if (_scratch.Length < shadow.ImageLength)
                {
                    _scratch = new float[shadow.ImageLength];
                }

                shadow.Preprocess(work.Image.Span, _scratch.AsSpan(0, shadow.ImageLength));
                input = _scratch.AsSpan(0, shadow.ImageLength);
            }

            var prediction = shadow.ClassifyOnThisThread(input);
            _telemetry.RecordShadowAgreement(prediction.Label == work.ServedLabel);
            return new ShadowAnswer(shadow.Descriptor.Version, prediction.Label, prediction.ByLabel());
        }
        catch (Exception ex)
        {
            _logger.LogWarning("The shadow model {Version} failed on an image: {Error}", shadow.Descriptor.Version,
                ex is InvalidImageException ? ex.Message : ex.ToString());
            return Dropped(ShadowDropReason.Failed);
        }
    }

    private static bool SameInput(PreprocessorOptions a, PreprocessorOptions b) =>
        a.Width == b.Width && a.Height == b.Height && a.Mean.SequenceEqual(b.Mean) && a.Std.SequenceEqual(b.Std);

    /// <summary>Live requests wait for an inference run or for decode memory: the shadow's turn goes to them.</summary>
    private bool LiveWorkWaits() => _served.Current is { QueuedRequests: > 0 } || _decodeBudget.Waiting > 0;

    private ShadowAnswer? Dropped(string reason)
    {
        _telemetry.RecordShadowDropped(reason);
        return null;
    }

    private void Release(ShadowWork work)
    {
        Interlocked.Add(ref _queuedBytes, -work.QueuedBytes);
        work.Dispose();
    }

    public void Dispose()
    {
        _queue.CompleteAdding();
        _stop.Cancel();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        _stop.Dispose();
    }

    /// <summary>One queued image: a pooled copy of the served tensor or of the encoded upload.</summary>
    private sealed class ShadowWork : IDisposable
    {
        private float[]? _tensor;
        private byte[]? _image;
        private int _imageLength;

        private ShadowWork(ShadowRequest request, string servedLabel, long queuedBytes)
        {
            Request = request;
            ServedLabel = servedLabel;
            QueuedBytes = queuedBytes;
        }

        public ShadowRequest Request { get; }
        public string ServedLabel { get; }
        public long QueuedBytes { get; }
        public float[]? Tensor => _tensor;
        public PreprocessorOptions? TensorOptions { get; private init; }
        public ReadOnlyMemory<byte> Image => _image.AsMemory(0, _imageLength);

        public static ShadowWork OfTensor(ShadowRequest request, string servedLabel, PreprocessorOptions options, ReadOnlySpan<float> tensor, long bytes)
        {
            var work = new ShadowWork(request, servedLabel, bytes) { TensorOptions = options, _tensor = ArrayPool<float>.Shared.Rent(tensor.Length) };
            tensor.CopyTo(work._tensor);
            return work;
        }

        public static ShadowWork OfImage(ShadowRequest request, string servedLabel, ReadOnlySpan<byte> image, long bytes)
        {
            var work = new ShadowWork(request, servedLabel, bytes) { _image = ArrayPool<byte>.Shared.Rent(image.Length), _imageLength = image.Length };
            image.CopyTo(work._image);
            return work;
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _tensor, null) is { } t)
            {
                ArrayPool<float>.Shared.Return(t);
            }

            if (Interlocked.Exchange(ref _image, null) is { } b)
            {
                ArrayPool<byte>.Shared.Return(b);
            }
        }
    }
}
