using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core.Configuration;
using DryWet.Core.Platform;

namespace DryWet.AppHost.Platform;

public static class BackingServicesExtensions
{
    /// <summary>Adds MinIO (with its buckets) and MLflow in container mode; nothing but a shared folder in embedded mode.</summary>
    public static DryWetPlatform AddBackingServices(this IDistributedApplicationBuilder builder, ContainerRuntimeProbe? probe = null)
    {
        // Every DryWet:* setting bound and checked once, here, before any resource exists.
        var settings = builder.Services.AddBoundOptions<DryWetSettings>(builder.Configuration, DryWetSettings.SectionName);
        var decision = builder.ResolvePlatformMode(probe, settings);
        var home = ResolveHome(builder, settings);
        if (decision.Mode == PlatformMode.Embedded)
        {
            return new DryWetPlatform { Decision = decision, Home = home, Settings = settings };
        }

        var minio = builder.AddMinio(PlatformNames.Minio)
            .WithBuckets(DryWetPlatform.DataBucket, DryWetPlatform.ModelsBucket, MlflowExtensions.ArtifactsBucket);
        var mlflow = builder.AddMlflow(PlatformNames.Mlflow, minio);
        return new DryWetPlatform { Decision = decision, Home = home, Settings = settings, Minio = minio, Mlflow = mlflow };
    }

    /// <summary>
    /// Connects a service to the platform: references to minio and mlflow (their connection strings) in container
    /// mode, the shared folder (<c>DryWet__Home</c>) in embedded mode.
    /// </summary>
    public static IResourceBuilder<T> UsePlatform<T>(this IResourceBuilder<T> service, DryWetPlatform platform)
        where T : IResourceWithEnvironment, IResourceWithWaitSupport
    {
        if (platform.Mode == PlatformMode.Embedded)
        {
            return service.WithEnvironment("DryWet__Home", platform.Home);
        }

        return service
            .WithReference(platform.Minio!)
            .WithReference(platform.Mlflow!)
            .WaitFor(platform.Mlflow!);
    }

    private static string ResolveHome(IDistributedApplicationBuilder builder, DryWetSettings settings)
    {
        var configured = settings.Home;
        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = Environment.GetEnvironmentVariable("DRYWET_HOME");
        }

        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".drywet");
        }

        return Path.GetFullPath(configured, builder.AppHostDirectory);
    }
}
