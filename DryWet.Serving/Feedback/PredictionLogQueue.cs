using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using DryWet.Core.Feedback;
using DryWet.Core.Imaging;
using DryWet.Serving.Inference;
using DryWet.Serving.Models;
using DryWet.Serving.Shadow;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Feedback;

/// <summary>
/// The request side of the prediction log: takes a sampled successful prediction, copies its image and hands it to a
/// bounded queue that <see cref="PredictionLogWriter"/> drains. Never waits and never throws into the request: a full
/// queue (count or bytes) drops the entry and counts it, so a slow or broken store cannot slow a prediction.
/// </summary>
internal sealed class PredictionLogQueue
{
    private readonly PredictionLogOptions _options;
    private readonly ServingTelemetry _telemetry;
    private readonly Channel<PredictionLogEntry> _channel;
    private readonly long _maxQueuedBytes;
    private long _queuedBytes;

    public PredictionLogQueue(PredictionLogOptions options, ServingTelemetry telemetry)
    {
        _options = options;
        _telemetry = telemetry;
        _maxQueuedBytes = (long)options.MaxQueuedMegabytes * 1024 * 1024;
        // FullMode Wait + TryWrite: a full queue answers false at once, which is the drop we count.
        _channel = Channel.CreateBounded<PredictionLogEntry>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        telemetry.ObservePredictionLogQueue(() => _channel.Reader.Count);
    }

    public PredictionLogOptions Options => _options;

    internal ChannelReader<PredictionLogEntry> Reader => _channel.Reader;

    /// <summary>Whether an image whose sampling draw (uniform in [0, 1)) is <paramref name="draw"/> is logged.</summary>
    public bool Samples(double draw) => _options.Enabled && draw < _options.SampleRate;

    /// <summary>Queues a sampled prediction of an encoded image (copied); <paramref name="shadow"/>: the shadow's pending answer.</summary>
    public void Offer(ReadOnlySpan<byte> image, ModelDescriptor model, Prediction prediction, ShadowRequest? shadow)
    {
        if (!Reserve(image.Length))
        {
            return;
        }

        var (contentType, extension) = PredictionLogLayout.ImageFormat(image);
        var buffer = ArrayPool<byte>.Shared.Rent(image.Length);
        image.CopyTo(buffer);
        Enqueue(new PredictionLogEntry(NewRecord(model, prediction, contentType, image.Length), extension, buffer, image.Length, shadow));
    }

    /// <summary>Queues a sampled prediction of a preprocessed [3, H, W] tensor (copied; the writer makes its PNG).</summary>
    public void Offer(ReadOnlySpan<float> tensor, PreprocessorOptions preprocessing, ModelDescriptor model, Prediction prediction, ShadowRequest? shadow)
    {
        if (!Reserve(tensor.Length * sizeof(float)))
        {
            return;
        }

        var buffer = ArrayPool<float>.Shared.Rent(tensor.Length);
        tensor.CopyTo(buffer);
        Enqueue(new PredictionLogEntry(NewRecord(model, prediction, "image/png", 0), buffer, tensor.Length, preprocessing, shadow));
    }

    private bool Reserve(long bytes)
    {
        if (Interlocked.Add(ref _queuedBytes, bytes) <= _maxQueuedBytes)
        {
            return true;
        }

        Interlocked.Add(ref _queuedBytes, -bytes);
        _telemetry.RecordPredictionLogDropped(PredictionLogDropReason.QueueFull);
        return false;
    }

    // A version 7 GUID sorts by time, so a day's folder lists in the order predictions were made.
    private static PredictionLogRecord NewRecord(ModelDescriptor model, Prediction prediction, string contentType, long size) =>
        new(Guid.CreateVersion7().ToString("N"), DateTimeOffset.UtcNow, model.Name, model.Version, prediction.Label, prediction.ByLabel(),
            contentType, size, Activity.Current?.TraceId.ToString());

    private void Enqueue(PredictionLogEntry entry)
    {
        if (!_channel.Writer.TryWrite(entry))
        {
            Release(entry);
            _telemetry.RecordPredictionLogDropped(PredictionLogDropReason.QueueFull);
        }
    }

    /// <summary>Returns an entry's buffer and its share of the byte budget; called once per entry, written or dropped.</summary>
    public void Release(PredictionLogEntry entry)
    {
        Interlocked.Add(ref _queuedBytes, -entry.QueuedBytes);
        entry.Dispose();
    }

    /// <summary>No more entries: the writer drains what is queued and stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
