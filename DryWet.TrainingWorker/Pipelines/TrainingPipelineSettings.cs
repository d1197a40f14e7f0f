using DryWet.Core.Platform;

namespace DryWet.TrainingWorker.Pipelines;

/// <summary>
/// What is baked into the compiled pipeline (image, endpoints, secret, GPU) and the defaults of its run parameters.
/// Defaults are the original platform's (<c>run_train_pipeline.py</c>), so <c>pipeline submit</c> without flags behaves as it did.
/// </summary>
public sealed record TrainingPipelineSettings
{
    public const string PipelineName = "dry-wet-model-training-pipeline";
    public const string PipelineDescription = "A pipeline that downloads data, trains a model, and uploads the artifacts.";

    /// <summary>The trainer image; its own commands (download, train, upload) are the steps.</summary>
    public string TrainingImage { get; init; } = PlatformImages.Training;

    /// <summary>The trainer's entry point inside the image (the .NET SDK container puts the app host in /app).</summary>
    public string TrainerExecutable { get; init; } = "/app/DryWet.TrainingWorker";

    /// <summary>The training config.yaml inside the image.</summary>
    public string TrainingConfigPath { get; init; } = "/app/config.yaml";

    /// <summary>MinIO as seen from pipeline pods (host:port or URL; http is assumed without a scheme).</summary>
    public string MinioEndpoint { get; init; } = "minio-service.kubeflow:9000";

    /// <summary>MLflow tracking server as seen from pipeline pods.</summary>
    public string MlflowTrackingUri { get; init; } = "http://mlflow-service.mlflow.svc.cluster.local:5000";

    /// <summary>
    /// The Kubernetes Secret holding the MinIO keys of the pipeline's steps, in the pipeline's namespace: the trainer's own
    /// identity (platform/setup.sh; reads ml-data, writes ml-models and mlflow), never KFP's root keys.
    /// </summary>
    public string MinioSecretName { get; init; } = "drywet-minio-trainer";
    public string MinioSecretAccessKeyKey { get; init; } = "accesskey";
    public string MinioSecretSecretKeyKey { get; init; } = "secretkey";

    /// <summary>The Secret with MLflow's basic-auth credentials (keys username/password; platform/setup.sh creates it).</summary>
    public string MlflowSecretName { get; init; } = "drywet-mlflow-credentials";

    /// <summary>Where torchvision's ImageNet weights are downloaded from (env DryWet__Weights__BaseUrl); null = torchvision's own host.</summary>
    public string? WeightsBaseUrl { get; init; }

    /// <summary>Weight file name per architecture on that host (env DryWet__Weights__Files__&lt;architecture&gt;); empty = torchvision's names.</summary>
    public IReadOnlyDictionary<string, string> WeightsFiles { get; init; } = new Dictionary<string, string>();

    /// <summary>The train step's DryWet:Home: an emptyDir (the weights cache and scratch space; the image's /app is read-only).</summary>
    public const string TrainHome = "/drywet-home";
    public const string TrainHomeVolume = "drywet-home";

    /// <summary>GPUs requested by the train step; 0 leaves the step on CPU.</summary>
    public int TrainGpus { get; init; } = 1;

    public string SourceDataBucket { get; init; } = PlatformNames.DataBucket;
    public string SourceDataObject { get; init; } = PlatformNames.DatasetObject;
    public string DestinationModelBucket { get; init; } = PlatformNames.ModelsBucket;
    public string DestinationModelName { get; init; } = "dry-wet-road-classifier";

    /// <summary>A hyper-parameter sweep (<c>--sweep</c>): the pipeline fans out one train step per combination and registers the best. Null: one train step.</summary>
    public TrainingSweep? Sweep { get; init; }

    /// <summary>The MinIO endpoint as a URL (the trainer's clients want a scheme).</summary>
    public string MinioEndpointUrl =>
        MinioEndpoint.Contains("://", StringComparison.Ordinal) ? MinioEndpoint : $"http://{MinioEndpoint}";

    /// <summary>The pipeline's run parameters with these settings' values (all STRING), in declaration order.</summary>
    /// <remarks>A sweep registers from the tracked runs and uploads nothing, so it has no destination parameters (the
    /// API server refuses a run parameter the spec does not declare).</remarks>
    public IReadOnlyList<KeyValuePair<string, string>> RunParameters => Sweep is not null
        ? [new("source_data_bucket", SourceDataBucket), new("source_data_object", SourceDataObject)]
        :
        [
            new("source_data_bucket", SourceDataBucket),
            new("source_data_object", SourceDataObject),
            new("destination_model_bucket", DestinationModelBucket),
            new("destination_model_name", DestinationModelName),
        ];

    /// <summary>Throws <see cref="DryWet.Core.DryWetException"/> naming the first bad value.</summary>
    public void Validate()
    {
        Require(TrainingImage, "--training-image", "an image reference such as dry_wet_train:v1.0.0");
        if (TrainingImage.Any(char.IsWhiteSpace))
        {
            throw new DryWet.Core.DryWetException($"--training-image '{TrainingImage}' contains whitespace; pass an image reference such as dry_wet_train:v1.0.0.");
        }

        Require(TrainerExecutable, "--trainer-executable", "the trainer's path in the image, e.g. /app/DryWet.TrainingWorker");
        Require(TrainingConfigPath, "--training-config", "the config.yaml path inside the image, e.g. /app/config.yaml");
        Require(MinioEndpoint, "--minio-endpoint", "host:port, e.g. minio-service.kubeflow:9000");
        if (!Uri.TryCreate(MinioEndpointUrl, UriKind.Absolute, out var minio) || string.IsNullOrEmpty(minio.Host))
        {
            throw new DryWet.Core.DryWetException($"--minio-endpoint '{MinioEndpoint}' is not host:port or a URL; pass e.g. minio-service.kubeflow:9000.");
        }

        if (!Uri.TryCreate(MlflowTrackingUri, UriKind.Absolute, out var mlflow) || (mlflow.Scheme != "http" && mlflow.Scheme != "https"))
        {
            throw new DryWet.Core.DryWetException($"--mlflow-tracking-uri '{MlflowTrackingUri}' is not an http(s) URL; pass e.g. http://mlflow-service.mlflow.svc.cluster.local:5000.");
        }

        if (WeightsBaseUrl is not null && (!Uri.TryCreate(WeightsBaseUrl, UriKind.Absolute, out var weights) || weights.Scheme is not ("http" or "https")))
        {
            throw new DryWet.Core.DryWetException($"--weights-base-url '{WeightsBaseUrl}' is not an http(s) URL; pass the folder that serves torchvision's weight files, e.g. http://mirror.internal/torchvision/models/.");
        }

        Require(MinioSecretName, "--minio-secret-name", "the Secret with the MinIO keys, e.g. drywet-minio-trainer");
        if (TrainGpus is < 0 or > 16)
        {
            throw new DryWet.Core.DryWetException($"--gpus {TrainGpus} is out of range; pass 0 (CPU) to 16.");
        }

        Require(SourceDataBucket, "--source-data-bucket", "a bucket name, e.g. ml-data");
        Require(SourceDataObject, "--source-data-object", "an object key, e.g. dry-wet-data.zip");
        Require(DestinationModelBucket, "--destination-model-bucket", "a bucket name, e.g. ml-models");
        Require(DestinationModelName, "--destination-model-name", "a folder prefix, e.g. dry-wet-road-classifier");
    }

    private static void Require(string value, string flag, string example)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new DryWet.Core.DryWetException($"{flag} is empty; pass {example}.");
        }
    }
}
