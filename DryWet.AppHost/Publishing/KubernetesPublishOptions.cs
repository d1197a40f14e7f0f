using DryWet.Core.Configuration;
using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// Settings of the Kubernetes publish step, bound from configuration section <c>DryWet:Kubernetes</c>
/// (e.g. <c>aspire publish -- --DryWet:Kubernetes:Namespace=ml</c> or env <c>DryWet__Kubernetes__Namespace</c>).
/// None of them is a secret: keys are read in the pods from Secrets that exist in the cluster.
/// </summary>
public sealed class KubernetesPublishOptions
{
    public const string SectionName = "DryWet:Kubernetes";

    /// <summary>Binds the section (<see cref="OptionsBinding"/>): a key that is not a setting (a typo) is an error naming it, not silently ignored.</summary>
    public static KubernetesPublishOptions From(IConfiguration configuration) => OptionsBinding.Bind<KubernetesPublishOptions>(configuration, SectionName);

    /// <summary>Namespace of every object (the original deploys serving into kubeflow).</summary>
    public string Namespace { get; set; } = "kubeflow";

    /// <summary>
    /// Use the platform's MinIO and MLflow (platform/setup.sh) instead of deploying the app's own: minio and mlflow
    /// resources become connection strings to <see cref="MinioEndpoint"/> and <see cref="MlflowEndpoint"/>.
    /// </summary>
    public bool UsePlatformServices { get; set; } = true;

    public string MinioEndpoint { get; set; } = "http://minio-service.kubeflow:9000";

    /// <summary>The name the pipeline also uses; the platform's MLflow allows it as a Host (--allowed-hosts).</summary>
    public string MlflowEndpoint { get; set; } = "http://mlflow-service.mlflow.svc.cluster.local:5000";

    /// <summary>
    /// The platform MinIO identity of each workload that uses it: resource name → Secret (in <see cref="Namespace"/>,
    /// keys <see cref="MinioAccessKeyKey"/>/<see cref="MinioSecretKeyKey"/>) holding that workload's own MinIO user,
    /// limited by a bucket policy (platform/setup.sh creates users, policies and Secrets). A workload without an entry
    /// is refused: no workload falls back to the root keys. <c>DryWet:Kubernetes:MinioSecrets:serving=…</c> overrides one.
    /// </summary>
    public Dictionary<string, string> MinioSecrets { get; set; } = new(StringComparer.Ordinal)
    {
        ["serving"] = "drywet-minio-serving",
        ["web"] = "drywet-minio-web",
        ["trainer"] = "drywet-minio-trainer",
        ["trainer-watcher"] = "drywet-minio-watcher",
    };

    public string MinioAccessKeyKey { get; set; } = "accesskey";

    public string MinioSecretKeyKey { get; set; } = "secretkey";

    /// <summary>
    /// The Secret (in <see cref="Namespace"/>) with the platform MLflow's basic-auth credentials the workloads send
    /// (setup.sh creates it next to MLflow's admin Secret); they reach the pods as <c>ConnectionStrings__mlflow</c>'s
    /// <c>Username</c>/<c>Password</c>, assembled in the pod from secretKeyRefs.
    /// </summary>
    public string MlflowSecretName { get; set; } = "drywet-mlflow-credentials";

    public string MlflowUsernameKey { get; set; } = "username";

    public string MlflowPasswordKey { get; set; } = "password";

    /// <summary>
    /// The Secret the user creates at deploy time (kustomize secretGenerator from <c>.env</c> next to the output)
    /// with one key per secret parameter of the app model, e.g. <c>serving-admin-key</c>.
    /// </summary>
    public string SecretName { get; set; } = "drywet-secrets";

    /// <summary>Image per resource name, overriding the AppHost's (<c>DryWet:Kubernetes:Images:serving=dry_wet_serving:v1.0.1</c>).</summary>
    public Dictionary<string, string> Images { get; set; } = new(StringComparer.Ordinal);

    public string ImagePullPolicy { get; set; } = "IfNotPresent";

    /// <summary>Replicas of a Deployment that is not autoscaled.</summary>
    public int Replicas { get; set; } = 1;

    /// <summary>Istio gateway (namespace/name) the serving route binds to.</summary>
    public string Gateway { get; set; } = "istio-system/mlops-gateway";

    /// <summary>URL prefix of serving on the gateway; rewritten to "/" (…/dry-wet-model/predict → /predict).</summary>
    public string RoutePrefix { get; set; } = "/dry-wet-model";

    /// <summary>Value of the app.kubernetes.io/name and /instance labels.</summary>
    public string AppName { get; set; } = "drywet";

    /// <summary>Where the platform's pods run, for the NetworkPolicies (namespaces and pod labels of platform/setup.sh's installs).</summary>
    public PlatformNetwork Network { get; set; } = new();

    /// <summary>The MinIO identity Secret of <paramref name="resource"/>, or an error naming the setting.</summary>
    public string MinioSecretFor(string resource) =>
        MinioSecrets.TryGetValue(resource, out var secret) && !string.IsNullOrWhiteSpace(secret)
            ? secret
            : throw new InvalidOperationException(
                $"Resource '{resource}' uses the platform's MinIO but {SectionName}:MinioSecrets:{resource} names no Secret. " +
                "Every workload has its own MinIO user (platform/setup.sh creates drywet-minio-<workload>); add the setting.");
}
