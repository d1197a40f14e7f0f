namespace DryWet.AppHost.Extensions;

/// <summary>MLflow tracking server and model registry. Connection string: the server's base URL.</summary>
public sealed class MlflowResource(string name) : ContainerResource(name), IResourceWithConnectionString
{
    public const string HttpEndpointName = "http";

    public EndpointReference HttpEndpoint => field ??= new(this, HttpEndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"{HttpEndpoint.Property(EndpointProperty.Url)}");
}
