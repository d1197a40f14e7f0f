using System.Text.Json;
using System.Text.Json.Serialization;

namespace DryWet.Core.Feedback;

/// <summary>
/// One logged prediction, <c>ml-feedback/predictions/&lt;yyyy-MM-dd&gt;/&lt;id&gt;.json</c> beside its image
/// <c>&lt;id&gt;.&lt;ext&gt;</c> (<see cref="PredictionLogLayout"/>). snake_case like serving's wire contracts: serving's
/// prediction log writes this type and the web's review page reads it, so the two cannot drift apart.
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
    string? TraceId,
    ShadowAnswer? Shadow = null)
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
