using System.Diagnostics;
using DryWet.Core.Imaging;
using DryWet.Core.Platform;
using DryWet.Serving.Admission;
using DryWet.Serving.Apis.OpenInference;
using DryWet.Serving.Inference;
using DryWet.Serving.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace DryWet.Serving.Apis;

/// <summary>
/// The Open Inference Protocol v2 (KServe/Triton) REST API: health, server and model metadata, and inference —
/// JSON or with Triton's binary tensor data extension — through the same data plane as <c>POST /predict</c>
/// (<see cref="PredictionPipeline"/>: decode limits, metrics, prediction log, shadow). Errors are <c>{"error": "..."}</c>: 400 for a bad tensor, 404 for an unknown model or version.
/// </summary>
public static class OpenInferenceApi
{
    public static IEndpointRouteBuilder MapOpenInferenceApi(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Open Inference Protocol v2");
        v2.MapGet("/", () => TypedResults.Ok(new ServerMetadata("drywet-serving", DryWetVersion.Current, ["binary_tensor_data"])));
        v2.MapGet("/health/live", () => TypedResults.Ok());
        // OIP: 200 = true, 4xx = false.
        v2.MapGet("/health/ready", (ModelHost host) => host.Current is null ? Results.StatusCode(StatusCodes.Status400BadRequest) : Results.Ok());
        v2.MapGet("/models/{name}", (string name, ModelHost host) => GetModelMetadata(name, null, host));
        v2.MapGet("/models/{name}/versions/{version}", GetModelMetadata);
        v2.MapGet("/models/{name}/ready", (string name, ModelHost host) => IsReady(host, name, null));
        v2.MapGet("/models/{name}/versions/{version}/ready", (string name, string version, ModelHost host) => IsReady(host, name, version));
        v2.MapPost("/models/{name}/infer", (string name, HttpContext context, [AsParameters] InferenceServices services, CancellationToken ct) =>
                InferAsync(name, null, context, services, ct))
            .WithName("Infer").DescribeInference();
        v2.MapPost("/models/{name}/versions/{version}/infer", InferAsync).WithName("InferVersion").DescribeInference();
        return app;
    }

    private static RouteHandlerBuilder DescribeInference(this RouteHandlerBuilder route) => route
        .WithSummary("OIP v2 inference: FP32 [N,3,H,W] preprocessed or BYTES [N] encoded images")
        .WithDescription("JSON ($inference_request), or with Triton's binary tensor data extension: the JSON, then the binary tensors, " +
            "Inference-Header-Content-Length giving the JSON's length. Outputs 'probabilities' FP32 [N, classes] and 'label' BYTES [N].")
        .Accepts<InferenceRequest>("application/json", "application/octet-stream")
        .Produces<InferenceResponse>(StatusCodes.Status200OK, "application/json", "application/octet-stream")
        .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
        .Produces<ErrorResponse>(StatusCodes.Status404NotFound)
        .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
        .Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity)
        .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
        .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
        .DisableAntiforgery();

    internal sealed record InferenceServices(ModelHost Host, PredictionPipeline Pipeline, ServingTelemetry Telemetry, IOptions<ServingOptions> Options,
        ILogger<InferenceServices> Logger);

    internal static async Task<IResult> InferAsync(string name, string? version, HttpContext context, [AsParameters] InferenceServices services,
        CancellationToken cancellationToken)
    {
        using var lease = services.Host.TryAcquire();
        if (lease is null)
        {
            context.Response.Headers.RetryAfter = PredictionApi.ModelRetryAfterSeconds;
            return TypedResults.Json(new ErrorResponse($"{PredictionApi.NoModelError} {services.Host.UnavailableReason}"), statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        var model = lease.Model;
        if (NotServed(model, name, version) is { } notFound)
        {
            return notFound;
        }

        if (model.Saturated() is { } busy)
        {
            return ServerBusy.Result(context, busy, services.Telemetry); // before the body is read: shedding costs nothing
        }

        var (batch, body, error) = await InferenceRequestReader.ReadAsync(context, model, services.Options.Value, cancellationToken);
        if (error is not null)
        {
            return error.ToResult(services.Telemetry);
        }

        using var pooled = body; // binary inputs are slices of the pooled body: returned once they are classified
        try
        {
            var predictions = batch!.Tensor is { } tensor
                ? await services.Pipeline.ClassifyTensorsAsync(model, tensor, batch.Count, cancellationToken)
                : await services.Pipeline.ClassifyImagesAsync(model, batch.Images!, cancellationToken);
            return InferenceResponseWriter.Write(batch, predictions, model);
        }
        catch (InvalidBatchImageException ex)
        {
            return ClientError.FromImage(ex.Image, $"Image {ex.Index} of {ex.Count}").ToResult(services.Telemetry);
        }
        catch (ServerBusyException ex)
        {
            return ServerBusy.Result(context, ex, services.Telemetry);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            services.Logger.LogError(ex, "Inference failed for {Count} images", batch!.Count);
            return TypedResults.Json(new ErrorResponse($"An error occurred during inference; see the server log for trace id {Activity.Current?.TraceId.ToString() ?? context.TraceIdentifier}."),
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    internal static Results<Ok<ModelMetadata>, NotFound<ErrorResponse>> GetModelMetadata(string name, string? version, ModelHost host)
    {
        if (host.Current is not { } model || NotServed(model, name, version) is not null)
        {
            return TypedResults.NotFound(new ErrorResponse(NotServedMessage(host.Current, name, version)));
        }

        var batch = model.MaxBatchSize == 1 ? 1 : -1;
        var options = model.Preprocessor.Options;
        return TypedResults.Ok(new ModelMetadata(model.Descriptor.Name, [model.Descriptor.Version], "onnxruntime_onnx",
            [new TensorMetadata(model.InputName, "FP32", [batch, 3, options.Height, options.Width])],
            [new TensorMetadata(InferenceOutputs.Probabilities, "FP32", [batch, model.Labels.Count]), new TensorMetadata(InferenceOutputs.Label, "BYTES", [batch])]));
    }

    private static IResult IsReady(ModelHost host, string name, string? version) =>
        host.Current is { } model && NotServed(model, name, version) is null ? Results.Ok() : Results.StatusCode(StatusCodes.Status400BadRequest);

    private static JsonHttpResult<ErrorResponse>? NotServed(LoadedModel model, string name, string? version) =>
        model.Descriptor.Name == name && (version is null || version == model.Descriptor.Version)
            ? null
            : TypedResults.Json(new ErrorResponse(NotServedMessage(model, name, version)), statusCode: StatusCodes.Status404NotFound);

    private static string NotServedMessage(LoadedModel? model, string name, string? version) =>
        $"Model '{name}'{(version is null ? "" : $" version '{version}'")} is not served; serving: " +
        (model is null ? "none" : $"'{model.Descriptor.Name}' version '{model.Descriptor.Version}'") + ".";

    public sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);

    public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform,
        IReadOnlyList<TensorMetadata> Inputs, IReadOnlyList<TensorMetadata> Outputs);

    public sealed record TensorMetadata(string Name, string Datatype, IReadOnlyList<long> Shape);
}
