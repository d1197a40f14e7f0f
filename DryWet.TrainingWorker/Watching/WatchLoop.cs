using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// The one loop of both watchers (<see cref="DataWatcher"/>: one archive; <see cref="DatasetWatcher"/>: the whole
/// dataset): a check decides, is counted in <c>drywet_watch_decisions_total{decision}</c> and logged as one structured
/// line; <see cref="RunAsync"/> checks every interval until cancelled, and a failing store or registry is logged and
/// retried at the next tick. One check at a time, so one run at a time: the loop waits for the run a check started.
/// </summary>
/// <param name="data">The watched data, as the decision lines name it (<c>s3://bucket/key</c>).</param>
/// <param name="decide">One check: what the data is now and what was done about it.</param>
public sealed class WatchLoop(string data, Func<CancellationToken, Task<WatchDecision>> decide, ILogger logger, TimeProvider clock)
{
    public async Task<WatchDecision> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var decision = await decide(cancellationToken);
        WatchTelemetry.Decisions.Add(1, new KeyValuePair<string, object?>("decision", decision.Name));
        var level = decision.Kind is WatchDecisionKind.Failed ? LogLevel.Error
            : decision.Kind is WatchDecisionKind.Unchanged or WatchDecisionKind.NoData or WatchDecisionKind.Settling ? LogLevel.Debug : LogLevel.Information;
        logger.Log(level, "Watch decision {Decision} for {Data}: {Message}", decision.Name, data, decision.Message);
        return decision;
    }

    /// <param name="watching">What is watched and how, for the first log line ("the dataset at s3://ml-data/ (debounce …)").</param>
    public async Task RunAsync(TimeSpan interval, string watching, CancellationToken cancellationToken)
    {
        logger.LogInformation("Watching {Watching}; checking every {Interval}", watching, interval);
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await CheckOnceAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is DryWet.Core.DryWetException or HttpRequestException or IOException)
            {
                logger.LogWarning("Watch check of {Data} failed ({Error}); retrying in {Interval}", data, ex.Message, interval);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }
}
