using DryWet.Serving.Inference;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DryWet.Serving.Apis;

/// <summary>
/// The health and metadata part of the Open Inference Protocol v2 (KServe/Triton): probes and model metadata that
/// KServe-style tooling understands. Inference itself stays on <c>POST /predict</c> (images, multipart).
/// </summary>
public static class OpenInferenceApi
{
    public static IEndpointRouteBuilder MapOpenInferenceApi(this IEndpointRouteBuilder app)
    {
        var v2 = app.MapGroup("/v2").WithTags("Open Inference Protocol v2");
        v2.MapGet("/", () => TypedResults.Ok(new ServerMetadata("drywet-serving", "1.0.0", [])));
        v2.MapGet("/health/live", () => TypedResults.Ok());
        // OIP: 200 = true, 4xx = false.
        v2.MapGet("/health/ready", (ModelHost host) => host.Current is null ? Results.StatusCode(StatusCodes.Status400BadRequest) : Results.Ok());
        v2.MapGet("/models/{name}", GetModelMetadata);
        v2.MapGet("/models/{name}/ready", (string name, ModelHost host) =>
            host.Current?.Descriptor.Name == name ? Results.Ok() : Results.StatusCode(StatusCodes.Status400BadRequest));
        return app;
    }

    internal static Results<Ok<ModelMetadata>, NotFound<ErrorResponse>> GetModelMetadata(string name, ModelHost host)
    {
        if (host.Current is not { } model || model.Descriptor.Name != name)
        {
            return TypedResults.NotFound(new ErrorResponse($"Model '{name}' is not loaded; serving: {host.Current?.Descriptor.Name ?? "none"}."));
        }

        var batch = model.MaxBatchSize == 1 ? 1 : -1;
        var options = model.Preprocessor.Options;
        return TypedResults.Ok(new ModelMetadata(model.Descriptor.Name, [model.Descriptor.Version], "onnxruntime_onnx",
            [new TensorMetadata(model.InputName, "FP32", [batch, 3, options.Height, options.Width])],
            [new TensorMetadata(model.OutputName, "FP32", [batch, model.Labels.Count])]));
    }

    public sealed record ServerMetadata(string Name, string Version, IReadOnlyList<string> Extensions);

    public sealed record ModelMetadata(string Name, IReadOnlyList<string> Versions, string Platform,
        IReadOnlyList<TensorMetadata> Inputs, IReadOnlyList<TensorMetadata> Outputs);

    public sealed record TensorMetadata(string Name, string Datatype, IReadOnlyList<long> Shape);
}
