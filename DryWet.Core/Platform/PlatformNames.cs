namespace DryWet.Core.Platform;

/// <summary>
/// The platform's shared names, spelt once: buckets, object layouts, connection and resource names. Every project
/// reads them from here (types elsewhere that expose one, e.g. <c>DryWetPlatform.DataBucket</c>, alias it); the
/// platform scripts' copy in platform/config.yaml (<c>minio.buckets</c>) is checked against it by a test.
/// </summary>
public static class PlatformNames
{
    /// <summary>Training data: the dataset zip, the fixed evaluation set and the review page's label manifests.</summary>
    public const string DataBucket = "ml-data";

    /// <summary>Model packages the trainer uploads (<c>upload</c>, the pipelines' last step).</summary>
    public const string ModelsBucket = "ml-models";

    /// <summary>Serving's prediction log (<see cref="Feedback.PredictionLogLayout"/>).</summary>
    public const string FeedbackBucket = "ml-feedback";

    /// <summary>MLflow's artifact store (s3://mlflow/…).</summary>
    public const string MlflowArtifactsBucket = "mlflow";

    /// <summary>The dataset zip in <see cref="DataBucket"/> that training reads and the watcher follows.</summary>
    public const string DatasetObject = "dry-wet-data.zip";

    /// <summary>The fixed evaluation set's prefix in <see cref="DataBucket"/> (one folder per class).</summary>
    public const string EvaluationPrefix = "eval/";

    /// <summary>The reviewed images' label manifests in <see cref="DataBucket"/> (<see cref="Feedback.LabelManifestEntry"/>).</summary>
    public const string LabelManifestPrefix = ".manifest/";

    /// <summary>MinIO's resource name in the AppHost, and so its connection string's name (<c>ConnectionStrings:minio</c>).</summary>
    public const string Minio = "minio";

    /// <summary>MLflow's resource name in the AppHost, and so its connection string's name (<c>ConnectionStrings:mlflow</c>).</summary>
    public const string Mlflow = "mlflow";

    /// <summary>Every bucket the platform creates.</summary>
    public static IReadOnlyList<string> Buckets { get; } = [DataBucket, ModelsBucket, MlflowArtifactsBucket, FeedbackBucket];
}
