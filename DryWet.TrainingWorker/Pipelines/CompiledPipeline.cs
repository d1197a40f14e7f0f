using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// A compiled pipeline: the PipelineSpec (first YAML document) and the Kubernetes PlatformSpec (second document),
/// kept as JSON trees with the proto's camelCase names so the same tree is written as YAML and sent to the API.
/// </summary>
public sealed class CompiledPipeline(JsonObject pipelineSpec, JsonObject platformSpec, TrainingPipelineSettings settings)
{
    public JsonObject PipelineSpec { get; } = pipelineSpec;
    public JsonObject PlatformSpec { get; } = platformSpec;
    public TrainingPipelineSettings Settings { get; } = settings;

    /// <summary>pipelineInfo.name: the training pipeline, or the sweep pipeline.</summary>
    public string Name => PipelineSpec["pipelineInfo"]!["name"]!.GetValue<string>();

    /// <summary>
    /// The run's <c>pipeline_spec</c> field: with a platform spec the API server expects
    /// <c>{"pipeline_spec": {...}, "platform_spec": {...}}</c> (api_util.go pipelineSpecStructToYamlString).
    /// </summary>
    public JsonObject ToRunPipelineSpec() => new()
    {
        ["pipeline_spec"] = PipelineSpec.DeepClone(),
        ["platform_spec"] = PlatformSpec.DeepClone(),
    };

    /// <summary>The two-document YAML the KFP compiler would write, with its header comment.</summary>
    public string ToYaml()
    {
        var text = new StringBuilder();
        text.Append("# PIPELINE DEFINITION\n");
        text.Append("# Name: ").Append(Name).Append('\n');
        text.Append("# Description: ").Append(PipelineSpec["pipelineInfo"]!["description"]!.GetValue<string>()).Append('\n');
        text.Append("# Inputs:\n");
        foreach (var (name, value) in Settings.RunParameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append("#    ").Append(name).Append(": str [Default: '").Append(value).Append("']\n");
        }

        text.Append(EmitDocument(PipelineSpec));
        text.Append("---\n");
        text.Append(EmitDocument(PlatformSpec));
        return text.ToString();
    }

    /// <summary>Writes the YAML to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public void WriteYaml(string path)
    {
        var full = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, ToYaml(), new UTF8Encoding(false));
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static string EmitDocument(JsonObject document)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false,
            maxSimpleKeyLength: 1024, skipAnchorName: false, indentSequences: false));
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart(null, null, isImplicit: true));
        EmitNode(emitter, document);
        emitter.Emit(new DocumentEnd(isImplicit: true));
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    // Keys sorted as the compiler sorts them (json_format + yaml.dump(sort_keys=True)).
    private static void EmitNode(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count == 0:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Flow));
                emitter.Emit(new MappingEnd());
                break;
            case JsonObject obj:
                emitter.Emit(new MappingStart(null, null, isImplicit: true, MappingStyle.Block));
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    EmitString(emitter, key);
                    EmitNode(emitter, value);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, isImplicit: true, SequenceStyle.Block));
                foreach (var item in array)
                {
                    EmitNode(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            case JsonValue value when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                emitter.Emit(new Scalar(null, null, value.GetValue<bool>() ? "true" : "false", ScalarStyle.Plain, true, false));
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                emitter.Emit(new Scalar(null, null, value.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
            default:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
        }
    }

    /// <summary>
    /// Strings that a YAML reader would take for a number, bool or null (e.g. a GPU count '1') are single-quoted so
    /// they stay strings: protojson rejects a number where the proto has a string field.
    /// </summary>
    private static void EmitString(IEmitter emitter, string value)
    {
        // Placeholders single-quoted as the compiler writes them ('{{$.inputs.parameters[''x'']}}').
        var style = LooksLikeNonString(value) || value.StartsWith("{{", StringComparison.Ordinal) ? ScalarStyle.SingleQuoted : ScalarStyle.Any;
        emitter.Emit(new Scalar(null, null, value, style, isPlainImplicit: true, isQuotedImplicit: true));
    }

    private static bool LooksLikeNonString(string value) =>
        value.Length == 0
        || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
        || value is "true" or "false" or "True" or "False" or "TRUE" or "FALSE" or "yes" or "no" or "Yes" or "No"
            or "on" or "off" or "On" or "Off" or "y" or "n" or "null" or "Null" or "NULL" or "~"
        || value.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
        || value.StartsWith("0o", StringComparison.OrdinalIgnoreCase);
}
