using Microsoft.Extensions.Hosting;

namespace DryWet.TrainingWorker.Platform;

/// <summary>
/// The trainer host's lifetime: none of its own. The default console lifetime would take SIGINT/SIGTERM and only stop
/// the host, which a command never waits on, so the signal was swallowed; <see cref="TerminationSignals"/> owns them.
/// </summary>
internal sealed class CommandHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
