using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using DryWet.Serving.Inference;
using DryWet.Serving.Shadow;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Apis;

/// <summary><c>GET /</c>, <c>GET /model/info</c>, <c>POST /model/reload</c>: the original's model endpoints.</summary>
public static class ModelApi
{
    public static IEndpointRouteBuilder MapModelApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", GetStatus).WithName("HealthCheck").WithSummary("Health Check (the original's status answer; always 200)");

        var model = app.MapGroup("/model").WithTags("Model");
        model.MapGet("/info", GetInfo).WithName("ModelInfo").WithSummary("Metadata of the model being served");
        model.MapPost("/reload", ReloadAsync).WithName("ReloadModel")
            .WithSummary("Load the source's current model; the old one serves until the new one passed a smoke test")
            .DisableAntiforgery();
        return app;
    }

    internal static Ok<StatusResponse> GetStatus(ModelHost host, IOptions<ModelOptions> modelOptions, ImageVersion imageVersion)
    {
        var model = host.Current;
        return TypedResults.Ok(new StatusResponse("ok", model is not null, model?.Descriptor.Version,
            model?.Descriptor.Stage ?? modelOptions.Value.Stage, imageVersion.Value, model?.Descriptor.Name,
            model is null ? host.UnavailableReason : null));
    }

    internal static Results<Ok<ModelInfoResponse>, NotFound<ErrorResponse>> GetInfo(ModelHost host, ShadowHost shadows)
    {
        if (host.Current is not { } model)
        {
            return TypedResults.NotFound(new ErrorResponse("No model loaded"));
        }

        var d = model.Descriptor;
        return TypedResults.Ok(new ModelInfoResponse(d.Name, d.Version, d.Stage, d.Description, d.CreationTimestamp, d.LastUpdatedTimestamp,
            model.ExecutionProvider, model.InputName, model.OutputName, model.Preprocessor.Options.Width, model.Preprocessor.Options.Height,
            model.Labels, model.MaxBatchSize, d.Source, model.LoadedAt,
            shadows.Current is { } shadow ? new ShadowInfo(shadow.Descriptor.Version, shadow.LoadedAt) : null));
    }

    internal static async Task<Results<Ok<ReloadSucceededResponse>, JsonHttpResult<ReloadFailedResponse>, JsonHttpResult<ErrorResponse>>>
        ReloadAsync(HttpContext context, ModelHost host, ShadowHost shadows, IOptions<ServingOptions> options, IHostApplicationLifetime lifetime)
    {
        var adminKey = options.Value.AdminApiKey;
        if (string.IsNullOrEmpty(adminKey))
        {
            if (!IsLocalCaller(context))
            {
                return TypedResults.Json(new ErrorResponse("Without an admin key, reloading the model is accepted from loopback only. " +
                    "Set Serving:AdminApiKey (env Serving__AdminApiKey, from a secret) and send 'Authorization: Bearer <key>'."),
                    statusCode: StatusCodes.Status403Forbidden);
            }
        }
        else if (!HasKey(context.Request, adminKey))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Json(new ErrorResponse("Reloading the model requires the admin key: send 'Authorization: Bearer <Serving:AdminApiKey>'."),
                statusCode: StatusCodes.Status401Unauthorized);
        }

        // Not the request's token: a client that gives up must not abort a reload half-way.
        var result = await host.ReloadAsync(lifetime.ApplicationStopping);
        // The shadow follows the challenger alias on the same call (it never changes the answer below).
        await shadows.RefreshAsync(lifetime.ApplicationStopping);
        if (result.Succeeded && result.Serving is { } model)
        {
            return TypedResults.Ok(new ReloadSucceededResponse("Model reloaded successfully", model.Descriptor.Version, "success",
                model.Descriptor.Name, result.PreviousVersion));
        }

        return TypedResults.Json(new ReloadFailedResponse("Failed to reload model", "error", result.Error ?? "unknown", result.Serving?.Descriptor.Version),
            statusCode: StatusCodes.Status500InternalServerError);
    }

    /// <summary>
    /// A caller on this machine: both ends of the connection on loopback (a mesh sidecar connects to the pod IP, so it
    /// does not count) and no proxy header saying the request came from elsewhere.
    /// </summary>
    internal static bool IsLocalCaller(HttpContext context)
    {
        var connection = context.Connection;
        return connection.RemoteIpAddress is { } remote && System.Net.IPAddress.IsLoopback(remote)
            && connection.LocalIpAddress is { } local && System.Net.IPAddress.IsLoopback(local)
            && !context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("Forwarded");
    }

    private static bool HasKey(HttpRequest request, string adminKey)
    {
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization.ToString(), out var header)
            || !header.Scheme.Equals("Bearer", StringComparison.OrdinalIgnoreCase) || header.Parameter is null)
        {
            return false;
        }

        // Compare hashes: constant time whatever the lengths.
        return CryptographicOperations.FixedTimeEquals(
            SHA256.HashData(Encoding.UTF8.GetBytes(header.Parameter)), SHA256.HashData(Encoding.UTF8.GetBytes(adminKey)));
    }
}

/// <summary>The serving image's version: <c>Serving:ImageVersion</c>, else <c>version.txt</c> beside the app, else "unknown".</summary>
public sealed record ImageVersion(string Value)
{
    public static ImageVersion Resolve(ServingOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.ImageVersion))
        {
            return new ImageVersion(options.ImageVersion.Trim());
        }

        var file = Path.Combine(AppContext.BaseDirectory, "version.txt");
        return new ImageVersion(File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } text ? text : "unknown");
    }
}
