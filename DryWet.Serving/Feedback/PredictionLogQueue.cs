using System.Buffers;
using System.Diagnostics;
using System.Threading.Channels;
using DryWet.Core.Feedback;
using DryWet.Serving.Inference;
using DryWet.Serving.Models;
using DryWet.Serving.Telemetry;

namespace DryWet.Serving.Feedback;

/// <summary>
/// The request side of the prediction log: samples a successful prediction, copies its image and hands it to a
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

    /// <summary>Offers a successful prediction; sampled by <see cref="PredictionLogOptions.SampleRate"/>.</summary>
    public void Offer(ReadOnlySpan<byte> image, ModelDescriptor model, Prediction prediction)
    {
        if (!_options.Enabled || (_options.SampleRate < 1 && Random.Shared.NextDouble() >= _options.SampleRate))
        {
            return;
        }

        if (Interlocked.Add(ref _queuedBytes, image.Length) > _maxQueuedBytes)
        {
            Interlocked.Add(ref _queuedBytes, -image.Length);
            _telemetry.RecordPredictionLogDropped(PredictionLogDropReason.QueueFull);
            return;
        }

        var (contentType, extension) = PredictionLogLayout.ImageFormat(image);
        var buffer = ArrayPool<byte>.Shared.Rent(image.Length);
        image.CopyTo(buffer);
        // A version 7 GUID sorts by time, so a day's folder lists in the order predictions were made.
        var record = new PredictionLogRecord(Guid.CreateVersion7().ToString("N"), DateTimeOffset.UtcNow, model.Name, model.Version,
            prediction.Label, prediction.ByLabel(), contentType, image.Length, Activity.Current?.TraceId.ToString());
        var entry = new PredictionLogEntry(record, extension, buffer);
        if (!_channel.Writer.TryWrite(entry))
        {
            Release(entry);
            _telemetry.RecordPredictionLogDropped(PredictionLogDropReason.QueueFull);
        }
    }

    /// <summary>Returns an entry's buffer and its share of the byte budget; called once per entry, written or dropped.</summary>
    public void Release(PredictionLogEntry entry)
    {
        Interlocked.Add(ref _queuedBytes, -entry.Record.Size);
        entry.Dispose();
    }

    /// <summary>No more entries: the writer drains what is queued and stops.</summary>
    public void Complete() => _channel.Writer.TryComplete();
}
