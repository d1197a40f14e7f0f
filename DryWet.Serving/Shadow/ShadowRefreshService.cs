using Microsoft.Extensions.Options;

namespace DryWet.Serving.Shadow;

/// <summary>
/// Follows the challenger alias: once the served model is up, loads the shadow, then re-checks on every
/// <c>Model:PollInterval</c> tick (as the served model follows its alias). Off with <c>Model:Shadow</c> = off or a local package.
/// </summary>
internal sealed class ShadowRefreshService(ShadowHost shadows, Inference.ModelHost served, IOptions<ModelOptions> options) : BackgroundService
{
    private static readonly TimeSpan StartupCheck = TimeSpan.FromMilliseconds(200);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!shadows.Enabled)
        {
            return;
        }

        while (served.Current is null)
        {
            await Task.Delay(StartupCheck, stoppingToken);
        }

        await shadows.RefreshAsync(stoppingToken);
        if (options.Value.PollInterval <= TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.PollInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            await shadows.RefreshAsync(stoppingToken);
        }
    }
}
