namespace DryWet.Core.Imaging;

/// <summary>
/// The one process-wide budget for image decoding, used by serving (<c>Serving:DecodeMemoryBudgetMB</c>,
/// <c>Serving:MaxConcurrentDecodes</c>) and by the web's thumbnails (<c>Web:DecodeMemoryBudgetMB</c>): a decode reserves
/// its worst-case bytes, read from the image header (<see cref="ImageHeader.WorkingBytes"/>), and a slot before any
/// pixel exists, and gives them back when it is done. Waiters are served first come, first served (a large image is
/// not starved by small ones), hold no thread while they wait, wait at most the timeout and are at most
/// <c>maxWaiters</c>; past either bound the owner's refusal (503 + Retry-After in both hosts) sheds the request.
/// </summary>
public sealed class DecodeBudget
{
    private readonly object _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly TimeSpan _timeout;
    private readonly int _maxWaiters;
    private readonly Func<DecodeRefusal, Exception> _refuse;
    private long _availableBytes;
    private int _availableSlots;

    /// <param name="refuse">
    /// The exception a refused reservation throws (the host's 503); by default a <see cref="DecodeBudgetFullException"/>.
    /// </param>
    public DecodeBudget(long capacityBytes, int slots, int maxWaiters, TimeSpan timeout, Func<DecodeRefusal, Exception>? refuse = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWaiters, 1);
        CapacityBytes = capacityBytes;
        Slots = slots;
        _availableBytes = capacityBytes;
        _availableSlots = slots;
        _maxWaiters = maxWaiters;
        _timeout = timeout;
        _refuse = refuse ?? (refusal => new DecodeBudgetFullException(refusal));
    }

    public long CapacityBytes { get; }
    public int Slots { get; }

    /// <summary>The longest a reservation waits.</summary>
    public TimeSpan Timeout => _timeout;

    /// <summary>Bytes reserved now (0 when no decode is running).</summary>
    public long ReservedBytes
    {
        get
        {
            lock (_lock)
            {
                return CapacityBytes - _availableBytes;
            }
        }
    }

    /// <summary>Requests waiting for memory or a slot now.</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                return _waiters.Count;
            }
        }
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> and a decode slot, waiting first come, first served. Throws the refusal
    /// exception when too many wait already or the wait passes the timeout.
    /// </summary>
    public async ValueTask<DecodeReservation> ReserveAsync(long bytes, CancellationToken cancellationToken)
    {
        if (bytes > CapacityBytes)
        {
            // Cannot happen with validated settings (ServingOptions.Validate); a clear error if it ever does.
            throw new InvalidOperationException($"A decode of {bytes} bytes can never fit the decode budget of {CapacityBytes} bytes.");
        }

        Waiter waiter;
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                Take(bytes);
                return new DecodeReservation(this, bytes);
            }

            if (_waiters.Count >= _maxWaiters)
            {
                throw _refuse(new DecodeRefusal(DecodeRefusalReason.QueueFull, bytes, _waiters.Count, _timeout));
            }

            waiter = new Waiter(bytes);
            waiter.Node = _waiters.AddLast(waiter);
        }

        try
        {
            await waiter.Granted.Task.WaitAsync(_timeout, cancellationToken);
            return new DecodeReservation(this, bytes);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            bool stillWaiting;
            lock (_lock)
            {
                stillWaiting = waiter.Node!.List is not null;
                if (stillWaiting)
                {
                    _waiters.Remove(waiter.Node);
                    // It may have been the head that kept smaller requests behind it waiting.
                    GrantWaiters();
                }
            }

            if (!stillWaiting)
            {
                // Granted just as the wait ended: give it back.
                Release(bytes);
            }

            if (ex is TimeoutException)
            {
                throw _refuse(new DecodeRefusal(DecodeRefusalReason.Timeout, bytes, Waiting, _timeout));
            }

            throw;
        }
    }

    internal void Release(long bytes)
    {
        lock (_lock)
        {
            _availableBytes += bytes;
            _availableSlots++;
            GrantWaiters();
        }
    }

    private bool Fits(long bytes) => _availableSlots > 0 && _availableBytes >= bytes;

    private void Take(long bytes)
    {
        _availableBytes -= bytes;
        _availableSlots--;
    }

    /// <summary>Grants waiters in arrival order while the head fits. Called under the lock.</summary>
    private void GrantWaiters()
    {
        while (_waiters.First is { } head && Fits(head.Value.Bytes))
        {
            _waiters.RemoveFirst();
            Take(head.Value.Bytes);
            head.Value.Granted.TrySetResult();
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;
        public LinkedListNode<Waiter>? Node { get; set; }

        // Continuations run off the lock: a granted request must not decode while the releaser holds it.
        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
