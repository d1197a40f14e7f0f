using System.Text.Json;
using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Imaging;
using DryWet.Serving.Admission;
using DryWet.Serving.Apis;
using DryWet.Serving.Feedback;
using DryWet.Serving.Inference;
using DryWet.Serving.Models;
using DryWet.Serving.Shadow;
using DryWet.Serving.Telemetry;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace DryWet.Serving.Extensions;

public static class ServingAppExtensions
{
    /// <summary>Options, the model source, the model host with background startup load, readiness, telemetry, JSON, OpenAPI.</summary>
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Every section bound one way: a misspelt key, a value of the wrong type or out of range stops the start naming it.
        // The prediction log (off unless Serving:PredictionLog:SampleRate > 0) and the shadow's traffic (Serving:Shadow)
        // are sections of their own, bound before Serving so that their keys get their own messages.
        services.AddBoundOptions<PredictionLogOptions>(builder.Configuration, PredictionLogOptions.SectionName);
        services.AddBoundOptions<ShadowOptions>(builder.Configuration, ShadowOptions.SectionName);
        var serving = services.AddBoundOptions<ServingOptions>(builder.Configuration, ServingOptions.SectionName);
        var model = services.AddBoundOptions<ModelOptions>(builder.Configuration, ModelOptions.SectionName);

        services.AddSingleton<ServingTelemetry>();
        ReserveThreadPoolHeadroom(serving);
        // Stopping: Kestrel refuses new connections and lets in-flight requests finish for this long.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = serving.ShutdownTimeout);
        // One decode budget for the process: every request's decode reserves from it, whichever model serves.
        services.AddSingleton(new DecodeBudget(serving.DecodeMemoryBudgetBytes, serving.DecodeConcurrency, serving.MaxQueuedRequests, serving.QueueTimeout,
            DecodeRefusals.ServerBusy));
        services.AddSingleton<PredictionLogQueue>();
        services.AddHostedService<PredictionLogWriter>();
        // The store is only resolved when the log is on; its reachability never counts towards /health: a store
        // outage costs log entries, not predictions.
        builder.AddObjectStore(healthCheck: false);
        services.AddSingleton(sp => ImageVersion.Resolve(sp.GetRequiredService<IOptions<ServingOptions>>().Value));
        // The registry adapter (embedded or MLflow) is chosen by ConnectionStrings:mlflow; resolved only when used.
        builder.AddModelRegistry();
        services.AddSingleton<IModelSource>(sp =>
        {
            // Model:Source is auto, local or registry (ModelOptions.Validate); auto = local when Model:Path is set.
            var options = sp.GetRequiredService<IOptions<ModelOptions>>().Value;
            var source = options.Source.Trim().ToLowerInvariant();
            var local = source == "local" || (source == "auto" && !string.IsNullOrWhiteSpace(options.Path));
            return local
                ? ActivatorUtilities.CreateInstance<LocalPackageModelSource>(sp)
                : ActivatorUtilities.CreateInstance<RegistryModelSource>(sp);
        });
        // Inference runs on its own threads, never on the pool's; models being loaded (and a shadow) take turns with live work.
        services.AddSingleton(sp => new InferenceRunner(model.ConcurrentRuns, sp.GetRequiredService<ILogger<InferenceRunner>>()));
        services.AddSingleton<IBatchTimer, BatchTimer>();
        services.AddSingleton<BatchTuner>();
        services.AddSingleton<Int8SpeedCheck>();
        services.AddSingleton<ModelLoader>();
        services.AddSingleton<ModelHost>();
        services.AddHostedService<ModelStartupService>();
        services.AddSingleton<ShadowHost>();
        services.AddSingleton<ShadowRunner>();
        services.AddHostedService<ShadowRefreshService>();
        services.AddSingleton<PredictionPipeline>();
        services.AddHealthChecks().AddCheck<ModelReadyHealthCheck>("model", tags: ["ready"]);

        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        services.AddOpenApi();
        services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// Decodes are the only CPU-bound work left on the thread pool (inference has its own threads) and at most
    /// <c>Serving:MaxConcurrentDecodes</c> run at once; the pool's minimum leaves as many threads again per core beside
    /// them, so a probe or a request's I/O never waits for the pool to inject a thread (about two a second once the
    /// minimum is busy: the seconds-long <c>/alive</c> of issue 19).
    /// </summary>
    private static void ReserveThreadPoolHeadroom(ServingOptions serving)
    {
        ThreadPool.GetMinThreads(out var workers, out var completionPorts);
        var wanted = serving.DecodeConcurrency + 2 * Environment.ProcessorCount;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, completionPorts);
        }
    }

    /// <summary>Listens on <see cref="ServingOptions.DefaultPort"/> (5001, as the original) unless a URL or port is configured.</summary>
    public static WebApplicationBuilder UseDefaultServingPort(this WebApplicationBuilder builder)
    {
        var configured = !string.IsNullOrEmpty(builder.Configuration["urls"])
            || !string.IsNullOrEmpty(builder.Configuration["http_ports"])
            || !string.IsNullOrEmpty(builder.Configuration["https_ports"])
            || builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        if (!configured)
        {
            var port = builder.Configuration.GetValue($"{ServingOptions.SectionName}:{nameof(ServingOptions.DefaultPort)}", 5001);
            builder.WebHost.UseUrls($"http://0.0.0.0:{port}");
        }

        return builder;
    }

    /// <summary>Request metrics, JSON errors for anything unexpected, the model-info gauge, OpenAPI + Scalar in Development.</summary>
    public static WebApplication UseServingPipeline(this WebApplication app)
    {
        app.UseMiddleware<RequestMetricsMiddleware>();
        app.UseExceptionHandler(error => error.Run(async context =>
        {
            var exception = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            var (status, message) = exception is BadHttpRequestException bad
                ? (bad.StatusCode, bad.Message)
                : (StatusCodes.Status500InternalServerError, "An unexpected error occurred.");
            context.Response.StatusCode = status;
            await context.Response.WriteAsJsonAsync(new ErrorResponse(message));
        }));

        // Empty 4xx/5xx answers from routing (404, 405, 415 for a non-multipart /predict) get a JSON error body too.
        app.UseStatusCodePages(async status =>
        {
            var context = status.HttpContext;
            var message = context.Response.StatusCode == StatusCodes.Status415UnsupportedMediaType
                ? ClientError.UnsupportedMediaType(context.Request.ContentType, ImageUploadReader.Expected).Message
                : $"{context.Request.Method} {context.Request.Path}: {ReasonPhrases.GetReasonPhrase(context.Response.StatusCode)}.";
            await context.Response.WriteAsJsonAsync(new ErrorResponse(message));
        });

        var host = app.Services.GetRequiredService<ModelHost>();
        var telemetry = app.Services.GetRequiredService<ServingTelemetry>();
        telemetry.ObserveModel(() => host.Current is { } m ? (m.Descriptor.Name, m.Descriptor.Version, m.ExecutionProvider, m.Precision.ToString().ToLowerInvariant(), m.PrecisionReason) : null);
        telemetry.ObserveDecodeBudget(app.Services.GetRequiredService<DecodeBudget>());
        telemetry.ObserveBatchPlan(() => host.Current is { } m ? (m.Descriptor.Version, m.BatchPlan) : null);
        if (string.IsNullOrEmpty(app.Services.GetRequiredService<IOptions<ServingOptions>>().Value.AdminApiKey))
        {
            app.Logger.LogWarning("Serving:AdminApiKey is not set: POST /model/reload is accepted from loopback only. " +
                "Set Serving:AdminApiKey (env Serving__AdminApiKey, from a secret) to reload from elsewhere with 'Authorization: Bearer <key>'.");
        }

        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
            app.MapScalarApiReference();
        }

        return app;
    }
}
