using DryWet.Serving.Apis;

namespace DryWet.Tests.Serving;

/// <summary>
/// <see cref="PooledBody"/>, the one reader of request bodies into pooled buffers (<c>/predict</c>'s image, the OIP
/// body): a chunked body grows its buffer without a copy on the managed heap, a sized one is read up to its length and no
/// further, and a body over the limit is refused after at most one byte past it.
/// </summary>
public sealed class PooledBodyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_chunked_body_of_several_buffers_is_read_whole_without_allocating_its_size()
    {
        var data = Bytes(300 * 1024); // the 64 KB first buffer doubles three times
        using (await PooledBody.ReadAsync(new TrickleStream(data), contentLength: null, limit: 1024 * 1024, Ct))
        {
            // warm-up: the pool's buffers of these sizes exist after it
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        using var body = await PooledBody.ReadAsync(new TrickleStream(data), contentLength: null, limit: 1024 * 1024, Ct);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        body.ShouldNotBeNull();
        body.Memory.ToArray().ShouldBe(data);
        allocated.ShouldBeLessThan(64 * 1024, $"reading a {data.Length}-byte body allocated {allocated} bytes");
    }

    [Fact]
    public async Task A_sized_body_is_read_to_its_Content_Length_and_no_further_read_is_made()
    {
        var data = Bytes(128 * 1024); // exactly a pool size: full buffer and whole body at once
        var stream = new TrickleStream(data);

        using var body = await PooledBody.ReadAsync(stream, contentLength: data.Length, limit: 1024 * 1024, Ct);

        body!.Memory.ToArray().ShouldBe(data);
        stream.ReadsAfterTheEnd.ShouldBe(0);
    }

    [Theory]
    [InlineData(1000)] // a limit below the first buffer
    [InlineData(200 * 1024)] // a limit the buffer grows to
    public async Task A_body_over_the_limit_is_refused_one_byte_past_it(int limit)
    {
        var stream = new TrickleStream(Bytes(limit + 100 * 1024));

        var body = await PooledBody.ReadAsync(stream, contentLength: null, limit, Ct);

        body.ShouldBeNull();
        stream.Position.ShouldBeInRange(limit + 1, limit + TrickleStream.Chunk, "reading stops once the limit is passed");
    }

    [Fact]
    public async Task A_body_exactly_at_the_limit_is_accepted_and_an_empty_one_has_length_zero()
    {
        var data = Bytes(200 * 1024);

        using var full = await PooledBody.ReadAsync(new TrickleStream(data), contentLength: null, limit: data.Length, Ct);
        using var empty = await PooledBody.ReadAsync(new TrickleStream([]), contentLength: null, limit: data.Length, Ct);

        full!.Memory.ToArray().ShouldBe(data);
        empty!.Length.ShouldBe(0);
    }

    private static byte[] Bytes(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        return data;
    }

    /// <summary>A non-seekable body handing out at most 8 KB a read, as a socket does; counts reads made after its end.</summary>
    private sealed class TrickleStream(byte[] data) : Stream
    {
        public const int Chunk = 8 * 1024;
        private int _position;

        public int ReadsAfterTheEnd { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position == data.Length)
            {
                ReadsAfterTheEnd++;
                return 0;
            }

            var count = Math.Min(Math.Min(buffer.Length, Chunk), data.Length - _position);
            data.AsSpan(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
