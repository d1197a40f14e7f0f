using System.Text.Json;
using System.Text.Json.Serialization;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>MLflow's JSON conventions: proto field names (snake_case), int64 as numbers (accept strings too).</summary>
public static class MlflowJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };
}
