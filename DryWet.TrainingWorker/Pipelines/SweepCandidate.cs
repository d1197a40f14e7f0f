using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DryWet.Core;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// What one sweep train step reports (<c>train --result-file</c>, collected by KFP as the step's STRUCT output
/// <c>result</c>): its tracked run, its best validation accuracy, the logged model to register, and the overrides it
/// trained with. <c>register-best</c> reads the collected list.
/// </summary>
public sealed record SweepCandidate(string RunId, double BestValAcc, string ModelSource, IReadOnlyDictionary<string, string> Overrides)
{
    /// <summary>The run's LoggedModel (MLflow ≥ 3, embedded), registered with the version; null against MLflow 2.</summary>
    public string? ModelId { get; init; }

    public JsonObject ToJson() => new()
    {
        ["run_id"] = RunId,
        ["best_val_acc"] = BestValAcc,
        ["model_source"] = ModelSource,
        ["model_id"] = ModelId,
        ["overrides"] = new JsonObject(Overrides.Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Value))),
    };

    /// <summary>Writes the result atomically (temp file, then rename): KFP must never collect half a file.</summary>
    public void Write(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory); // KFP's output_file folder does not exist until the step makes it
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, ToJson().ToJsonString(), new UTF8Encoding(false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>
    /// Parses <c>--candidates</c>: a JSON list whose items are result objects, or JSON strings holding one (how KFP
    /// renders a collected list of STRING outputs). Every bad item is an error naming its position and the value.
    /// </summary>
    public static IReadOnlyList<SweepCandidate> ParseList(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new DryWetException($"--candidates is not JSON ({ex.Message}): '{Shorten(json)}'. Pass a list of train --result-file objects.", ex);
        }

        if (root is not JsonArray items)
        {
            throw new DryWetException($"--candidates must be a JSON list of train results, got '{Shorten(json)}'.");
        }

        if (items.Count == 0)
        {
            throw new DryWetException("--candidates is an empty list: no train step reported a result, so there is nothing to register.");
        }

        return [.. items.Select((item, i) => ParseItem(item, i))];
    }

    private static SweepCandidate ParseItem(JsonNode? item, int index)
    {
        var where = $"--candidates[{index}]";
        if (item is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            try
            {
                item = JsonNode.Parse(value.GetValue<string>());
            }
            catch (JsonException ex)
            {
                throw new DryWetException($"{where} is a string that is not a JSON result: '{Shorten(value.GetValue<string>())}'.", ex);
            }
        }

        if (item is not JsonObject result)
        {
            throw new DryWetException($"{where} is not a train result object: '{Shorten(item?.ToJsonString() ?? "null")}'.");
        }

        var runId = Text(result, "run_id", where);
        var source = Text(result, "model_source", where);
        var accuracy = result["best_val_acc"] is JsonValue acc && acc.GetValueKind() == JsonValueKind.Number ? acc.GetValue<double>() : double.NaN;
        if (!double.IsFinite(accuracy) || accuracy is < 0 or > 1)
        {
            throw new DryWetException($"{where}.best_val_acc = {result["best_val_acc"]?.ToJsonString() ?? "(missing)"}: must be a number in [0, 1].");
        }

        var overrides = new Dictionary<string, string>(StringComparer.Ordinal);
        if (result["overrides"] is JsonObject map)
        {
            foreach (var (key, node) in map)
            {
                overrides[key] = node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
                    : Convert.ToString(node?.ToJsonString(), CultureInfo.InvariantCulture) ?? "";
            }
        }

        var modelId = result["model_id"] is null ? null : Text(result, "model_id", where);
        return new SweepCandidate(runId, accuracy, source, overrides) { ModelId = modelId };
    }

    private static string Text(JsonObject result, string field, string where) =>
        result[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s ? s
            : throw new DryWetException($"{where}.{field} = {result[field]?.ToJsonString() ?? "(missing)"}: must be a non-empty string.");

    private static string Shorten(string text) => text.Length > 200 ? text[..200] + "…" : text;
}
