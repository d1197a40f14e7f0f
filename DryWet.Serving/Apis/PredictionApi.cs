using System.Diagnostics;
using DryWet.Serving.Admission;
using DryWet.Serving.Inference;
using DryWet.Serving.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Apis;

/// <summary><c>POST /predict</c>: multipart field <c>file</c> → dry/wet with probabilities.</summary>
public static class PredictionApi
{
    public const string FileField = ImageUploadReader.FileField;
    internal const string NoModelError = "Model is not loaded, cannot perform prediction.";

    public static IEndpointRouteBuilder MapPredictionApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/predict", PredictAsync)
            .WithName("Predict")
            .WithSummary("Classify a road image as dry or wet")
            .WithDescription("multipart/form-data with the image (JPEG, PNG, WebP, BMP, GIF) in the field 'file'.")
            .Accepts<IFormFile>("multipart/form-data")
            .DisableAntiforgery();
        return app;
    }

    internal sealed record PredictionServices(ModelHost Host, PredictionPipeline Pipeline, ServingTelemetry Telemetry, IOptions<ServingOptions> Options,
        ILogger<PredictionServices> Logger);

    internal static async Task<Results<Ok<PredictionResponse>, JsonHttpResult<ErrorResponse>, JsonHttpResult<ModelUnavailableResponse>, JsonHttpResult<PredictionFailedResponse>>>
        PredictAsync(HttpContext context, [AsParameters] PredictionServices services, CancellationToken cancellationToken)
    {
        if (services.Host.Current?.Saturated() is { } busy)
        {
            return ServerBusy.Result(context, busy, services.Telemetry); // before the body is read: shedding costs nothing
        }

        var (upload, fileName, error) = await ImageUploadReader.ReadAsync(context, services.Options.Value.MaxRequestBodyBytes, cancellationToken);
        if (error is not null)
        {
            return error.ToResult(services.Telemetry);
        }

        using var image = upload!;
        using var lease = services.Host.TryAcquire();
        if (lease is null)
        {
            return ModelUnavailable(context, services.Host);
        }

        try
        {
            var prediction = (await services.Pipeline.ClassifyImagesAsync(lease.Model, [image.Memory], cancellationToken))[0];
            return TypedResults.Ok(new PredictionResponse(prediction.Label, prediction.ByLabel(), lease.Model.Descriptor.Version, lease.Model.Descriptor.Name));
        }
        catch (InvalidBatchImageException ex)
        {
            return ClientError.FromImage(ex.Image).ToResult(services.Telemetry);
        }
        catch (ServerBusyException ex)
        {
            return ServerBusy.Result(context, ex, services.Telemetry);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            services.Logger.LogError(ex, "Prediction failed for '{File}' ({Bytes} bytes)", fileName, image.Length);
            return PredictionFailed(context);
        }
    }

    /// <summary>503 while no model is loaded; <c>Retry-After</c> as for every 503 (the startup service retries the load).</summary>
    internal static JsonHttpResult<ModelUnavailableResponse> ModelUnavailable(HttpContext context, ModelHost host)
    {
        context.Response.Headers.RetryAfter = ModelRetryAfterSeconds;
        return TypedResults.Json(new ModelUnavailableResponse(NoModelError, host.UnavailableReason), statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    internal const string ModelRetryAfterSeconds = "5";

    /// <summary>The original's 500 shape, without the exception's text: that stays in the log, found by the trace id.</summary>
    internal static JsonHttpResult<PredictionFailedResponse> PredictionFailed(HttpContext context) =>
        TypedResults.Json(new PredictionFailedResponse("An error occurred during prediction.", "InternalError",
            $"See the server log for trace id {Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier}."),
            statusCode: StatusCodes.Status500InternalServerError);
}
