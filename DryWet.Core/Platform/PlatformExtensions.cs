using DryWet.Core;
using DryWet.Core.Registry;
using DryWet.Core.Storage;
using DryWet.Core.Tracking;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Minio;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The composition root for the three ports. MinIO when <c>ConnectionStrings:minio</c> is set, MLflow (tracking and
/// registry) when <c>ConnectionStrings:mlflow</c> is set; otherwise the embedded adapters under <c>DryWet:Home</c>.
/// Each choice is logged once, with the reason. Nothing outside this file knows which adapter it got.
/// </summary>
public static class PlatformExtensions
{
    public static IHostApplicationBuilder AddDryWetPlatform(this IHostApplicationBuilder builder) =>
        builder.AddObjectStore().AddExperimentTracking().AddModelRegistry();

    /// <param name="healthCheck">Whether MinIO's reachability counts towards /health (see AddMinioClient).</param>
    public static IHostApplicationBuilder AddObjectStore(this IHostApplicationBuilder builder, bool healthCheck = true)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IObjectStore)))
        {
            return builder;
        }

        if (UsesMinio(builder.Configuration))
        {
            builder.AddMinioClient(MinioClientExtensions.DefaultConnectionName, healthCheck);
            builder.Services.AddSingleton<IObjectStore>(sp => Announce(sp, new MinioObjectStore(sp.GetRequiredService<IMinioClient>(),
                sp.GetRequiredService<MinioConnectionString>().Endpoint.ToString(), sp.GetRequiredService<ILogger<MinioObjectStore>>()),
                "ConnectionStrings:minio is set"));
        }
        else
        {
            var home = DryWetHome.Resolve(builder.Configuration);
            builder.Services.AddSingleton<IObjectStore>(sp => Announce(sp, new EmbeddedObjectStore(DryWetHome.Objects(home)),
                "ConnectionStrings:minio is not set"));
        }

        return builder;
    }

    public static IHostApplicationBuilder AddExperimentTracking(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IExperimentTracker)))
        {
            return builder;
        }

        // DryWet:Tracking (system-metrics sampling); a misspelt key is an error, not a silent default.
        var tracking = TrackingOptions.FromConfiguration(builder.Configuration);
        if (UsesMlflow(builder.Configuration))
        {
            builder.AddMlflowCore();
            builder.Services.AddSingleton<MlflowExperimentTracker>(sp => new MlflowExperimentTracker(sp.GetRequiredService<MlflowClient>(),
                sp.GetRequiredService<MlflowArtifactLocation>(), sp.GetRequiredService<ILogger<MlflowExperimentTracker>>(), tracking));
            builder.Services.AddSingleton<IExperimentTracker>(sp => Announce(sp, sp.GetRequiredService<MlflowExperimentTracker>(), "ConnectionStrings:mlflow is set"));
        }
        else
        {
            var home = DryWetHome.Resolve(builder.Configuration);
            builder.Services.AddSingleton<EmbeddedExperimentTracker>(sp =>
                new EmbeddedExperimentTracker(DryWetHome.MlRuns(home), sp.GetRequiredService<ILogger<EmbeddedExperimentTracker>>(), tracking));
            builder.Services.AddSingleton<IExperimentTracker>(sp => Announce(sp, sp.GetRequiredService<EmbeddedExperimentTracker>(), "ConnectionStrings:mlflow is not set"));
        }

        builder.Services.AddSingleton(sp => (ITrackedRunReader)sp.GetRequiredService<IExperimentTracker>());
        builder.Services.AddSingleton(sp => (IFinishedRunMetrics)sp.GetRequiredService<IExperimentTracker>());
        return builder;
    }

    public static IHostApplicationBuilder AddModelRegistry(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(IModelRegistry)))
        {
            return builder;
        }

        if (UsesMlflow(builder.Configuration))
        {
            builder.AddMlflowCore();
            builder.Services.AddSingleton<IModelRegistry>(sp => Announce(sp, new MlflowModelRegistry(sp.GetRequiredService<MlflowClient>(),
                sp.GetRequiredService<MlflowArtifactLocation>(), sp.GetRequiredService<ILogger<MlflowModelRegistry>>()), "ConnectionStrings:mlflow is set"));
        }
        else
        {
            var home = DryWetHome.Resolve(builder.Configuration);
            builder.Services.AddSingleton<IModelRegistry>(sp => Announce(sp,
                new EmbeddedModelRegistry(DryWetHome.MlRuns(home), sp.GetRequiredService<ILogger<EmbeddedModelRegistry>>(), DryWetHome.Registry(home)),
                "ConnectionStrings:mlflow is not set"));
        }

        return builder;
    }

    public static bool UsesMinio(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString(MinioClientExtensions.DefaultConnectionName));

    public static bool UsesMlflow(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString(MlflowClientExtensions.DefaultConnectionName));

    private static void AddMlflowCore(this IHostApplicationBuilder builder)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(MlflowArtifactLocation)))
        {
            return;
        }

        builder.AddMlflowClient(MlflowClientExtensions.DefaultConnectionName);
        // s3:// artifact roots (MLflow's direct S3 mode) are written through MinIO when it is configured.
        var withObjectStore = UsesMinio(builder.Configuration);
        if (withObjectStore)
        {
            builder.AddObjectStore(healthCheck: false);
        }

        builder.Services.TryAddSingleton(sp => new MlflowArtifactLocation(sp.GetRequiredService<MlflowClient>(),
            withObjectStore ? sp.GetRequiredService<IObjectStore>() : null));
    }

    private static T Announce<T>(IServiceProvider services, T adapter, string reason) where T : class
    {
        var description = adapter switch
        {
            IObjectStore s => $"Object store: {s.Description}",
            IExperimentTracker t => $"Experiment tracking: {t.Description}",
            IModelRegistry r => $"Model registry: {r.Description}",
            _ => adapter.ToString(),
        };
        services.GetRequiredService<ILoggerFactory>().CreateLogger("DryWet.Platform").LogInformation("{Adapter} ({Reason})", description, reason);
        return adapter;
    }
}
