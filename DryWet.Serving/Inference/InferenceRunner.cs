using System.Diagnostics;

namespace DryWet.Serving.Inference;

/// <summary>
/// The process's inference threads (<c>Model:ConcurrentRuns</c>, default 1), dedicated: ONNX Runtime's CPU-bound runs
/// never occupy the thread pool, so the probes (<c>/alive</c>, <c>/health</c>) and request I/O always find a free
/// pool thread, however saturated inference is. Every model's work — the served model's batches, a model being
/// loaded, a shadow model — goes through these threads in two lanes: live work first, background work when no live
/// work waits (or when it has waited <see cref="BackgroundMaxWait"/>). So a reload's smoke test, tuning and warm-up
/// runs never run beside a live batch on the same cores; they take turns with it.
/// </summary>
public sealed class InferenceRunner : IDisposable
{
    /// <summary>Longest background work yields to live work before it runs anyway.</summary>
    public static readonly TimeSpan BackgroundMaxWait = TimeSpan.FromMilliseconds(250);

    private readonly object _lock = new();
    private readonly Queue<Action> _live = new();
    private readonly Queue<(Action Work, long Queued)> _background = new();
    private readonly Thread[] _threads;
    private readonly ILogger<InferenceRunner> _logger;
    private bool _stopping;

    /// <param name="threads">Inference threads (<c>Model:ConcurrentRuns</c>), 1 to 64.</param>
    public InferenceRunner(int threads, ILogger<InferenceRunner> logger)
    {
        _logger = logger;
        _threads = new Thread[Math.Clamp(threads, 1, 64)];
        for (var i = 0; i < _threads.Length; i++)
        {
            _threads[i] = new Thread(Loop) { IsBackground = true, Name = $"drywet-inference-{i}" };
            _threads[i].Start();
        }
    }

    /// <summary>Inference threads (the most runs at once).</summary>
    public int Threads => _threads.Length;

    /// <summary>Live work waiting now (for tests and metrics).</summary>
    public int LiveWaiting
    {
        get
        {
            lock (_lock)
            {
                return _live.Count;
            }
        }
    }

    /// <summary>Queues <paramref name="work"/>; it runs on an inference thread and must not throw (it completes its own tasks).</summary>
    public void Post(Action work, InferencePriority priority)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            if (priority == InferencePriority.Live)
            {
                _live.Enqueue(work);
            }
            else
            {
                _background.Enqueue((work, Stopwatch.GetTimestamp()));
            }

            Monitor.Pulse(_lock);
        }
    }

    /// <summary>Runs <paramref name="work"/> on an inference thread in the given lane and returns its result.</summary>
    public Task<T> RunAsync<T>(Func<T> work, InferencePriority priority)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Post(() =>
        {
            try
            {
                result.TrySetResult(work());
            }
            catch (Exception ex)
            {
                result.TrySetException(ex);
            }
        }, priority);
        return result.Task;
    }

    /// <summary>Runs <paramref name="work"/> on an inference thread in the given lane.</summary>
    public Task RunAsync(Action work, InferencePriority priority) => RunAsync(() =>
    {
        work();
        return true;
    }, priority);

    private void Loop()
    {
        while (Next() is { } work)
        {
            try
            {
                work();
            }
            catch (Exception ex)
            {
                // Work completes its own tasks; this is a bug, not a request's failure. The thread must survive it.
                _logger.LogError(ex, "Inference work failed outside its own error handling");
            }
        }
    }

    private Action? Next()
    {
        lock (_lock)
        {
            while (true)
            {
                if (_stopping)
                {
                    return null;
                }

                if (_background.TryPeek(out var waiting) && (_live.Count == 0 || Stopwatch.GetElapsedTime(waiting.Queued) >= BackgroundMaxWait))
                {
                    return _background.Dequeue().Work;
                }

                if (_live.TryDequeue(out var live))
                {
                    return live;
                }

                Monitor.Wait(_lock);
            }
        }
    }

    /// <summary>Stops the threads after the work they are running; work still queued is dropped (the process is ending).</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _stopping = true;
            Monitor.PulseAll(_lock);
        }

        foreach (var thread in _threads)
        {
            if (thread != Thread.CurrentThread)
            {
                thread.Join(TimeSpan.FromSeconds(30));
            }
        }
    }
}
