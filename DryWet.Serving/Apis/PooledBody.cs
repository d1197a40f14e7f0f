using System.Buffers;

namespace DryWet.Serving.Apis;

/// <summary>
/// A request body, or one multipart part of it, read into one pooled buffer; dispose to return the buffer. The one
/// owner of such buffers: <c>POST /predict</c>'s image and the Open Inference body both read through here.
/// </summary>
internal sealed class PooledBody : IDisposable
{
    internal const int FirstBufferBytes = 64 * 1024;
    private byte[]? _buffer;

    private PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }
    public Memory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>
    /// Reads <paramref name="body"/> to its end. The buffer is first sized by <paramref name="contentLength"/> (the
    /// request's Content-Length, which no part of the body exceeds; null for a chunked body) or 64 KB, and doubled while
    /// a chunked body needs more. Null when the stream holds more than <paramref name="limit"/> bytes: the buffer is
    /// returned and the rest is left unread.
    /// </summary>
    public static async Task<PooledBody?> ReadAsync(Stream body, long? contentLength, long limit, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Max(Math.Min(contentLength ?? 0, limit), FirstBufferBytes));
        var length = 0;
        try
        {
            int read;
            do
            {
                if (length == buffer.Length)
                {
                    if (length == contentLength)
                    {
                        break; // the whole body is in: no read to find its end, no growth
                    }

                    buffer = Grow(buffer, length, limit);
                }

                read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                length += read;
            }
            while (read > 0 && length <= limit);

            if (length > limit)
            {
                ArrayPool<byte>.Shared.Return(buffer);
                return null;
            }

            return new PooledBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Twice the size, but never more than one byte over the limit (that byte tells an oversized body).</summary>
    private static byte[] Grow(byte[] buffer, int length, long limit)
    {
        var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(2L * buffer.Length, limit + 1));
        buffer.AsSpan(0, length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(buffer);
        return larger;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
