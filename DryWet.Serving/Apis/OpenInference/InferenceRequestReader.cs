using System.Text.Json;
using DryWet.Serving.Inference;

namespace DryWet.Serving.Apis.OpenInference;

/// <summary>
/// Reads an OIP v2 infer body — JSON, or JSON followed by binary tensors (Triton's binary tensor data extension:
/// <c>Inference-Header-Content-Length</c> gives the JSON's length, each binary input its <c>binary_data_size</c>) —
/// and validates it against the served model. Every fault is a <see cref="ClientError"/> naming the field and value.
/// The body is read into one <see cref="PooledBody"/> (as <c>/predict</c>'s image), bounded by Serving:MaxRequestBodyBytes
/// with or without a Content-Length.
/// </summary>
internal static class InferenceRequestReader
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";
    public const int MaxImages = 64;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>
    /// The validated batch and the body it was read from (binary inputs are slices of it): the caller disposes the body
    /// once the batch is classified. On a refusal nothing is held.
    /// </summary>
    public static async Task<(InferenceBatch? Batch, PooledBody? Body, ClientError? Error)> ReadAsync(HttpContext context, LoadedModel model,
        ServingOptions options, CancellationToken cancellationToken)
    {
        var limit = options.MaxRequestBodyBytes;
        if (Refusal(context, limit) is { } refused)
        {
            return (null, null, refused);
        }

        PooledBody? body;
        try
        {
            body = await PooledBody.ReadAsync(context.Request.Body, context.Request.ContentLength, limit, cancellationToken);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            return (null, null, ClientError.Malformed($"The request body could not be read: {ex.Message}"));
        }

        if (body is null)
        {
            return (null, null, ClientError.BodyTooLarge(limit)); // a chunked body, found over the limit while reading
        }

        var (batch, error) = Parse(context.Request, body.Memory, model, options);
        if (error is not null)
        {
            body.Dispose();
            return (null, null, error);
        }

        return (batch, body, null);
    }

    internal static ClientError Bad(string message) => new(StatusCodes.Status400BadRequest, "bad_tensor", message);

    /// <summary>The refusals before any byte is read: 415 a media type other than JSON or binary tensors, 413 a Content-Length over the limit.</summary>
    private static ClientError? Refusal(HttpContext context, long limit)
    {
        var request = context.Request;
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        var binary = request.Headers.ContainsKey(HeaderLengthHeader);
        if (!(mediaType == "application/json" || (binary && mediaType == "application/octet-stream")))
        {
            return ClientError.UnsupportedMediaType(request.ContentType,
                $"application/json (an OIP v2 inference request), or application/octet-stream with {HeaderLengthHeader} (binary tensors)");
        }

        ImageUploadReader.AllowDrainingOversizedBodies(context, limit);
        return request.ContentLength > limit ? ClientError.BodyTooLarge(limit, request.ContentLength) : null;
    }

    /// <summary>The JSON header (all of the body, or <c>Inference-Header-Content-Length</c> bytes of it), then the binary tensors.</summary>
    private static (InferenceBatch? Batch, ClientError? Error) Parse(HttpRequest http, ReadOnlyMemory<byte> body, LoadedModel model, ServingOptions options)
    {
        var (headerLength, headerError) = HeaderLength(http, body.Length);
        if (headerError is not null)
        {
            return (null, headerError);
        }

        InferenceRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<InferenceRequest>(body.Span[..headerLength], Json);
        }
        catch (JsonException ex)
        {
            // Also a field of the wrong JSON type ("shape": "abc"): the serializer's message names the path.
            return (null, Bad($"The inference request is not valid JSON or not an OIP $inference_request ({ex.Message})."));
        }

        if (request?.Inputs is not { Count: 1 } inputs)
        {
            return (null, Bad($"Send exactly one input (FP32 '{model.InputName}' [N, 3, {model.Preprocessor.Options.Height}, {model.Preprocessor.Options.Width}] or BYTES [N] encoded images); got {request?.Inputs?.Count ?? 0}."));
        }

        var (outputs, outputError) = Outputs(request);
        if (outputError is not null)
        {
            return (null, outputError);
        }

        var binary = new BinarySection(body[headerLength..]);
        var input = inputs[0];
        var (batch, inputError) = input.Datatype switch
        {
            "BYTES" => TensorReader.Images(input, binary, InputSpec.Of(model, options.MaxTensorElements)),
            "FP32" => TensorReader.Preprocessed(input, binary, InputSpec.Of(model, options.MaxTensorElements)),
            _ => (null, Bad($"Input '{input.Name}' has datatype '{input.Datatype ?? "(none)"}'; use FP32 (preprocessed [N, 3, H, W]) or BYTES (encoded images [N]).")),
        };
        if (inputError is not null)
        {
            return (null, inputError);
        }

        if (binary.Remaining > 0)
        {
            return (null, Bad($"The body has {binary.Remaining} bytes after the JSON that no input's binary_data_size accounts for."));
        }

        return (batch! with { Id = request.Id, Outputs = outputs! }, null);
    }

    private static (int Length, ClientError? Error) HeaderLength(HttpRequest request, int bodyLength)
    {
        if (!request.Headers.TryGetValue(HeaderLengthHeader, out var values))
        {
            return (bodyLength, null);
        }

        var text = values.ToString();
        return int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var length) && length <= bodyLength
            ? (length, null)
            : (0, Bad($"{HeaderLengthHeader} = '{text}' must be the JSON header's length in bytes, between 0 and the body's {bodyLength} bytes."));
    }

    private static (IReadOnlyList<OutputRequest>? Outputs, ClientError? Error) Outputs(InferenceRequest request)
    {
        var (allBinary, error) = Flag(request.Parameters, "binary_data_output", "the request");
        if (error is not null)
        {
            return (null, error);
        }

        if (request.Outputs is not { Count: > 0 } requested)
        {
            return (InferenceOutputs.All.Select(name => new OutputRequest(name, allBinary ?? false)).ToList(), null);
        }

        var outputs = new List<OutputRequest>();
        foreach (var output in requested)
        {
            if (output.Name is not { } name || !InferenceOutputs.All.Contains(name))
            {
                return (null, Bad($"Output '{output.Name ?? "(none)"}' does not exist; this model answers '{InferenceOutputs.Probabilities}' (FP32 [N, classes]) and '{InferenceOutputs.Label}' (BYTES [N])."));
            }

            var (binary, flagError) = Flag(output.Parameters, "binary_data", $"output '{name}'");
            if (flagError is not null)
            {
                return (null, flagError);
            }

            outputs.Add(new OutputRequest(name, binary ?? allBinary ?? false));
        }

        return (outputs, null);
    }

    private static (bool? Value, ClientError? Error) Flag(Dictionary<string, JsonElement>? parameters, string key, string where) =>
        parameters is null || !parameters.TryGetValue(key, out var value) ? (null, null)
        : value.ValueKind is JsonValueKind.True or JsonValueKind.False ? (value.GetBoolean(), null)
        : (null, Bad($"Parameter '{key}' of {where} must be true or false; got {value.GetRawText()}."));
}
