namespace DryWet.AppHost.Extensions;

/// <summary>
/// MLflow tracking server: sqlite backend store on a volume (runs survive restarts, unlike the original's pod),
/// artifacts proxied by the server into MinIO's <c>mlflow</c> bucket, so clients need no S3 credentials.
/// </summary>
public static class MlflowExtensions
{
    // The -full variant carries boto3 (S3) and the database drivers; the plain image cannot reach MinIO.
    public const string Image = "mlflow/mlflow";
    public const string Tag = "v3.9.0-full";
    public const string Registry = "ghcr.io";
    public const string ArtifactsBucket = "mlflow";

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
                "--artifacts-destination", $"s3://{ArtifactsBucket}/")
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
