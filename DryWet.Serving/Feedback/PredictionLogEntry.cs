using System.Buffers;
using DryWet.Core.Feedback;
using DryWet.Core.Imaging;
using DryWet.Serving.Shadow;

namespace DryWet.Serving.Feedback;

/// <summary>
/// A sampled prediction waiting to be written: its record and a pooled copy of what the model saw — the encoded image,
/// or a preprocessed tensor (OIP FP32 input) that <see cref="CompleteAsync"/> turns into a PNG — and, when the shadow
/// was asked too, its pending answer. Dispose to return the buffers.
/// </summary>
internal sealed class PredictionLogEntry : IDisposable
{
    private byte[]? _image;
    private int _imageLength;
    private float[]? _tensor;
    private readonly int _tensorLength;
    private readonly PreprocessorOptions? _tensorOptions;

    private PredictionLogEntry(PredictionLogRecord record, string extension, long queuedBytes, ShadowRequest? shadow)
    {
        Record = record;
        Extension = extension;
        QueuedBytes = queuedBytes;
        Shadow = shadow;
    }

    /// <summary>An encoded upload: <paramref name="buffer"/> (pooled) holds its <paramref name="length"/> bytes.</summary>
    public PredictionLogEntry(PredictionLogRecord record, string extension, byte[] buffer, int length, ShadowRequest? shadow)
        : this(record, extension, length, shadow)
    {
        _image = buffer;
        _imageLength = length;
    }

    /// <summary>A preprocessed [3, H, W] tensor (pooled <paramref name="tensor"/>), logged as the PNG of what the model saw.</summary>
    public PredictionLogEntry(PredictionLogRecord record, float[] tensor, int length, PreprocessorOptions options, ShadowRequest? shadow)
        : this(record, "png", length * sizeof(float), shadow)
    {
        _tensor = tensor;
        _tensorLength = length;
        _tensorOptions = options;
    }

    public PredictionLogRecord Record { get; private set; }
    public string Extension { get; }

    /// <summary>Bytes this entry counts against the queue's budget (fixed when queued).</summary>
    public long QueuedBytes { get; }

    /// <summary>The shadow's pending answer for this image; null when the shadow was not asked.</summary>
    public ShadowRequest? Shadow { get; }

    public ReadOnlyMemory<byte> Image => (_image ?? throw new InvalidOperationException("The entry has no encoded image yet.")).AsMemory(0, _imageLength);

    public string ImageKey => PredictionLogLayout.ImageKey(Record.Time, Record.Id, Extension);
    public string RecordKey => PredictionLogLayout.RecordKey(Record.Time, Record.Id);

    /// <summary>
    /// Off the response path, before writing: waits for the shadow's answer (until its deadline at most, or until the
    /// server stops; without it the record has no <c>shadow</c>) and encodes a tensor entry's PNG.
    /// </summary>
    public async Task CompleteAsync(CancellationToken stopping)
    {
        if (Shadow is { } shadow && await shadow.WaitAsync(stopping) is { } answer)
        {
            Record = Record with { Shadow = answer };
        }

        if (_tensor is { } tensor && _image is null)
        {
            var png = TensorImage.ToPng(tensor.AsSpan(0, _tensorLength), _tensorOptions!);
            _image = png;
            _imageLength = png.Length;
            Record = Record with { Size = png.Length };
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _tensor, null) is { } t)
        {
            ArrayPool<float>.Shared.Return(t);
            _image = null; // a PNG made here is not pooled
        }

        if (Interlocked.Exchange(ref _image, null) is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
