using System.Text.Json;

namespace DryWet.Serving.Apis.OpenInference;

// Open Inference Protocol v2 REST bodies (kserve/open-inference-protocol, specification/protocol/inference_rest.md)
// with Triton's binary tensor data extension (triton-inference-server/server, docs/protocol/extension_binary_data.md).
// Field names are the spec's: single lowercase words, so the server's snake_case policy leaves them unchanged.

/// <summary><c>$inference_request</c>.</summary>
public sealed record InferenceRequest(string? Id, Dictionary<string, JsonElement>? Parameters, IReadOnlyList<RequestInput>? Inputs,
    IReadOnlyList<RequestOutput>? Outputs);

/// <summary><c>$request_input</c>: data is a flat or nested JSON array, or absent with <c>binary_data_size</c>.</summary>
public sealed record RequestInput(string? Name, IReadOnlyList<long>? Shape, string? Datatype, Dictionary<string, JsonElement>? Parameters,
    JsonElement? Data);

/// <summary><c>$request_output</c>; parameter <c>binary_data</c> asks for this output as binary.</summary>
public sealed record RequestOutput(string? Name, Dictionary<string, JsonElement>? Parameters);

/// <summary><c>$inference_response</c>.</summary>
public sealed record InferenceResponse(string ModelName, string ModelVersion, string? Id, IReadOnlyList<ResponseOutput> Outputs);

/// <summary><c>$response_output</c>: <see cref="Data"/> is null when the tensor follows the JSON as binary.</summary>
public sealed record ResponseOutput(string Name, IReadOnlyList<long> Shape, string Datatype,
    IReadOnlyDictionary<string, long>? Parameters, object? Data);
