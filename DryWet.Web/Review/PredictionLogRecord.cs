using System.Text.Json;
using System.Text.Json.Serialization;

namespace DryWet.Web.Review;

/// <summary>
/// One logged prediction, <c>ml-feedback/predictions/&lt;yyyy-MM-dd&gt;/&lt;id&gt;.json</c> beside its image
/// <c>&lt;id&gt;.&lt;ext&gt;</c>. snake_case like serving's wire contracts; serving's prediction log writes this shape.
/// </summary>
public sealed record PredictionLogRecord(
    string Id,
    DateTimeOffset Time,
    string ModelName,
    string ModelVersion,
    string Prediction,
    IReadOnlyDictionary<string, float> Probabilities,
    string ContentType,
    long Size,
    string? TraceId)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Probability of the predicted class: the model's confidence.</summary>
    [JsonIgnore]
    public float Confidence => Probabilities.TryGetValue(Prediction, out var p) ? p : Probabilities.Values.DefaultIfEmpty(0).Max();
}
