using System.Globalization;
using System.Text.Json.Nodes;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// One container step of a compiled pipeline (a trainer command), and the three IR pieces it becomes: its component
/// (inputs/outputs), its executor (container, env, GPU) and its Kubernetes executor config (Secret env, tolerations,
/// emptyDir). Shapes and key names follow the KFP compiler's output (reference/kfp/*.yaml).
/// </summary>
internal sealed record PipelineStep(
    string Name,
    IReadOnlyList<StepParameter> Parameters,
    IReadOnlyList<(string Name, string SchemaTitle)> InputArtifacts,
    IReadOnlyList<(string Name, string SchemaTitle)> OutputArtifacts,
    IReadOnlyList<string> Args,
    IReadOnlyList<(string Name, string Value)> Env,
    int Gpus,
    bool HomeVolume = false,
    IReadOnlyList<StepParameter>? OutputParameters = null)
{
    public JsonObject ToComponent()
    {
        var component = new JsonObject { ["executorLabel"] = KubeflowPipelineCompiler.ExecutorLabel(Name) };
        var inputs = new JsonObject();
        if (InputArtifacts.Count > 0)
        {
            inputs["artifacts"] = ArtifactDefinitions(InputArtifacts);
        }

        if (Parameters.Count > 0)
        {
            inputs["parameters"] = ParameterDefinitions(Parameters);
        }

        if (inputs.Count > 0)
        {
            component["inputDefinitions"] = inputs;
        }

        var outputs = new JsonObject();
        if (OutputArtifacts.Count > 0)
        {
            outputs["artifacts"] = ArtifactDefinitions(OutputArtifacts);
        }

        if (OutputParameters is { Count: > 0 } outputParameters)
        {
            outputs["parameters"] = ParameterDefinitions(outputParameters);
        }

        if (outputs.Count > 0)
        {
            component["outputDefinitions"] = outputs;
        }

        return component;
    }

    public static JsonObject ParameterDefinitions(IEnumerable<StepParameter> parameters) =>
        new(parameters.Select(p => KeyValuePair.Create(p.Name, (JsonNode?)new JsonObject { ["parameterType"] = p.Type })));

    public static JsonObject ArtifactDefinitions(IEnumerable<(string Name, string SchemaTitle)> artifacts) =>
        new(artifacts.Select(a => KeyValuePair.Create(a.Name, (JsonNode?)new JsonObject
        {
            ["artifactType"] = new JsonObject { ["schemaTitle"] = a.SchemaTitle, ["schemaVersion"] = "0.0.1" },
        })));

    public JsonObject ToExecutor(TrainingPipelineSettings settings)
    {
        var container = new JsonObject
        {
            ["args"] = new JsonArray([.. Args.Select(a => (JsonNode?)JsonValue.Create(a))]),
            ["command"] = new JsonArray("sh", "-ec", KubeflowPipelineCompiler.EntrypointScript, settings.TrainerExecutable),
            ["env"] = new JsonArray([.. Env.Select(e => (JsonNode?)new JsonObject { ["name"] = e.Name, ["value"] = e.Value })]),
            ["image"] = settings.TrainingImage,
        };
        if (Gpus > 0)
        {
            // Both the deprecated (type/count) and the current (resourceType/resourceCount) fields, as the compiler
            // emits them: the 2.14 driver prefers the new ones, older drivers read the old ones.
            var count = Gpus.ToString(CultureInfo.InvariantCulture);
            container["resources"] = new JsonObject
            {
                ["accelerator"] = new JsonObject
                {
                    ["count"] = count,
                    ["resourceCount"] = count,
                    ["resourceType"] = "nvidia.com/gpu",
                    ["type"] = "nvidia.com/gpu",
                },
            };
        }

        return new JsonObject { ["container"] = container };
    }

    public JsonObject ToKubernetesExecutor(TrainingPipelineSettings settings)
    {
        // Images live in minikube's Docker daemon under immutable tags: pull only when absent.
        var executor = new JsonObject
        {
            ["imagePullPolicy"] = "IfNotPresent",
            ["secretAsEnv"] = new JsonArray(new JsonObject
            {
                ["keyToEnv"] = new JsonArray(
                    KeyToEnv("Minio__AccessKey", settings.MinioSecretAccessKeyKey),
                    KeyToEnv("Minio__SecretKey", settings.MinioSecretSecretKeyKey)),
                ["optional"] = false,
                // secretName for drivers before secretNameParameter existed; both, as the compiler writes a constant.
                ["secretName"] = settings.MinioSecretName,
                ["secretNameParameter"] = new JsonObject
                {
                    ["runtimeValue"] = new JsonObject { ["constant"] = settings.MinioSecretName },
                },
            },
            // MLflow's basic-auth credentials as MLflow's own client variables (the trainer's MLflow client reads
            // them); optional, so an MLflow without authentication needs no Secret.
            new JsonObject
            {
                ["keyToEnv"] = new JsonArray(
                    KeyToEnv("MLFLOW_TRACKING_USERNAME", "username"),
                    KeyToEnv("MLFLOW_TRACKING_PASSWORD", "password")),
                ["optional"] = true,
                ["secretName"] = settings.MlflowSecretName,
                ["secretNameParameter"] = new JsonObject
                {
                    ["runtimeValue"] = new JsonObject { ["constant"] = settings.MlflowSecretName },
                },
            }),
        };
        if (HomeVolume)
        {
            // kfp-kubernetes' empty_dir_mount(task, volume_name, mount_path) compiles to this.
            executor["emptyDirMounts"] = new JsonArray(new JsonObject
            {
                ["mountPath"] = TrainingPipelineSettings.TrainHome,
                ["volumeName"] = TrainingPipelineSettings.TrainHomeVolume,
            });
        }

        if (Gpus > 0)
        {
            executor["tolerations"] = new JsonArray(new JsonObject
            {
                ["effect"] = "NoSchedule",
                ["key"] = "nvidia.com/gpu",
                ["operator"] = "Exists",
            });
        }

        return executor;
    }

    private static JsonObject KeyToEnv(string envVar, string secretKey) =>
        new() { ["envVar"] = envVar, ["secretKey"] = secretKey };
}
