using System.Text.Json;
using DryWet.Serving.Inference;

namespace DryWet.Serving.Apis.OpenInference;

/// <summary>
/// Reads an OIP v2 infer body — JSON, or JSON followed by binary tensors (Triton's binary tensor data extension:
/// <c>Inference-Header-Content-Length</c> gives the JSON's length, each binary input its <c>binary_data_size</c>) —
/// and validates it against the served model. Every fault is a <see cref="ClientError"/> naming the field and value.
/// </summary>
internal static class InferenceRequestReader
{
    public const string HeaderLengthHeader = "Inference-Header-Content-Length";
    public const int MaxImages = 64;
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static async Task<(InferenceBatch? Batch, ClientError? Error)> ReadAsync(HttpContext context, LoadedModel model, ServingOptions options,
        CancellationToken cancellationToken)
    {
        var (body, bodyError) = await ReadBodyAsync(context, options.MaxRequestBodyBytes, cancellationToken);
        if (bodyError is not null)
        {
            return (null, bodyError);
        }

        var (headerLength, headerError) = HeaderLength(context.Request, body!.Length);
        if (headerError is not null)
        {
            return (null, headerError);
        }

        InferenceRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<InferenceRequest>(body.AsSpan(0, headerLength), Json);
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

        var binary = new BinarySection(body.AsMemory(headerLength));
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

    internal static ClientError Bad(string message) => new(StatusCodes.Status400BadRequest, "bad_tensor", message);

    private static async Task<(byte[]? Body, ClientError? Error)> ReadBodyAsync(HttpContext context, long limit, CancellationToken cancellationToken)
    {
        var request = context.Request;
        var mediaType = request.ContentType?.Split(';')[0].Trim();
        var binary = request.Headers.ContainsKey(HeaderLengthHeader);
        if (!(mediaType == "application/json" || (binary && mediaType == "application/octet-stream")))
        {
            return (null, ClientError.UnsupportedMediaType(request.ContentType,
                $"application/json (an OIP v2 inference request), or application/octet-stream with {HeaderLengthHeader} (binary tensors)"));
        }

        ImageUploadReader.AllowDrainingOversizedBodies(context, limit);
        if (request.ContentLength > limit)
        {
            return (null, ClientError.BodyTooLarge(limit, request.ContentLength));
        }

        using var buffer = new MemoryStream(request.ContentLength is { } length ? (int)length : 0);
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            int read;
            while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > limit)
                {
                    return (null, ClientError.BodyTooLarge(limit));
                }

                buffer.Write(chunk, 0, read);
            }
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            return (null, ClientError.Malformed($"The request body could not be read: {ex.Message}"));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }

        return (buffer.ToArray(), null);
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
