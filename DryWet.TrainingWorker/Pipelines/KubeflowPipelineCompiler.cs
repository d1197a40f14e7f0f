using System.Text.Json.Nodes;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// Writes the training pipeline as KFP v2 IR (the format <c>kfp.compiler.Compiler</c> produces, schemaVersion 2.1.0):
/// download → train → upload, each a container running the trainer image's own command, the dataset and the model
/// passed as artifacts, MinIO keys from a Kubernetes Secret (platform spec), caching off, a GPU on the train step.
/// Field names, key order and placeholders follow the compiler's outputs (reference/kfp/*.yaml), because the KFP
/// API server parses the spec with protojson and rejects any field it does not know.
/// </summary>
public static class KubeflowPipelineCompiler
{
    /// <summary>The KFP SDK whose output this mirrors (2.14.x is the last line whose platform-agnostic install ships MinIO).</summary>
    public const string SdkVersion = "kfp-2.14.3";
    public const string SchemaVersion = "2.1.0";

    public const string DownloadTask = "download-data";
    public const string TrainTask = "train-model";
    public const string UploadTask = "upload-model";

    public static CompiledPipeline Compile(TrainingPipelineSettings settings)
    {
        settings.Validate();

        var download = new Step(DownloadTask,
            Parameters: ["bucket", "object"],
            InputArtifacts: [],
            OutputArtifacts: [("data", "system.Dataset")],
            Args: ["download",
                "--bucket", InputParameter("bucket"),
                "--object", InputParameter("object"),
                "--output", OutputArtifactPath("data")],
            Env: StepEnv(settings),
            Gpus: 0);

        var train = new Step(TrainTask,
            Parameters: [],
            InputArtifacts: [("data", "system.Dataset")],
            OutputArtifacts: [("model", "system.Model")],
            Args: ["train",
                "--config", settings.TrainingConfigPath,
                "--data", InputArtifactPath("data"),
                "--output", OutputArtifactPath("model")],
            Env: [.. StepEnv(settings), .. TrainEnv(settings)],
            Gpus: settings.TrainGpus,
            HomeVolume: true);

        var upload = new Step(UploadTask,
            Parameters: ["bucket", "name"],
            InputArtifacts: [("model", "system.Model")],
            OutputArtifacts: [],
            Args: ["upload",
                "--model", InputArtifactPath("model"),
                "--bucket", InputParameter("bucket"),
                "--name", InputParameter("name")],
            Env: StepEnv(settings),
            Gpus: 0);

        Step[] steps = [download, train, upload];

        var tasks = new JsonObject
        {
            [DownloadTask] = Task(download, dependsOn: null,
                parameters: [("bucket", "source_data_bucket"), ("object", "source_data_object")]),
            [TrainTask] = Task(train, dependsOn: DownloadTask, parameters: [], artifactFrom: ("data", DownloadTask, "data")),
            [UploadTask] = Task(upload, dependsOn: TrainTask,
                parameters: [("bucket", "destination_model_bucket"), ("name", "destination_model_name")],
                artifactFrom: ("model", TrainTask, "model")),
        };

        var rootParameters = new JsonObject();
        foreach (var (name, value) in settings.RunParameters)
        {
            rootParameters[name] = new JsonObject
            {
                ["defaultValue"] = value,
                ["isOptional"] = true,
                ["parameterType"] = "STRING",
            };
        }

        var spec = new JsonObject
        {
            ["components"] = new JsonObject(steps.Select(s => KeyValuePair.Create(ComponentName(s.Name), (JsonNode?)Component(s)))),
            ["deploymentSpec"] = new JsonObject
            {
                ["executors"] = new JsonObject(steps.Select(s => KeyValuePair.Create(ExecutorLabel(s.Name), (JsonNode?)Executor(s, settings)))),
            },
            ["pipelineInfo"] = new JsonObject
            {
                ["description"] = TrainingPipelineSettings.PipelineDescription,
                ["name"] = TrainingPipelineSettings.PipelineName,
            },
            ["root"] = new JsonObject
            {
                ["dag"] = new JsonObject { ["tasks"] = tasks },
                ["inputDefinitions"] = new JsonObject { ["parameters"] = rootParameters },
            },
            ["schemaVersion"] = SchemaVersion,
            ["sdkVersion"] = SdkVersion,
        };

        var platform = new JsonObject
        {
            ["platforms"] = new JsonObject
            {
                ["kubernetes"] = new JsonObject
                {
                    ["deploymentSpec"] = new JsonObject
                    {
                        ["executors"] = new JsonObject(steps.Select(s => KeyValuePair.Create(ExecutorLabel(s.Name), (JsonNode?)KubernetesExecutor(s, settings)))),
                    },
                },
            },
        };

        return new CompiledPipeline(spec, platform, settings);
    }

    public static string ComponentName(string task) => $"comp-{task}";
    public static string ExecutorLabel(string task) => $"exec-{task}";

    // The compiler's placeholder syntax; the KFP launcher substitutes them in the pod.
    public static string InputParameter(string name) => $"{{{{$.inputs.parameters['{name}']}}}}";
    public static string InputArtifactPath(string name) => $"{{{{$.inputs.artifacts['{name}'].path}}}}";
    public static string OutputArtifactPath(string name) => $"{{{{$.outputs.artifacts['{name}'].path}}}}";

    /// <summary>
    /// The trainer reads the Aspire-style <c>ConnectionStrings__minio</c> (<c>Endpoint=…;AccessKey=…;SecretKey=…</c>).
    /// KFP cannot put a Secret's value inside a string, so the keys arrive as their own variables (secretAsEnv in
    /// the platform spec) and this shell line assembles the connection string in the pod, then execs the trainer
    /// ($0) with the step's arguments ("$@"). The keys are never in the spec, the run parameters or the pod spec.
    /// </summary>
    public const string EntrypointScript =
        "export ConnectionStrings__minio=\"Endpoint=${Minio__Endpoint};AccessKey=${Minio__AccessKey};SecretKey=${Minio__SecretKey}\"; exec \"$0\" \"$@\"";

    /// <summary>Plain env of every step: endpoints only (keys come from the Secret).</summary>
    private static List<(string Name, string Value)> StepEnv(TrainingPipelineSettings s) =>
    [
        ("ConnectionStrings__mlflow", s.MlflowTrackingUri),
        ("MLFLOW_TRACKING_URI", s.MlflowTrackingUri),
        ("Minio__Endpoint", s.MinioEndpointUrl),
    ];

    /// <summary>The train step's home on an emptyDir (weights cache, scratch) and the weights mirror when one is set.</summary>
    private static IEnumerable<(string Name, string Value)> TrainEnv(TrainingPipelineSettings s)
    {
        yield return ("DryWet__Home", TrainingPipelineSettings.TrainHome);
        if (s.WeightsBaseUrl is { } mirror)
        {
            yield return ("DryWet__Weights__BaseUrl", mirror);
        }
    }

    private static JsonObject Component(Step step)
    {
        var component = new JsonObject { ["executorLabel"] = ExecutorLabel(step.Name) };
        var inputs = new JsonObject();
        if (step.InputArtifacts.Count > 0)
        {
            inputs["artifacts"] = ArtifactDefinitions(step.InputArtifacts);
        }

        if (step.Parameters.Count > 0)
        {
            inputs["parameters"] = new JsonObject(step.Parameters.Select(p =>
                KeyValuePair.Create(p, (JsonNode?)new JsonObject { ["parameterType"] = "STRING" })));
        }

        if (inputs.Count > 0)
        {
            component["inputDefinitions"] = inputs;
        }

        if (step.OutputArtifacts.Count > 0)
        {
            component["outputDefinitions"] = new JsonObject { ["artifacts"] = ArtifactDefinitions(step.OutputArtifacts) };
        }

        return component;
    }

    private static JsonObject ArtifactDefinitions(IReadOnlyList<(string Name, string SchemaTitle)> artifacts) =>
        new(artifacts.Select(a => KeyValuePair.Create(a.Name, (JsonNode?)new JsonObject
        {
            ["artifactType"] = new JsonObject { ["schemaTitle"] = a.SchemaTitle, ["schemaVersion"] = "0.0.1" },
        })));

    private static JsonObject Executor(Step step, TrainingPipelineSettings settings)
    {
        var container = new JsonObject
        {
            ["args"] = new JsonArray([.. step.Args.Select(a => (JsonNode?)JsonValue.Create(a))]),
            ["command"] = new JsonArray("sh", "-ec", EntrypointScript, settings.TrainerExecutable),
            ["env"] = new JsonArray([.. step.Env.Select(e => (JsonNode?)new JsonObject { ["name"] = e.Name, ["value"] = e.Value })]),
            ["image"] = settings.TrainingImage,
        };
        if (step.Gpus > 0)
        {
            // Both the deprecated (type/count) and the current (resourceType/resourceCount) fields, as the compiler
            // emits them: the 2.14 driver prefers the new ones, older drivers read the old ones.
            var count = step.Gpus.ToString(System.Globalization.CultureInfo.InvariantCulture);
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

    private static JsonObject KubernetesExecutor(Step step, TrainingPipelineSettings settings)
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
            }),
        };
        if (step.HomeVolume)
        {
            // kfp-kubernetes' empty_dir_mount(task, volume_name, mount_path) compiles to this.
            executor["emptyDirMounts"] = new JsonArray(new JsonObject
            {
                ["mountPath"] = TrainingPipelineSettings.TrainHome,
                ["volumeName"] = TrainingPipelineSettings.TrainHomeVolume,
            });
        }

        if (step.Gpus > 0)
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

    private static JsonObject Task(Step step, string? dependsOn,
        IReadOnlyList<(string Input, string RootParameter)> parameters,
        (string Input, string Producer, string OutputKey)? artifactFrom = null)
    {
        var task = new JsonObject
        {
            // Caching off: a re-run must re-download the data and retrain (the compiler writes {} for that).
            ["cachingOptions"] = new JsonObject(),
            ["componentRef"] = new JsonObject { ["name"] = ComponentName(step.Name) },
        };
        if (dependsOn is not null)
        {
            task["dependentTasks"] = new JsonArray(JsonValue.Create(dependsOn));
        }

        var inputs = new JsonObject();
        if (artifactFrom is { } a)
        {
            inputs["artifacts"] = new JsonObject
            {
                [a.Input] = new JsonObject
                {
                    ["taskOutputArtifact"] = new JsonObject { ["outputArtifactKey"] = a.OutputKey, ["producerTask"] = a.Producer },
                },
            };
        }

        if (parameters.Count > 0)
        {
            inputs["parameters"] = new JsonObject(parameters.Select(p => KeyValuePair.Create(p.Input,
                (JsonNode?)new JsonObject { ["componentInputParameter"] = p.RootParameter })));
        }

        if (inputs.Count > 0)
        {
            task["inputs"] = inputs;
        }

        task["taskInfo"] = new JsonObject { ["name"] = step.Name };
        return task;
    }

    private sealed record Step(
        string Name,
        IReadOnlyList<string> Parameters,
        IReadOnlyList<(string Name, string SchemaTitle)> InputArtifacts,
        IReadOnlyList<(string Name, string SchemaTitle)> OutputArtifacts,
        IReadOnlyList<string> Args,
        IReadOnlyList<(string Name, string Value)> Env,
        int Gpus,
        bool HomeVolume = false);
}
