using Microsoft.Extensions.Logging;

namespace DryWet.Core.Tracking;

/// <summary>
/// Samples <see cref="SystemMetricsReader"/> every interval while a run is open and logs the values as
/// <c>system/&lt;name&gt;</c> with step = sample number, as MLflow's SystemMetricsMonitor does. It never fails the run:
/// a logging error is reported and the next sample tried. <see cref="StopAsync"/> ends it (the run's end does that).
/// </summary>
internal sealed class SystemMetricsMonitor : IAsyncDisposable
{
    public const string Prefix = "system/";

    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private SystemMetricsMonitor(TimeSpan interval, Func<IReadOnlyList<MetricPoint>, CancellationToken, Task> log, ILogger logger, string runId)
    {
        _loop = RunAsync(interval, log, logger, runId, _stop.Token);
    }

    /// <summary>Null when sampling is off (interval zero).</summary>
    public static SystemMetricsMonitor? Start(TimeSpan interval, Func<IReadOnlyList<MetricPoint>, CancellationToken, Task> log, ILogger logger, string runId) =>
        interval > TimeSpan.Zero ? new SystemMetricsMonitor(interval, log, logger, runId) : null;

    public async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await _stop.CancelAsync();
        }

        await _loop;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private static async Task RunAsync(TimeSpan interval, Func<IReadOnlyList<MetricPoint>, CancellationToken, Task> log, ILogger logger, string runId,
        CancellationToken stop)
    {
        var reader = new SystemMetricsReader();
        reader.Read(); // baseline for the CPU and network deltas
        using var timer = new PeriodicTimer(interval);
        long step = 0;
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                var now = DateTimeOffset.UtcNow;
                var points = reader.Read().Select(kv => new MetricPoint(Prefix + kv.Key, kv.Value, step, now)).ToList();
                try
                {
                    await log(points, stop);
                    step++;
                }
                catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
                {
                    logger.LogWarning("Could not log system metrics for run {RunId}: {Error}", runId, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run ended.
        }
    }
}
