namespace DryWet.Serving.Inference;

/// <summary>
/// Loads the model in the background at startup, so the server answers (/, /alive, /health = not ready, /predict = 503)
/// even while loading takes long or fails.
/// </summary>
internal sealed class ModelStartupService(ModelHost host) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        await host.ReloadAsync(stoppingToken);
    }
}
