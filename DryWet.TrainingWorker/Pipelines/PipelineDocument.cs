using System.Text.Json.Nodes;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// Assembles the two IR documents from the steps and the root DAG: the PipelineSpec (components, executors,
/// pipelineInfo, root, versions) and the Kubernetes PlatformSpec (one executor config per step), and the pieces of
/// a DAG task that every pipeline shape shares.
/// </summary>
internal static class PipelineDocument
{
    public static CompiledPipeline Build(TrainingPipelineSettings settings, string name, string description,
        IReadOnlyList<PipelineStep> steps, IEnumerable<KeyValuePair<string, JsonObject>> dagComponents, JsonObject rootTasks)
    {
        var rootParameters = new JsonObject();
        foreach (var (parameter, value) in settings.RunParameters)
        {
            rootParameters[parameter] = new JsonObject
            {
                ["defaultValue"] = value,
                ["isOptional"] = true,
                ["parameterType"] = StepParameter.String,
            };
        }

        var components = new JsonObject(steps.Select(s => KeyValuePair.Create(KubeflowPipelineCompiler.ComponentName(s.Name), (JsonNode?)s.ToComponent())));
        foreach (var (componentName, component) in dagComponents)
        {
            components[componentName] = component;
        }

        var spec = new JsonObject
        {
            ["components"] = components,
            ["deploymentSpec"] = new JsonObject
            {
                ["executors"] = new JsonObject(steps.Select(s => KeyValuePair.Create(KubeflowPipelineCompiler.ExecutorLabel(s.Name), (JsonNode?)s.ToExecutor(settings)))),
            },
            ["pipelineInfo"] = new JsonObject { ["description"] = description, ["name"] = name },
            ["root"] = new JsonObject
            {
                ["dag"] = new JsonObject { ["tasks"] = rootTasks },
                ["inputDefinitions"] = new JsonObject { ["parameters"] = rootParameters },
            },
            ["schemaVersion"] = KubeflowPipelineCompiler.SchemaVersion,
            ["sdkVersion"] = KubeflowPipelineCompiler.SdkVersion,
        };

        var platform = new JsonObject
        {
            ["platforms"] = new JsonObject
            {
                ["kubernetes"] = new JsonObject
                {
                    ["deploymentSpec"] = new JsonObject
                    {
                        ["executors"] = new JsonObject(steps.Select(s => KeyValuePair.Create(KubeflowPipelineCompiler.ExecutorLabel(s.Name), (JsonNode?)s.ToKubernetesExecutor(settings)))),
                    },
                },
            },
        };

        return new CompiledPipeline(spec, platform, settings);
    }

    /// <summary>A task running <paramref name="step"/>'s component. Caching off: a re-run must re-download and retrain (the compiler writes {} for that).</summary>
    public static JsonObject Task(string name, string componentName, IReadOnlyList<string> dependsOn, JsonObject? artifacts, JsonObject? parameters,
        bool cachingOff = true)
    {
        var task = new JsonObject();
        if (cachingOff)
        {
            task["cachingOptions"] = new JsonObject();
        }

        task["componentRef"] = new JsonObject { ["name"] = componentName };
        if (dependsOn.Count > 0)
        {
            task["dependentTasks"] = new JsonArray([.. dependsOn.Order(StringComparer.Ordinal).Select(d => (JsonNode?)JsonValue.Create(d))]);
        }

        var inputs = new JsonObject();
        if (artifacts is { Count: > 0 })
        {
            inputs["artifacts"] = artifacts;
        }

        if (parameters is { Count: > 0 })
        {
            inputs["parameters"] = parameters;
        }

        if (inputs.Count > 0)
        {
            task["inputs"] = inputs;
        }

        task["taskInfo"] = new JsonObject { ["name"] = name };
        return task;
    }

    public static JsonObject FromTaskArtifact(string producer, string outputKey) =>
        new() { ["taskOutputArtifact"] = new JsonObject { ["outputArtifactKey"] = outputKey, ["producerTask"] = producer } };

    public static JsonObject FromTaskParameter(string producer, string outputKey) =>
        new() { ["taskOutputParameter"] = new JsonObject { ["outputParameterKey"] = outputKey, ["producerTask"] = producer } };

    public static JsonObject FromComponentParameter(string name) => new() { ["componentInputParameter"] = name };

    public static JsonObject FromComponentArtifact(string name) => new() { ["componentInputArtifact"] = name };
}
