using DryWet.Core;
using DryWet.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Minio;
using Minio.DataModel.Args;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Aspire-style MinIO client registration (Aspire.Minio.Client is not obtainable here): reads
/// <c>ConnectionStrings:&lt;name&gt;</c> (<c>Endpoint=http://host:9000;AccessKey=...;SecretKey=...</c>), registers
/// <see cref="IMinioClient"/>, a readiness health check and tracing (store spans + the SDK's HTTP calls).
/// </summary>
public static class MinioClientExtensions
{
    public const string DefaultConnectionName = "minio";

    /// <param name="healthCheck">
    /// Register the readiness check "minio". Off where MinIO is only a secondary dependency (serving reads MLflow's
    /// s3:// artifacts through it, but a loaded model keeps serving while MinIO is down).
    /// </param>
    public static IHostApplicationBuilder AddMinioClient(this IHostApplicationBuilder builder, string connectionName = DefaultConnectionName,
        bool healthCheck = true)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new DryWetException($"ConnectionStrings:{connectionName} is not set. Set it to 'Endpoint=http://host:9000;AccessKey=...;SecretKey=...' (env ConnectionStrings__{connectionName}).");
        }

        var settings = MinioConnectionString.Parse(connectionString);
        builder.Services.AddSingleton(settings);
        // The SDK streams request bodies and retries by itself: the default resilience handler (10 s attempt timeout,
        // re-sending a consumed stream) would break large uploads.
#pragma warning disable EXTEXP0001
        // S3ConditionalWrites: the If-None-Match/If-Match headers of conditional PUTs (labels), which the SDK cannot send.
        builder.Services.AddHttpClient(connectionName).AddHttpMessageHandler(() => new S3ConditionalWrites()).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<IMinioClient>(sp => new MinioClient()
            .WithEndpoint(settings.HostAndPort)
            .WithCredentials(settings.AccessKey, settings.SecretKey)
            .WithSSL(settings.UseSsl)
            .WithHttpClient(sp.GetRequiredService<IHttpClientFactory>().CreateClient(connectionName))
            .Build());
        if (healthCheck)
        {
            builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(connectionName,
                sp => new MinioHealthCheck(sp.GetRequiredService<IMinioClient>(), settings), HealthStatus.Unhealthy, ["ready"], TimeSpan.FromSeconds(5)));
        }

        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(MinioObjectStore.ActivitySourceName));
        return builder;
    }

    private sealed class MinioHealthCheck(IMinioClient client, MinioConnectionString settings) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                // Any authenticated request proves reachability and credentials; a bucket that may not exist is enough.
                await client.BucketExistsAsync(new BucketExistsArgs().WithBucket("ml-data"), cancellationToken);
                return HealthCheckResult.Healthy($"MinIO at {settings.Endpoint} answers.");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"MinIO at {settings.Endpoint} is unreachable: {ex.Message}", ex);
            }
        }
    }
}
