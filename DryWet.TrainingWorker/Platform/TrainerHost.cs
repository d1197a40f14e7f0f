using DryWet.Core.Configuration;
using DryWet.TrainingWorker.Model;
using DryWet.TrainingWorker.Watching;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DryWet.TrainingWorker.Platform;

/// <summary>
/// The trainer's composition root: configuration from environment variables (ConnectionStrings__minio,
/// ConnectionStrings__mlflow, DryWet__Home, as Aspire and Kubernetes pass them), service defaults (telemetry), the
/// platform adapters and the trainer's settings (<see cref="WatcherOptions"/>, <see cref="WeightsOptions"/>). Logs go
/// to stderr so stdout stays the command's output. Signals are not the host's: a command is cancelled through the
/// token <see cref="TerminationSignals"/> gives it.
/// </summary>
internal static class TrainerHost
{
    public static async Task<IHost> StartAsync(CancellationToken cancellationToken)
    {
        // A command, not a server: no file watchers on appsettings (each would hold one of the user's 128 inotify
        // instances while a long training or a watcher runs).
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ApplicationName = "drywet-trainer",
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning).AddFilter("System", LogLevel.Warning).AddFilter("Polly", LogLevel.Warning);
        builder.AddServiceDefaults();
        builder.AddDryWetPlatform();
        // The trainer's own settings, bound and checked here: a misspelt key or a bad value stops any command at start.
        builder.Services.AddBoundOptions<WatcherOptions>(builder.Configuration, WatcherOptions.SectionName);
        builder.Services.AddBoundOptions<WeightsOptions>(builder.Configuration, WeightsOptions.SectionName);
        builder.Services.AddSingleton<IHostLifetime, CommandHostLifetime>();
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return host;
    }
}
