using DryWet.Core;
using DryWet.Serving.Models;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Inference;

/// <summary>
/// Loads the model in the background at startup, so the server answers (/, /alive, /health = not ready, /predict = 503
/// with the reason) even while loading takes long or fails. Until a model loads it retries (Model:RetryInterval,
/// doubling up to a minute, or up to Model:PollInterval when that is shorter), so a registry or object store that
/// comes up later needs no restart, and a first model promoted while serving waits is served as soon as a later
/// promotion would be. With Model:PollInterval set and a registry source, it then reloads (atomically, via the host)
/// whenever the alias moves.
/// </summary>
internal sealed class ModelStartupService(ModelHost host, IModelSource source, IOptions<ModelOptions> options, ILogger<ModelStartupService> logger)
    : BackgroundService
{
    private static readonly TimeSpan MaxRetryInterval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        var settings = options.Value;
        var delay = settings.RetryInterval > TimeSpan.Zero ? settings.RetryInterval : TimeSpan.FromSeconds(5);
        while (host.Current is null && !(await host.ReloadAsync(stoppingToken)).Succeeded)
        {
            logger.LogWarning("No model loaded from {Source}; retrying in {Seconds:F0} s.", source.Description, delay.TotalSeconds);
            await Task.Delay(delay, stoppingToken);
            delay = NextRetry(delay, settings);
        }

        if (settings.PollInterval <= TimeSpan.Zero || source is not IWatchableModelSource watchable)
        {
            return;
        }

        using var timer = new PeriodicTimer(settings.PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                var latest = await watchable.PeekVersionAsync(stoppingToken);
                if (latest is not null && latest != host.Current?.Descriptor.Version)
                {
                    logger.LogInformation("{Source} now points at version {Version}; reloading.", source.Description, latest);
                    await host.ReloadAsync(stoppingToken);
                }
            }
            catch (Exception ex) when (ex is DryWetException or HttpRequestException)
            {
                // Keep serving the current model; the next tick asks again.
                logger.LogWarning("Polling {Source} failed: {Error}", source.Description, ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Anything else (a bug, a timeout, an unexpected answer) must not stop the host: log it, ask again next tick.
                logger.LogError(ex, "Polling {Source} failed unexpectedly; retrying in {Seconds:F0} s.", source.Description, settings.PollInterval.TotalSeconds);
            }
        }
    }

    /// <summary>
    /// The wait after <paramref name="delay"/> while no model is loaded: twice as long, at most a minute, and with
    /// polling on at most <see cref="ModelOptions.PollInterval"/> (never shorter than the first wait): a promotion that
    /// comes while serving has nothing reaches it as soon as one that comes later does.
    /// </summary>
    internal static TimeSpan NextRetry(TimeSpan delay, ModelOptions settings)
    {
        var max = settings.PollInterval > TimeSpan.Zero && settings.PollInterval < MaxRetryInterval ? settings.PollInterval : MaxRetryInterval;
        max = max > delay ? max : delay;
        return TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, max.Ticks));
    }
}
