using System.CommandLine;
using DryWet.Core;
using DryWet.TrainingWorker.Pipelines;

namespace DryWet.TrainingWorker.Commands;

/// <summary>
/// <c>pipeline compile</c> writes the Kubeflow pipeline (KFP v2 IR YAML); <c>pipeline submit</c> compiles it in
/// memory and starts a run over the KFP v2beta1 REST API (the original's run_train_pipeline.py, same flags and defaults).
/// </summary>
internal static class PipelineCommand
{
    public static Command Create()
    {
        var command = new Command("pipeline", "Compile or submit the Kubeflow training pipeline (download → train → upload).");
        command.Subcommands.Add(CreateCompile());
        command.Subcommands.Add(CreateSubmit());
        return command;
    }

    private static Command CreateCompile()
    {
        var output = new Option<string>("--output", "-o")
        {
            Description = "Where to write the pipeline YAML.",
            DefaultValueFactory = _ => "pipeline.yaml",
        };
        var spec = new SpecOptions();
        var command = new Command("compile", "Write the KFP v2 pipeline spec (YAML, schemaVersion 2.1.0) that runs this trainer's image.");
        command.Options.Add(output);
        spec.AddTo(command);
        command.SetAction(parseResult => CommandErrors.Run(() =>
        {
            var pipeline = KubeflowPipelineCompiler.Compile(spec.Read(parseResult));
            var path = parseResult.GetValue(output)!;
            pipeline.WriteYaml(path);
            var fanOut = pipeline.Settings.Sweep is { } s ? $", {s.Combinations.Count} train steps{(s.Parallelism is { } n ? $", {n} at a time" : "")}" : "";
            Console.WriteLine($"Wrote {pipeline.Name} ({pipeline.Settings.TrainingImage}{fanOut}) to {Path.GetFullPath(path)}");
            return 0;
        }));
        return command;
    }

    private static Command CreateSubmit()
    {
        var host = new Option<string>("--kubeflow-host")
        {
            Description = "KFP base URL: the gateway's /pipeline prefix, or http://ml-pipeline.kubeflow:8888 in-cluster.",
            DefaultValueFactory = _ => "http://localhost/pipeline",
        };
        var accessKey = new Option<string>("--minio-access-key")
        {
            Description = "Accepted for compatibility. The pipeline's pods read the keys from the Secret (--minio-secret-name), never from run parameters.",
            DefaultValueFactory = _ => "minio",
        };
        var secretKey = new Option<string>("--minio-secret-key")
        {
            Description = "Accepted for compatibility; see --minio-access-key.",
            DefaultValueFactory = _ => "minio123",
        };
        var @namespace = new Option<string?>("--namespace") { Description = "Profile namespace (multi-user Kubeflow only)." };
        var wait = new Option<bool>("--wait") { Description = "Follow the run until it ends; the exit code is 0 only when it SUCCEEDED." };
        var poll = new Option<double>("--poll-interval")
        {
            Description = "Seconds between run state checks with --wait.",
            DefaultValueFactory = _ => 5,
        };
        var timeout = new Option<double>("--wait-timeout")
        {
            Description = "Minutes to wait with --wait before giving up (0 = no limit). The run itself is not stopped.",
            DefaultValueFactory = _ => 0,
        };
        var spec = new SpecOptions();
        var command = new Command("submit", "Compile the pipeline and start a run in the experiment 'Dry-Wet Model Training Experiment'.");
        command.Options.Add(host);
        spec.AddTo(command);
        command.Options.Add(accessKey);
        command.Options.Add(secretKey);
        command.Options.Add(@namespace);
        command.Options.Add(wait);
        command.Options.Add(poll);
        command.Options.Add(timeout);
        command.SetAction(async (parseResult, ct) => await CommandErrors.RunAsync(async () =>
        {
            var settings = spec.Read(parseResult);
            var pipeline = KubeflowPipelineCompiler.Compile(settings);
            var pollSeconds = parseResult.GetValue(poll);
            if (pollSeconds is <= 0 or > 3600)
            {
                throw new DryWetException($"--poll-interval {pollSeconds} is out of range; pass seconds between 0.1 and 3600.");
            }

            var timeoutMinutes = parseResult.GetValue(timeout);
            if (timeoutMinutes < 0)
            {
                throw new DryWetException($"--wait-timeout {timeoutMinutes} is negative; pass minutes, or 0 for no limit.");
            }

            if (parseResult.GetValue(accessKey) != "minio" || parseResult.GetValue(secretKey) != "minio123")
            {
                Console.Error.WriteLine(
                    $"Note: --minio-access-key/--minio-secret-key are not sent to Kubeflow (run parameters are visible to anyone who can read the run). " +
                    $"The pipeline's pods read the keys from Secret '{settings.MinioSecretName}' (keys {settings.MinioSecretAccessKeyKey}/{settings.MinioSecretSecretKeyKey}); " +
                    "platform/setup.sh writes them from platform/config.yaml.");
            }

            var baseAddress = KubeflowPipelinesClient.BaseAddressFor(parseResult.GetValue(host)!);
            using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
            var submitter = new TrainingPipelineSubmitter(new KubeflowPipelinesClient(http), Console.Out);
            var outcome = await submitter.SubmitAsync(pipeline, new TrainingPipelineSubmitter.Options(
                baseAddress,
                parseResult.GetValue(@namespace),
                parseResult.GetValue(wait),
                TimeSpan.FromSeconds(pollSeconds),
                timeoutMinutes > 0 ? TimeSpan.FromMinutes(timeoutMinutes) : null), ct);
            return outcome.ExitCode;
        }));
        return command;
    }

    /// <summary>The flags that shape the compiled spec, shared by compile and submit.</summary>
    private sealed class SpecOptions
    {
        private static readonly TrainingPipelineSettings Defaults = new();

        private readonly Option<string> image = Text("--training-image", "Trainer image the steps run.", Defaults.TrainingImage);
        private readonly Option<string> minioEndpoint = Text("--minio-endpoint", "MinIO as seen from the pipeline's pods.", Defaults.MinioEndpoint);
        private readonly Option<string> mlflow = Text("--mlflow-tracking-uri", "MLflow as seen from the pipeline's pods.", Defaults.MlflowTrackingUri);
        private readonly Option<string> secretName = Text("--minio-secret-name", "Secret with the MinIO keys (keys accesskey/secretkey), in the pipeline's namespace.", Defaults.MinioSecretName);
        private readonly Option<string> config = Text("--training-config", "config.yaml path inside the trainer image.", Defaults.TrainingConfigPath);
        private readonly Option<string> executable = Text("--trainer-executable", "The trainer's entry point inside the image.", Defaults.TrainerExecutable);
        private readonly Option<int> gpus = new("--gpus")
        {
            Description = "GPUs for the train step (nvidia.com/gpu); 0 trains on CPU.",
            DefaultValueFactory = _ => Defaults.TrainGpus,
        };
        private readonly Option<string?> weightsBaseUrl = new("--weights-base-url")
        {
            Description = "Mirror of torchvision's weight files for the train step (model.pretrained: imagenet); default: torchvision's host.",
        };
        private readonly Option<string> sourceBucket = Text("--source-data-bucket", "Bucket with the dataset zip.", Defaults.SourceDataBucket);
        private readonly Option<string> sourceObject = Text("--source-data-object", "Dataset zip object key.", Defaults.SourceDataObject);
        private readonly Option<string> destinationBucket = Text("--destination-model-bucket", "Bucket the model package is uploaded to.", Defaults.DestinationModelBucket);
        private readonly Option<string> destinationName = Text("--destination-model-name", "Folder prefix of the uploaded model (<name>-<yyyy-MM-dd>/).", Defaults.DestinationModelName);
        private readonly Option<string[]> sweep = new("--sweep")
        {
            Description = "Sweep a config key over values (repeatable: the combinations are their cartesian product), e.g. --sweep training.learning_rate=1e-3,3e-4. " +
                "The pipeline trains one model per combination in parallel and registers only the best (by best_val_acc) through the promotion gate.",
        };
        private readonly Option<int?> parallelism = new("--parallelism")
        {
            Description = "With --sweep: how many train steps (GPU pods) run at once; default: all.",
        };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { image, minioEndpoint, mlflow, secretName, config, executable, gpus, weightsBaseUrl, sourceBucket, sourceObject, destinationBucket, destinationName, sweep, parallelism })
            {
                command.Options.Add(option);
            }
        }

        public TrainingPipelineSettings Read(ParseResult parseResult) => new()
        {
            TrainingImage = parseResult.GetValue(image)!,
            MinioEndpoint = parseResult.GetValue(minioEndpoint)!,
            MlflowTrackingUri = parseResult.GetValue(mlflow)!,
            MinioSecretName = parseResult.GetValue(secretName)!,
            TrainingConfigPath = parseResult.GetValue(config)!,
            TrainerExecutable = parseResult.GetValue(executable)!,
            TrainGpus = parseResult.GetValue(gpus),
            WeightsBaseUrl = parseResult.GetValue(weightsBaseUrl),
            SourceDataBucket = parseResult.GetValue(sourceBucket)!,
            SourceDataObject = parseResult.GetValue(sourceObject)!,
            DestinationModelBucket = parseResult.GetValue(destinationBucket)!,
            DestinationModelName = parseResult.GetValue(destinationName)!,
            Sweep = ReadSweep(parseResult),
        };

        private TrainingSweep? ReadSweep(ParseResult parseResult)
        {
            var axes = parseResult.GetValue(sweep) ?? [];
            var limit = parseResult.GetValue(parallelism);
            if (axes.Length == 0)
            {
                return limit is null ? null
                    : throw new DryWetException($"--parallelism {limit} applies to a sweep; add --sweep key=v1,v2 (e.g. --sweep training.learning_rate=1e-3,3e-4).");
            }

            return TrainingSweep.Parse(axes, limit);
        }

        private static Option<string> Text(string name, string description, string defaultValue) => new(name)
        {
            Description = description,
            DefaultValueFactory = _ => defaultValue,
        };
    }
}
