using System.Diagnostics;

namespace DryWet.Benchmarks.Abuse;

/// <summary>
/// A liveness prober beside the load, as the kubelet is: <c>GET /alive</c> every 100 ms on its own connection pool,
/// one probe at a time, each given <see cref="ProbeTimeout"/>; a probe that gets no 200 in time counts as failed,
/// with the timeout as its latency.
/// </summary>
internal sealed class AliveProber : IAsyncDisposable
{
    public static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly Latencies _latencies = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _failed;

    private AliveProber(HttpClient client, Uri alive) => _loop = Task.Run(() => LoopAsync(client, alive));

    public static AliveProber Start(HttpClient client, Uri server) => new(client, new Uri(server, "/alive"));

    private async Task LoopAsync(HttpClient client, Uri alive)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(ProbeTimeout);
            try
            {
                using var response = await client.GetAsync(alive, timeout.Token);
                _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref _failed);
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return; // stopped while a probe was open: that probe is not counted
            }
            catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException or IOException)
            {
                _latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref _failed);
            }

            try
            {
                await Task.Delay(Interval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops probing; the probes' latencies, with how many reached <paramref name="limitMilliseconds"/>, and how many failed.</summary>
    public async Task<AliveReport> StopAsync(double limitMilliseconds)
    {
        await _stop.CancelAsync();
        await _loop;
        return new AliveReport(_latencies.ToReport(limitMilliseconds), _failed);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
