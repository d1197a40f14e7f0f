using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Platform;

/// <summary>Chooses between embedded and container mode: explicit configuration first, then detection.</summary>
public static class PlatformModeExtensions
{
    /// <summary>Configuration key (env <c>DryWet__Mode</c>, argument <c>--mode</c> or <c>--DryWet:Mode</c>): embedded | containers | auto.</summary>
    public const string ConfigurationKey = "DryWet:Mode";

    /// <summary>The command-line shorthand <c>--mode embedded</c>.</summary>
    private const string ModeSwitch = "mode";

    /// <summary>Decides the mode from <paramref name="settings"/> (default: bound from the builder's configuration) or the <c>--mode</c> switch, else by probing.</summary>
    public static PlatformModeDecision ResolvePlatformMode(this IDistributedApplicationBuilder builder, ContainerRuntimeProbe? probe = null, DryWetSettings? settings = null)
    {
        settings ??= DryWetSettings.FromConfiguration(builder.Configuration);
        var decision = Decide(builder, probe ?? new ContainerRuntimeProbe(), settings);
        builder.Services.AddSingleton(decision);
        builder.Eventing.Subscribe<BeforeStartEvent>((e, _) =>
        {
            var logger = e.Services.GetRequiredService<ILoggerFactory>().CreateLogger("DryWet.AppHost");
            logger.LogInformation("DryWet platform mode: {Mode} ({Reason})", decision.Mode, decision.Reason);
            return Task.CompletedTask;
        });
        return decision;
    }

    /// <summary>"embedded", "containers" or "auto" (empty counts as auto) for a configured value; null when it is not a mode.</summary>
    public static string? Parse(string? configured) => configured?.Trim().ToLowerInvariant() switch
    {
        "embedded" => "embedded",
        "containers" or "container" => "containers",
        null or "" or "auto" => "auto",
        _ => null,
    };

    /// <summary>The error for a value that is not a mode, naming the valid ones.</summary>
    public static string NotAMode(string key, string? configured) =>
        $"{key} is '{configured}', which is not a mode. Use 'embedded', 'containers' or 'auto' " +
        "(e.g. dotnet run --project DryWet.AppHost -- --mode embedded).";

    private static PlatformModeDecision Decide(IDistributedApplicationBuilder builder, ContainerRuntimeProbe probe, DryWetSettings settings)
    {
        // The published model is always the full container model, whatever runs locally.
        if (builder.ExecutionContext.IsPublishMode)
        {
            return new(PlatformMode.Containers, "publishing always describes the container model");
        }

        // The --mode switch is a top-level command-line shorthand, not a DryWet setting: it counts when DryWet:Mode is unset.
        var configured = settings.Mode is { Length: > 0 } mode ? mode : builder.Configuration[ModeSwitch];
        switch (Parse(configured))
        {
            case "embedded":
                return new(PlatformMode.Embedded, $"{ConfigurationKey}={configured}");
            case "containers":
                return new(PlatformMode.Containers, $"{ConfigurationKey}={configured}");
            case "auto":
                var (runtime, reason) = probe.Probe();
                return runtime is null
                    ? new(PlatformMode.Embedded, $"no container engine found: {reason}; set {ConfigurationKey}=containers to force containers")
                    : new(PlatformMode.Containers, $"container engine found: {reason}; set {ConfigurationKey}=embedded to run without containers");
            default:
                throw new DryWetException(NotAMode($"--{ModeSwitch}", configured));
        }
    }
}
