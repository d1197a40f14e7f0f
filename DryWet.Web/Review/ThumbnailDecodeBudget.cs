namespace DryWet.Web.Review;

/// <summary>
/// The bytes and the threads thumbnail decoding may hold at once. A decode reserves its worst case (the pixels it will
/// decode × 4) before it allocates anything, waits at most <see cref="Wait"/> for room, and gives it back when done;
/// a caller that gets no room answers 503 with Retry-After instead of queueing without end.
/// </summary>
public sealed class ThumbnailDecodeBudget(long capacityBytes, int maxDecoders)
{
    /// <summary>How long a thumbnail request waits for room before it is refused.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    private readonly Lock _lock = new();
    private long _available = capacityBytes;
    private int _decoders = maxDecoders;
    private TaskCompletionSource _released = NewSignal();

    public ThumbnailDecodeBudget(WebOptions options)
        : this(options.DecodeMemoryBudgetBytes, Math.Max(1, Environment.ProcessorCount))
    {
    }

    public long CapacityBytes { get; } = capacityBytes;

    public long AvailableBytes
    {
        get
        {
            lock (_lock)
            {
                return _available;
            }
        }
    }

    /// <summary>A lease on <paramref name="bytes"/> (dispose it to give them back), or null after <paramref name="wait"/> without room.</summary>
    /// <exception cref="ArgumentOutOfRangeException">More than the whole budget: such an image must be refused before.</exception>
    public async Task<IDisposable?> TryReserveAsync(long bytes, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, CapacityBytes);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        while (true)
        {
            Task released;
            lock (_lock)
            {
                if (_available >= bytes && _decoders > 0)
                {
                    _available -= bytes;
                    _decoders--;
                    return new Lease(this, bytes);
                }

                released = _released.Task;
            }

            try
            {
                await released.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }
    }

    private void Release(long bytes)
    {
        TaskCompletionSource released;
        lock (_lock)
        {
            _available += bytes;
            _decoders++;
            released = _released;
            _released = NewSignal();
        }

        released.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Lease(ThumbnailDecodeBudget budget, long bytes) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                budget.Release(bytes);
            }
        }
    }
}
