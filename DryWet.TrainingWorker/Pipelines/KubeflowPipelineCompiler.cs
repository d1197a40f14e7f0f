using DryWet.Core.Platform;
using System.Text.Json.Nodes;
using static DryWet.TrainingWorker.Pipelines.PipelineDocument;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// Writes the training pipeline as KFP v2 IR (the format <c>kfp.compiler.Compiler</c> produces, schemaVersion 2.1.0):
/// download → train → upload, each a container running the trainer image's own command, the dataset and the model
/// passed as artifacts, MinIO keys from a Kubernetes Secret (platform spec), caching off, a GPU on the train step.
/// With a sweep (<see cref="TrainingPipelineSettings.Sweep"/>) it writes <see cref="SweepPipelineCompiler"/>'s
/// download → ParallelFor(train) → register-best instead.
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
        if (settings.Sweep is not null)
        {
            return SweepPipelineCompiler.Compile(settings);
        }

        var download = DownloadStep(settings);

        var train = new PipelineStep(TrainTask,
            Parameters: [],
            InputArtifacts: [("data", "system.Dataset")],
            OutputArtifacts: [("model", "system.Model")],
            Args: TrainerArguments.Train(settings.TrainingConfigPath, InputArtifactPath("data"), OutputArtifactPath("model")),
            Env: [.. StepEnv(settings), .. TrainEnv(settings)],
            Gpus: settings.TrainGpus,
            HomeVolume: true);

        var upload = new PipelineStep(UploadTask,
            Parameters: [new("bucket"), new("name")],
            InputArtifacts: [("model", "system.Model")],
            OutputArtifacts: [],
            Args: TrainerArguments.Upload(InputArtifactPath("model"), InputParameter("bucket"), InputParameter("name")),
            Env: StepEnv(settings),
            Gpus: 0);

        var tasks = new JsonObject
        {
            [DownloadTask] = DownloadTaskNode(),
            [TrainTask] = Task(TrainTask, ComponentName(TrainTask), [DownloadTask],
                new JsonObject { ["data"] = FromTaskArtifact(DownloadTask, "data") }, parameters: null),
            [UploadTask] = Task(UploadTask, ComponentName(UploadTask), [TrainTask],
                new JsonObject { ["model"] = FromTaskArtifact(TrainTask, "model") },
                new JsonObject
                {
                    ["bucket"] = FromComponentParameter("destination_model_bucket"),
                    ["name"] = FromComponentParameter("destination_model_name"),
                }),
        };

        return Build(settings, TrainingPipelineSettings.PipelineName, TrainingPipelineSettings.PipelineDescription,
            [download, train, upload], [], tasks);
    }

    public static string ComponentName(string task) => $"comp-{task}";
    public static string ExecutorLabel(string task) => $"exec-{task}";

    // The compiler's placeholder syntax; the KFP launcher substitutes them in the pod.
    public static string InputParameter(string name) => $"{{{{$.inputs.parameters['{name}']}}}}";
    public static string InputArtifactPath(string name) => $"{{{{$.inputs.artifacts['{name}'].path}}}}";
    public static string OutputArtifactPath(string name) => $"{{{{$.outputs.artifacts['{name}'].path}}}}";
    public static string OutputParameterFile(string name) => $"{{{{$.outputs.parameters['{name}'].output_file}}}}";

    /// <summary>
    /// The trainer reads the Aspire-style <c>ConnectionStrings__minio</c> (<c>Endpoint=…;AccessKey=…;SecretKey=…</c>).
    /// KFP cannot put a Secret's value inside a string, so the keys arrive as their own variables (secretAsEnv in
    /// the platform spec) and this shell line assembles the connection string in the pod, then execs the trainer
    /// ($0) with the step's arguments ("$@"). The keys are never in the spec, the run parameters or the pod spec.
    /// </summary>
    public const string EntrypointScript =
        "export ConnectionStrings__minio=\"Endpoint=${Minio__Endpoint};AccessKey=${Minio__AccessKey};SecretKey=${Minio__SecretKey}\"; exec \"$0\" \"$@\"";

    internal static PipelineStep DownloadStep(TrainingPipelineSettings settings) => new(DownloadTask,
        Parameters: [new("bucket"), new("object")],
        InputArtifacts: [],
        OutputArtifacts: [("data", "system.Dataset")],
        Args: TrainerArguments.Download(OutputArtifactPath("data"), InputParameter("bucket"), InputParameter("object")),
        Env: StepEnv(settings),
        Gpus: 0);

    internal static JsonObject DownloadTaskNode() => Task(DownloadTask, ComponentName(DownloadTask), [], artifacts: null,
        new JsonObject
        {
            ["bucket"] = FromComponentParameter("source_data_bucket"),
            ["object"] = FromComponentParameter("source_data_object"),
        });

    /// <summary>Plain env of every step: endpoints only (keys come from the Secret).</summary>
    internal static List<(string Name, string Value)> StepEnv(TrainingPipelineSettings s) =>
    [
        ("ConnectionStrings__mlflow", s.MlflowTrackingUri),
        ("MLFLOW_TRACKING_URI", s.MlflowTrackingUri),
        ("Minio__Endpoint", s.MinioEndpointUrl),
    ];

    /// <summary>The step's home on an emptyDir (weights cache, scratch), the weights mirror and its file names when set.</summary>
    internal static IEnumerable<(string Name, string Value)> TrainEnv(TrainingPipelineSettings s)
    {
        yield return ("DryWet__Home", TrainingPipelineSettings.TrainHome);
        if (s.WeightsBaseUrl is { } mirror)
        {
            yield return ("DryWet__Weights__BaseUrl", mirror);
        }

        foreach (var (architecture, file) in s.WeightsFiles.Where(f => !string.IsNullOrWhiteSpace(f.Value)).OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            yield return ($"DryWet__Weights__Files__{architecture}", file);
        }
    }
}
