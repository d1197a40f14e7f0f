using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Platform;

/// <summary>Chooses between embedded and container mode: explicit configuration first, then detection.</summary>
public static class PlatformModeExtensions
{
    /// <summary>Configuration key (env <c>DryWet__Mode</c>, argument <c>--mode</c> or <c>--DryWet:Mode</c>): embedded | containers | auto.</summary>
    public const string ConfigurationKey = "DryWet:Mode";

    public static PlatformModeDecision ResolvePlatformMode(this IDistributedApplicationBuilder builder, ContainerRuntimeProbe? probe = null)
    {
        var decision = Decide(builder, probe ?? new ContainerRuntimeProbe());
        builder.Services.AddSingleton(decision);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DryWet.AppHost");
            logger.LogInformation("DryWet platform mode: {Mode} ({Reason})", decision.Mode, decision.Reason);
            return Task.CompletedTask;
        });
        return decision;
    }

    private static PlatformModeDecision Decide(IDistributedApplicationBuilder builder, ContainerRuntimeProbe probe)
    {
        // The published model is always the full container model, whatever runs locally.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new(PlatformMode.Containers, "publishing always describes the container model");
        }

        var configured = builder.Configuration[ConfigurationKey] ?? builder.Configuration["mode"];
        switch (configured?.Trim().ToLowerInvariant())
        {
            case "embedded":
                return new(PlatformMode.Embedded, $"{ConfigurationKey}={configured}");
            case "containers" or "container":
                return new(PlatformMode.Containers, $"{ConfigurationKey}={configured}");
            case null or "" or "auto":
                var (runtime, reason) = probe.Probe();
                return runtime is null
                    ? new(PlatformMode.Embedded, $"no container engine found: {reason}; set {ConfigurationKey}=containers to force containers")
                    : new(PlatformMode.Containers, $"container engine found: {reason}; set {ConfigurationKey}=embedded to run without containers");
            default:
                throw new InvalidOperationException(
                    $"{ConfigurationKey} is '{configured}', which is not a mode. Use 'embedded', 'containers' or 'auto' " +
                    "(e.g. dotnet run --project DryWet.AppHost -- --mode embedded).");
        }
    }
}
