using System.Buffers;

namespace DryWet.Serving.Apis;

/// <summary>An uploaded image's bytes in a pooled buffer; dispose to return it.</summary>
internal sealed class ImageUpload : IDisposable
{
    private const int FirstBufferBytes = 64 * 1024;
    private byte[]? _buffer;

    private ImageUpload(string fileName, byte[] buffer, int length)
    {
        FileName = fileName;
        _buffer = buffer;
        Length = length;
    }

    public string FileName { get; }
    public int Length { get; }
    public Memory<byte> Memory => _buffer.AsMemory(0, Length);

    /// <summary>
    /// Reads <paramref name="body"/> to its end into one pooled buffer, first sized <paramref name="expectedBytes"/>
    /// (the request's Content-Length, which bounds the part; 0 when unknown) and doubled when a chunked body needs more.
    /// The caller bounds the body (the multipart reader's length limit).
    /// </summary>
    public static async Task<ImageUpload> ReadAsync(string fileName, Stream body, int expectedBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(expectedBytes, FirstBufferBytes));
        var length = 0;
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return new ImageUpload(fileName, buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
