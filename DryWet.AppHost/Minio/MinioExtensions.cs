using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace DryWet.AppHost.Minio;

/// <summary>MinIO as a container with secret root credentials, a data volume, a health check and its buckets.</summary>
public static class MinioExtensions
{
    // MinIO OSS is archived upstream; this is the last tag the Aspire community integration pinned.
    public const string Image = "minio/minio";
    public const string Tag = "RELEASE.2025-09-07T16-13-09Z";
    public const string Registry = "docker.io";

    public static IResourceBuilder<MinioResource> AddMinio(this IDistributedApplicationBuilder builder, string name)
    {
        var rootUser = builder.AddParameter($"{name}-root-user", "minioadmin", publishValueAsDefault: false, secret: true);
        var rootPassword = builder.AddParameter(
            $"{name}-root-password",
            new GenerateParameterDefault { MinLength = 22, Special = false },
            secret: true,
            persist: true);

        return builder.AddResource(new MinioResource(name, rootUser.Resource, rootPassword.Resource))
            .WithImage(Image, Tag)
            .WithImageRegistry(Registry)
            .WithArgs("server", "/data", "--console-address", ":9001")
            .WithHttpEndpoint(targetPort: 9000, name: MinioResource.ApiEndpointName)
            .WithHttpEndpoint(targetPort: 9001, name: MinioResource.ConsoleEndpointName)
            .WithEnvironment("MINIO_ROOT_USER", rootUser)
            .WithEnvironment("MINIO_ROOT_PASSWORD", rootPassword)
            .WithVolume($"{name}-data", "/data")
            .WithHttpHealthCheck("/minio/health/live", endpointName: MinioResource.ApiEndpointName)
            .WithUrlForEndpoint(MinioResource.ConsoleEndpointName, url => url.DisplayText = "MinIO console");
    }

    /// <summary>Creates the buckets (if missing) once MinIO's health check passes.</summary>
    public static IResourceBuilder<MinioResource> WithBuckets(this IResourceBuilder<MinioResource> minio, params string[] buckets)
    {
        minio.WithAnnotation(new MinioBucketsAnnotation(buckets));
        return minio.OnResourceReady(async (resource, e, ct) =>
        {
            var logger = e.Services.GetRequiredService<ResourceLoggerService>().GetLogger(resource);
            var connection = await resource.ConnectionStringExpression.GetValueAsync(ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"MinIO resource '{resource.Name}' has no connection string yet.");
            await MinioBuckets.EnsureAsync(MinioConnection.Parse(connection), buckets, logger, ct).ConfigureAwait(false);
        });
    }
}
