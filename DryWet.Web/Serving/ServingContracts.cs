using System.Text.Json;

namespace DryWet.Web.Serving;

// Serving's wire contracts as this client reads them (snake_case JSON, see DryWet.Serving/Apis/ApiContracts.cs).

/// <summary><c>POST /predict</c> success.</summary>
public sealed record PredictionAnswer(string Prediction, IReadOnlyDictionary<string, float> Probabilities, string ModelVersion, string ModelName);

/// <summary><c>GET /model/info</c>.</summary>
public sealed record ServingModelInfo(
    string ModelName, string ModelVersion, string ModelStage, string ModelDescription, long CreationTimestamp,
    string ExecutionProvider, int InputWidth, int InputHeight, IReadOnlyList<string> Labels, string Source, DateTimeOffset LoadedAt);

/// <summary>Any error body serving sends: <c>{"error": "...", "reason": "..."}</c>.</summary>
internal sealed record ServingErrorBody(string? Error, string? Reason);

internal static class ServingJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
