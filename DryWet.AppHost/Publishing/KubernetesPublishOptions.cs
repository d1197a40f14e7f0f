namespace DryWet.AppHost.Publishing;

/// <summary>
/// Settings of the Kubernetes publish step, bound from configuration section <c>DryWet:Kubernetes</c>
/// (e.g. <c>aspire publish -- --DryWet:Kubernetes:Namespace=ml</c> or env <c>DryWet__Kubernetes__Namespace</c>).
/// </summary>
public sealed class KubernetesPublishOptions
{
    public const string SectionName = "DryWet:Kubernetes";

    /// <summary>Namespace of every object (the original deploys serving into kubeflow).</summary>
    public string Namespace { get; set; } = "kubeflow";

    /// <summary>
    /// Use the platform's MinIO and MLflow (platform/setup.sh) instead of deploying the app's own: minio and mlflow
    /// resources become connection strings to <see cref="MinioEndpoint"/> and <see cref="MlflowEndpoint"/>.
    /// </summary>
    public bool UsePlatformServices { get; set; } = true;

    public string MinioEndpoint { get; set; } = "http://minio-service.kubeflow:9000";

    public string MlflowEndpoint { get; set; } = "http://mlflow-service.mlflow:5000";

    /// <summary>MinIO keys of the platform (KFP's MinIO ships with minio/minio123); they only ever land in Secrets.</summary>
    public string MinioAccessKey { get; set; } = "minio";

    public string MinioSecretKey { get; set; } = "minio123";

    public string ServingImage { get; set; } = "dry_wet_serving:v1.0.0";

    public string TrainerImage { get; set; } = "dry_wet_train:v1.0.0";

    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    public int ServingReplicas { get; set; } = 1;

    /// <summary>Istio gateway (namespace/name) the serving route binds to.</summary>
    public string Gateway { get; set; } = "istio-system/mlops-gateway";

    /// <summary>URL prefix of serving on the gateway; rewritten to "/" (…/dry-wet-model/predict → /predict).</summary>
    public string RoutePrefix { get; set; } = "/dry-wet-model";

    /// <summary>Value of the app.kubernetes.io/name and /instance labels.</summary>
    public string AppName { get; set; } = "drywet";
}
