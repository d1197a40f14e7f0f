using System.Buffers;
using DryWet.Core.Feedback;

namespace DryWet.Serving.Feedback;

/// <summary>A sampled prediction waiting to be written: its record and a pooled copy of the image; dispose to return it.</summary>
internal sealed class PredictionLogEntry(PredictionLogRecord record, string extension, byte[] buffer) : IDisposable
{
    private byte[]? _buffer = buffer;

    public PredictionLogRecord Record { get; } = record;
    public string Extension { get; } = extension;
    public ReadOnlyMemory<byte> Image => (_buffer ?? throw new ObjectDisposedException(nameof(PredictionLogEntry))).AsMemory(0, (int)Record.Size);

    public string ImageKey => PredictionLogLayout.ImageKey(Record.Time, Record.Id, Extension);
    public string RecordKey => PredictionLogLayout.RecordKey(Record.Time, Record.Id);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
        }
    }
}
