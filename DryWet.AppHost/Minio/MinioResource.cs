using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;

namespace DryWet.AppHost.Minio;

/// <summary>
/// MinIO object storage. Its connection string (<c>ConnectionStrings__minio</c>) has the shape the DryWet S3 adapter
/// parses: <c>Endpoint=http://host:port;AccessKey=...;SecretKey=...</c>.
/// </summary>
public sealed class MinioResource(string name, ParameterResource rootUser, ParameterResource rootPassword)
    : ContainerResource(name), IResourceWithConnectionString
{
    public const string ApiEndpointName = "http";
    public const string ConsoleEndpointName = "console";

    public ParameterResource RootUser { get; } = rootUser;

    public ParameterResource RootPassword { get; } = rootPassword;

    public EndpointReference ApiEndpoint => field ??= new(this, ApiEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Endpoint={ApiEndpoint.Property(EndpointProperty.Url)};AccessKey={RootUser};SecretKey={RootPassword}");
}

/// <summary>Buckets created in MinIO once it is healthy.</summary>
public sealed record MinioBucketsAnnotation(IReadOnlyList<string> Buckets) : IResourceAnnotation;
