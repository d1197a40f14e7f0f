using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace DryWet.Core.Tracking.Mlflow;

/// <summary>
/// Turns a package's <c>MLmodel</c> YAML into the <c>model_json</c> that runs/log-model records, with the fields MLflow
/// requires (<c>artifact_path</c>, <c>flavors</c>, <c>utc_time_created</c>, <c>run_id</c>) set for this run.
/// </summary>
public static class MlmodelJson
{
    public static string FromMlmodel(string mlmodelPath, string runId, string artifactPath)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(mlmodelPath))
        {
            stream.Load(reader);
        }

        if (stream.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root || ToJson(root) is not JsonObject json)
        {
            throw new DryWetException($"{mlmodelPath} is not a YAML mapping; cannot log it as an MLflow model.");
        }

        if (json["flavors"] is not JsonObject)
        {
            throw new DryWetException($"{mlmodelPath} has no 'flavors'; MLflow requires them to list a model.");
        }

        json["run_id"] = runId;
        json["artifact_path"] = artifactPath;
        json["utc_time_created"] ??= DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture);
        return json.ToJsonString();
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv =>
            KeyValuePair.Create(((YamlScalarNode)kv.Key).Value ?? "", ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    private static JsonNode? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value;
        if (scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            return JsonValue.Create(value);
        }

        // Plain YAML scalars carry their type (YAML 1.1 core schema, as PyYAML reads them).
        return value switch
        {
            null or "" or "null" or "~" => null,
            "true" or "True" => JsonValue.Create(true),
            "false" or "False" => JsonValue.Create(false),
            _ when long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
            _ when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && value.Any(char.IsDigit) => JsonValue.Create(d),
            _ => JsonValue.Create(value),
        };
    }
}
