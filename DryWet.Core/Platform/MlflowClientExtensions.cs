using DryWet.Core;
using DryWet.Core.Configuration;
using DryWet.Core.Tracking.Mlflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Timeout;
using DryWet.Core.Platform;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Registers the typed <see cref="MlflowClient"/>: base URL from <c>ConnectionStrings:&lt;name&gt;</c>
/// (<c>Endpoint=http://mlflow:5000</c> or a bare URL), else service discovery (<c>http://&lt;name&gt;</c>); basic-auth
/// credentials for a server running MLflow's basic-auth app from the connection string's <c>Username</c>/<c>Password</c>,
/// else from <c>MLFLOW_TRACKING_USERNAME</c>/<c>MLFLOW_TRACKING_PASSWORD</c> (MLflow's own client variables); retries with
/// exponential backoff following <see cref="MlflowRetryPolicy"/> (logged as warnings); a per-attempt timeout; tracing
/// through HttpClient instrumentation. Options: <c>DryWet:Mlflow</c> (<see cref="MlflowClientOptions"/>).
/// </summary>
public static class MlflowClientExtensions
{
    public const string DefaultConnectionName = PlatformNames.Mlflow;

    public static IHostApplicationBuilder AddMlflowClient(this IHostApplicationBuilder builder, string connectionName = DefaultConnectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName);
        var connection = string.IsNullOrWhiteSpace(connectionString)
            ? new MlflowConnection(new Uri($"http://{connectionName}/"), null, null)
            : MlflowConnectionString.Read(connectionString);
        if (connection.Username is null && builder.Configuration["MLFLOW_TRACKING_USERNAME"] is { Length: > 0 } user)
        {
            var password = builder.Configuration["MLFLOW_TRACKING_PASSWORD"] is { Length: > 0 } given
                ? given
                : throw new DryWetException("MLFLOW_TRACKING_USERNAME is set but MLFLOW_TRACKING_PASSWORD is not; set both or neither.");
            connection = connection with { Username = user, Password = password };
        }

        var baseAddress = connection.Endpoint;

        builder.Services.AddBoundOptions<MlflowClientOptions>(builder.Configuration, MlflowClientOptions.SectionName);
#pragma warning disable EXTEXP0001 // Replace the default standard handler: it would retry non-idempotent POSTs and time out artifact uploads at 10 s.
        builder.Services.AddHttpClient<MlflowClient>(client =>
            {
                client.BaseAddress = baseAddress;
                client.DefaultRequestHeaders.Authorization = connection.Authorization;
                client.Timeout = Timeout.InfiniteTimeSpan; // the pipeline's attempt timeout governs
            })
            .RemoveAllResilienceHandlers()
#pragma warning restore EXTEXP0001
            .AddResilienceHandler("mlflow", (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<IOptions<MlflowClientOptions>>().Value;
                var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger("DryWet.Mlflow.Retry");
                if (options.MaxRetryAttempts <= 0)
                {
                    pipeline.AddTimeout(options.AttemptTimeout);
                    return;
                }

                pipeline.AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = options.MaxRetryAttempts,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = options.RetryDelay,
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context.GetRequestMessage(), args.Outcome)),
                    OnRetry = args =>
                    {
                        var request = args.Context.GetRequestMessage();
                        logger.LogWarning("MLflow {Method} {Path} failed ({Reason}); retry {Attempt} of {Max} in {Delay} ms",
                            request?.Method, request?.RequestUri?.AbsolutePath,
                            args.Outcome.Exception?.Message ?? $"HTTP {(int?)args.Outcome.Result?.StatusCode}",
                            args.AttemptNumber + 1, options.MaxRetryAttempts, (int)args.RetryDelay.TotalMilliseconds);
                        return default;
                    },
                });
                pipeline.AddTimeout(options.AttemptTimeout);
            });
        return builder;
    }

    private static bool ShouldRetry(HttpRequestMessage? request, Outcome<HttpResponseMessage> outcome) =>
        outcome.Exception is TimeoutRejectedException
            ? MlflowRetryPolicy.IsRetrySafe(request)
            : MlflowRetryPolicy.ShouldRetry(request, outcome.Result, outcome.Exception);
}
