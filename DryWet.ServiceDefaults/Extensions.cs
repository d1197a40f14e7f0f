using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Service defaults shared by every DryWet process: OpenTelemetry (OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set,
/// as under Aspire; Prometheus scraping always), health checks, service discovery and resilient HttpClients.
/// </summary>
public static class Extensions
{
    /// <summary>Liveness endpoint: the process answers. Kubernetes restarts the pod when it fails.</summary>
    public const string AlivenessEndpointPath = "/alive";

    /// <summary>Readiness endpoint: every health check passes (e.g. a model is loaded).</summary>
    public const string HealthEndpointPath = "/health";

    /// <summary>Prometheus scrape endpoint.</summary>
    public const string MetricsEndpointPath = "/metrics";

    /// <summary>Activity sources and meters named "DryWet.*" are exported.</summary>
    public const string TelemetryPrefix = "DryWet.*";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });
        return builder;
    }

    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetryPrefix)
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetryPrefix)
                .AddAspNetCoreInstrumentation(o =>
                    // Probe and scrape traffic is noise in traces.
                    o.Filter = context =>
                        !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                        && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath)
                        && !context.Request.Path.StartsWithSegments(MetricsEndpointPath))
                .AddHttpClientInstrumentation());

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (readiness: all checks), <c>/alive</c> (liveness: checks tagged "live") and <c>/metrics</c>
    /// in every environment: they are the Kubernetes probes and the Prometheus scrape target.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath);
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        app.MapPrometheusScrapingEndpoint(MetricsEndpointPath);
        return app;
    }
}
