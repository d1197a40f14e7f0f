using System.Text.Json;
using System.Text.Json.Nodes;

namespace DryWet.Tests.Pipelines;

/// <summary>
/// A strict check of a PipelineSpec / PlatformSpec JSON tree against the fields of
/// <c>api/v2alpha1/pipeline_spec.proto</c> and <c>kubernetes_platform/proto/kubernetes_executor_config.proto</c>
/// (KFP 2.14), with protojson's rules: unknown fields are errors, strings must be strings, bools bools, int64 a number
/// or a numeric string, enums their names. Only the messages a container pipeline uses are described; anything else
/// is reported as unknown, which errs on the strict side. Checked against the real compiler outputs in Reference/.
/// </summary>
internal static class KfpSpecValidator
{
    private abstract record Field;
    private sealed record Str : Field;
    private sealed record Bool : Field;
    private sealed record Int64 : Field;
    private sealed record AnyValue : Field;
    private sealed record Enum(params string[] Names) : Field;
    private sealed record Msg(string Name, Func<Dictionary<string, Field>> Fields) : Field;
    private sealed record MapOf(Field Value) : Field;
    private sealed record ListOf(Field Item) : Field;

    private static readonly Str S = new();
    private static readonly Bool B = new();
    private static readonly Int64 I = new();

    private static readonly Enum ParameterType = new("PARAMETER_TYPE_ENUM_UNSPECIFIED", "NUMBER_DOUBLE", "NUMBER_INTEGER",
        "STRING", "BOOLEAN", "LIST", "STRUCT", "TASK_FINAL_STATUS", "TASK_CONFIG");

    private static readonly Msg ArtifactType = new("ArtifactTypeSchema", () => new()
    {
        ["schemaTitle"] = S, ["schemaUri"] = S, ["instanceSchema"] = S, ["schemaVersion"] = S,
    });

    private static readonly Msg ArtifactSpec = new("ArtifactSpec", () => new()
    {
        ["artifactType"] = ArtifactType, ["isArtifactList"] = B, ["isOptional"] = B, ["description"] = S,
    });

    private static readonly Msg ParameterSpec = new("ParameterSpec", () => new()
    {
        ["parameterType"] = ParameterType, ["defaultValue"] = new AnyValue(), ["isOptional"] = B, ["description"] = S,
    });

    private static readonly Msg IoSpec = new("ComponentInputsSpec", () => new()
    {
        ["artifacts"] = new MapOf(ArtifactSpec), ["parameters"] = new MapOf(ParameterSpec),
    });

    private static readonly Msg InputParameter = new("InputParameterSpec", () => new()
    {
        ["componentInputParameter"] = S,
        ["runtimeValue"] = new Msg("ValueOrRuntimeParameter", () => new() { ["constant"] = new AnyValue() }),
        ["taskOutputParameter"] = new Msg("TaskOutputParameterSpec", () => new() { ["producerTask"] = S, ["outputParameterKey"] = S }),
        ["taskFinalStatus"] = new Msg("TaskFinalStatus", () => new() { ["producerTask"] = S }),
        ["parameterExpressionSelector"] = S,
    });

    private static readonly Msg InputArtifact = new("InputArtifactSpec", () => new()
    {
        ["componentInputArtifact"] = S,
        ["taskOutputArtifact"] = new Msg("TaskOutputArtifactSpec", () => new() { ["producerTask"] = S, ["outputArtifactKey"] = S }),
    });

    private static readonly Msg Task = new("PipelineTaskSpec", () => new()
    {
        ["taskInfo"] = new Msg("PipelineTaskInfo", () => new() { ["name"] = S }),
        ["inputs"] = new Msg("TaskInputsSpec", () => new() { ["parameters"] = new MapOf(InputParameter), ["artifacts"] = new MapOf(InputArtifact) }),
        ["dependentTasks"] = new ListOf(S),
        ["cachingOptions"] = new Msg("CachingOptions", () => new() { ["enableCache"] = B, ["cacheKey"] = S }),
        ["componentRef"] = new Msg("ComponentRef", () => new() { ["name"] = S }),
        // ParallelFor: iterator (oneof parameterIterator | artifactIterator) and its policy.
        ["iteratorPolicy"] = new Msg("IteratorPolicy", () => new() { ["parallelismLimit"] = I }),
        ["parameterIterator"] = new Msg("ParameterIteratorSpec", () => new()
        {
            ["items"] = new Msg("ItemsSpec", () => new() { ["raw"] = S, ["inputParameter"] = S }),
            ["itemInput"] = S,
        }),
        ["artifactIterator"] = new Msg("ArtifactIteratorSpec", () => new()
        {
            ["items"] = new Msg("ItemsSpec", () => new() { ["inputArtifact"] = S }),
            ["itemInput"] = S,
        }),
    });

    private static readonly Msg DagOutputs = new("DagOutputsSpec", () => new()
    {
        ["parameters"] = new MapOf(new Msg("DagOutputParameterSpec", () => new()
        {
            ["valueFromParameter"] = new Msg("ParameterSelectorSpec", () => new() { ["producerSubtask"] = S, ["outputParameterKey"] = S }),
        })),
        ["artifacts"] = new MapOf(new Msg("DagOutputArtifactSpec", () => new()
        {
            ["artifactSelectors"] = new ListOf(new Msg("ArtifactSelectorSpec", () => new() { ["producerSubtask"] = S, ["outputArtifactKey"] = S })),
        })),
    });

    private static readonly Msg Component = new("ComponentSpec", () => new()
    {
        ["inputDefinitions"] = IoSpec,
        ["outputDefinitions"] = IoSpec,
        ["executorLabel"] = S,
        ["dag"] = new Msg("DagSpec", () => new() { ["tasks"] = new MapOf(Task), ["outputs"] = DagOutputs }),
    });

    private static readonly Msg Container = new("PipelineContainerSpec", () => new()
    {
        ["image"] = S,
        ["command"] = new ListOf(S),
        ["args"] = new ListOf(S),
        ["env"] = new ListOf(new Msg("EnvVar", () => new() { ["name"] = S, ["value"] = S })),
        ["resources"] = new Msg("ResourceSpec", () => new()
        {
            ["resourceCpuLimit"] = S, ["resourceMemoryLimit"] = S, ["resourceCpuRequest"] = S, ["resourceMemoryRequest"] = S,
            ["accelerator"] = new Msg("AcceleratorConfig", () => new() { ["type"] = S, ["count"] = I, ["resourceType"] = S, ["resourceCount"] = S }),
        }),
    });

    public static readonly Func<JsonNode?, IReadOnlyList<string>> PipelineSpec = node => Validate(node, new Msg("PipelineSpec", () => new()
    {
        ["pipelineInfo"] = new Msg("PipelineInfo", () => new() { ["name"] = S, ["displayName"] = S, ["description"] = S }),
        ["deploymentSpec"] = new Msg("PipelineDeploymentConfig", () => new()
        {
            ["executors"] = new MapOf(new Msg("ExecutorSpec", () => new() { ["container"] = Container })),
        }),
        ["sdkVersion"] = S,
        ["schemaVersion"] = S,
        ["components"] = new MapOf(Component),
        ["root"] = Component,
        ["defaultPipelineRoot"] = S,
    }));

    public static readonly Func<JsonNode?, IReadOnlyList<string>> PlatformSpec = node => Validate(node, new Msg("PlatformSpec", () => new()
    {
        ["platforms"] = new MapOf(new Msg("SinglePlatformSpec", () => new()
        {
            ["deploymentSpec"] = new Msg("PlatformDeploymentConfig", () => new()
            {
                ["executors"] = new MapOf(new Msg("KubernetesExecutorConfig", () => new()
                {
                    ["imagePullPolicy"] = S,
                    ["secretAsEnv"] = new ListOf(new Msg("SecretAsEnv", () => new()
                    {
                        ["secretName"] = S,
                        ["keyToEnv"] = new ListOf(new Msg("SecretKeyToEnvMap", () => new() { ["secretKey"] = S, ["envVar"] = S })),
                        ["optional"] = B,
                        ["secretNameParameter"] = InputParameter,
                    })),
                    ["tolerations"] = new ListOf(new Msg("Toleration", () => new()
                    {
                        ["key"] = S, ["operator"] = S, ["value"] = S, ["effect"] = S, ["tolerationSeconds"] = I,
                    })),
                    ["nodeSelector"] = new Msg("NodeSelector", () => new() { ["labels"] = new MapOf(S) }),
                    ["emptyDirMounts"] = new ListOf(new Msg("EmptyDirMount", () => new()
                    {
                        ["volumeName"] = S, ["mountPath"] = S, ["medium"] = S, ["sizeLimit"] = S,
                    })),
                })),
            }),
        })),
    }));

    private static List<string> Validate(JsonNode? node, Field field)
    {
        var errors = new List<string>();
        Check(node, field, "$", errors);
        return errors;
    }

    private static void Check(JsonNode? node, Field field, string path, List<string> errors)
    {
        var kind = node?.GetValueKind() ?? JsonValueKind.Null;
        switch (field)
        {
            case AnyValue:
                return;
            case Str when kind != JsonValueKind.String:
                errors.Add($"{path}: expected a string, got {kind}");
                return;
            case Bool when kind is not (JsonValueKind.True or JsonValueKind.False):
                errors.Add($"{path}: expected a bool, got {kind}");
                return;
            case Int64 when kind == JsonValueKind.Number:
                return;
            case Int64 when kind == JsonValueKind.String && long.TryParse(node!.GetValue<string>(), out _):
                return;
            case Int64:
                errors.Add($"{path}: expected an int64, got {kind}");
                return;
            case Enum e when kind != JsonValueKind.String || !e.Names.Contains(node!.GetValue<string>()):
                errors.Add($"{path}: '{node?.ToJsonString()}' is not one of {string.Join(", ", e.Names)}");
                return;
            case MapOf map when node is JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    Check(value, map.Value, $"{path}.{key}", errors);
                }

                return;
            case ListOf list when node is JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], list.Item, $"{path}[{i}]", errors);
                }

                return;
            case Msg msg when node is JsonObject obj:
                var fields = msg.Fields();
                foreach (var (key, value) in obj)
                {
                    if (fields.TryGetValue(key, out var inner))
                    {
                        Check(value, inner, $"{path}.{key}", errors);
                    }
                    else
                    {
                        errors.Add($"{path}: unknown field '{key}' in {msg.Name}");
                    }
                }

                return;
            case MapOf or Msg:
                errors.Add($"{path}: expected an object, got {kind}");
                return;
            case ListOf:
                errors.Add($"{path}: expected a list, got {kind}");
                return;
        }
    }
}
