using DryWet.AppHost.Minio;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using DryWet.Core.Platform;

namespace DryWet.AppHost.Mlflow;

/// <summary>
/// MLflow tracking server: sqlite backend store on a volume (runs survive restarts, unlike the original's pod),
/// artifacts proxied by the server into MinIO's <c>mlflow</c> bucket, so clients need no S3 credentials.
/// </summary>
public static class MlflowExtensions
{
    // The -full variant carries boto3 (S3) and the database drivers; the plain image cannot reach MinIO.
    // platform/config.yaml (images.mlflow) runs the same image in the cluster; a test keeps the two equal.
    public const string Image = "mlflow/mlflow";
    public const string Tag = "v3.9.0-full";
    public const string Registry = "ghcr.io";
    public const string ArtifactsBucket = PlatformNames.MlflowArtifactsBucket;

    /// <summary>
    /// Hosts MLflow (≥ 3.5) accepts in the Host header; any other gets 403 "Invalid Host header". The list replaces
    /// MLflow's default (localhost, private IPs), so those stay in it, next to the names callers use in the cluster
    /// (<c>mlflow-service.mlflow.svc.cluster.local:5000</c>, the pipeline's and the publish step's) and on a container
    /// network (<c>mlflow</c>). kubectl port-forward arrives as localhost. The same list is
    /// <c>mlflow.allowed_hosts</c> in platform/config.yaml (a test keeps them equal).
    /// </summary>
    public static readonly IReadOnlyList<string> AllowedHosts =
    [
        "localhost", "localhost:*", "127.0.0.1", "127.0.0.1:*",
        "mlflow", "mlflow:*",
        "mlflow-service", "mlflow-service:5000", "mlflow-service.mlflow", "mlflow-service.mlflow:5000",
        "mlflow-service.mlflow.svc", "mlflow-service.mlflow.svc:5000",
        "mlflow-service.mlflow.svc.cluster.local", "mlflow-service.mlflow.svc.cluster.local:5000",
        "10.*", "192.168.*", "172.1[6-9].*", "172.2[0-9].*", "172.3[01].*",
    ];

    public static IResourceBuilder<MlflowResource> AddMlflow(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<MinioResource> minio)
    {
        return builder.AddResource(new MlflowResource(name))
            .WithImage(Image, Tag)
            .WithImageRegistry(Registry)
            .WithEntrypoint("mlflow")
            .WithArgs(
                "server",
                "--host", "0.0.0.0",
                "--port", "5000",
                "--backend-store-uri", "sqlite:////mlflow/mlflow.db",
                "--serve-artifacts",
                "--artifacts-destination", $"s3://{ArtifactsBucket}/",
                "--allowed-hosts", string.Join(',', AllowedHosts))
            .WithHttpEndpoint(targetPort: 5000, name: MlflowResource.HttpEndpointName)
            .WithVolume($"{name}-data", "/mlflow")
            .WithEnvironment("MLFLOW_S3_ENDPOINT_URL", minio.Resource.ApiEndpoint)
            .WithEnvironment("AWS_ACCESS_KEY_ID", minio.Resource.RootUser)
            .WithEnvironment("AWS_SECRET_ACCESS_KEY", minio.Resource.RootPassword)
            .WithHttpHealthCheck("/health", endpointName: MlflowResource.HttpEndpointName)
            .WithUrlForEndpoint(MlflowResource.HttpEndpointName, url => url.DisplayText = "MLflow UI")
            .WaitFor(minio);
    }
}
