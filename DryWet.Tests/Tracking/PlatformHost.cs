using DryWet.Core;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace DryWet.Tests.Tracking;

/// <summary>Builds the composition root the trainer and serving use (AddDryWetPlatform) for a test, with fast retries.</summary>
internal static class PlatformHost
{
    /// <param name="settings">Extra configuration, e.g. DryWet:Tracking:SystemMetricsInterval.</param>
    public static IHost Build(string home, Uri? mlflow = null, string? minio = null, int maxRetries = 3,
        IReadOnlyDictionary<string, string>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[DryWetHome.ConfigurationKey] = home;
        if (mlflow is not null)
        {
            builder.Configuration["ConnectionStrings:mlflow"] = $"Endpoint={mlflow}";
        }

        if (minio is not null)
        {
            builder.Configuration["ConnectionStrings:minio"] = minio;
        }

        builder.Configuration[$"{MlflowClientOptions.SectionName}:RetryDelay"] = "00:00:00.010";
        builder.Configuration[$"{MlflowClientOptions.SectionName}:MaxRetryAttempts"] = maxRetries.ToString();
        builder.Configuration[$"{MlflowClientOptions.SectionName}:ReadyPollInterval"] = "00:00:00.010";
        builder.Configuration[$"{MlflowClientOptions.SectionName}:ReadyTimeout"] = "00:00:05";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            builder.Configuration[key] = value;
        }

        builder.Services.AddLogging();
        builder.Services.AddHealthChecks();
        builder.AddDryWetPlatform();
        if (minio is not null)
        {
            // Test hosts talk to s3rver: correct its XML namespace bug (see S3rverNamespaceFix).
            builder.Services.AddHttpClient("minio").AddHttpMessageHandler(() => new Storage.S3rverNamespaceFix());
        }

        return builder.Build();
    }
}
