using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.LiveEvaluation;
using DryWet.TrainingWorker.Promotion;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Watching;

/// <summary>
/// The watcher's live tick: beside the data checks, runs the <see cref="LiveGate"/> every interval, so a challenger
/// that wins on reviewed traffic is promoted without anyone typing <c>promote --live</c>. Its own loop: a training run
/// that takes an hour does not hold the live gate back. A failing store or registry is logged and retried next tick.
/// </summary>
public sealed class LiveGateTick(LiveGate gate, string modelName, DryWetConfig.EvaluationSection thresholds, ILogger<LiveGateTick> logger,
    TimeProvider? time = null)
{
    /// <summary>The last tick's result (tests and <c>watch --once</c> read it).</summary>
    public LiveGateResult? LastResult { get; private set; }

    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, time ?? TimeProvider.System);
        do
        {
            try
            {
                await CheckOnceAsync(cancellationToken);
            }
            catch (Exception ex) when (ex is DryWetException or HttpRequestException or IOException)
            {
                logger.LogWarning("Live gate check of {Model} failed ({Error}); retrying in {Interval}", modelName, ex.Message, interval);
            }
        }
        while (await timer.WaitForNextTickAsync(cancellationToken));
    }

    public async Task<LiveGateResult> CheckOnceAsync(CancellationToken cancellationToken)
    {
        var result = await gate.CheckAsync(modelName, thresholds, cancellationToken);
        LastResult = result;
        var level = result.Promoted is not null || result.Verdict?.Kind == LiveVerdictKind.ChampionBehindLive ? LogLevel.Information : LogLevel.Debug;
        logger.Log(level, "Live gate for {Model}: {Summary}", modelName, result.Summary);
        return result;
    }
}
