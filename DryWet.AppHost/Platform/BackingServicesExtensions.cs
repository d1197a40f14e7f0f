using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core.Platform;

namespace DryWet.AppHost.Platform;

public static class BackingServicesExtensions
{
    /// <summary>Adds MinIO (with its buckets) and MLflow in container mode; nothing but a shared folder in embedded mode.</summary>
    public static DryWetPlatform AddBackingServices(this IDistributedApplicationBuilder builder, ContainerRuntimeProbe? probe = null)
    {
        DryWetSettings.Validate(builder.Configuration);
        var decision = builder.ResolvePlatformMode(probe);
        var home = ResolveHome(builder);
        var sampleData = SampleDataArguments(builder);
        if (decision.Mode == PlatformMode.Embedded)
        {
            return new DryWetPlatform { Decision = decision, Home = home, SampleDataArguments = sampleData };
        }

        var minio = builder.AddMinio(PlatformNames.Minio)
            .WithBuckets(DryWetPlatform.DataBucket, DryWetPlatform.ModelsBucket, MlflowExtensions.ArtifactsBucket);
        var mlflow = builder.AddMlflow(PlatformNames.Mlflow, minio);
        return new DryWetPlatform { Decision = decision, Home = home, SampleDataArguments = sampleData, Minio = minio, Mlflow = mlflow };
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

    private static List<string> SampleDataArguments(IDistributedApplicationBuilder builder)
    {
        var args = new List<string>();
        foreach (var (key, option) in new[] { ("Count", "--count"), ("Size", "--size") })
        {
            if (builder.Configuration[$"DryWet:SampleData:{key}"] is { Length: > 0 } value)
            {
                args.AddRange([option, value]);
            }
        }

        return args;
    }

    private static string ResolveHome(IDistributedApplicationBuilder builder)
    {
        var configured = builder.Configuration[DryWetPlatform.HomeConfigurationKey];
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
