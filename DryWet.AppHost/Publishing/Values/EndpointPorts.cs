using System.Globalization;

namespace DryWet.AppHost.Publishing;

/// <summary>Ports of an endpoint in the cluster: what the container listens on, and what its Service exposes.</summary>
public static class EndpointPorts
{
    /// <summary>Aspire.Hosting.Kubernetes' default for an endpoint with neither port set.</summary>
    public const int DefaultContainerPort = 8080;

    public static int ContainerPort(EndpointAnnotation endpoint) => endpoint.TargetPort ?? endpoint.Port ?? DefaultContainerPort;

    public static int ServicePort(EndpointAnnotation endpoint) => endpoint.Port ?? ContainerPort(endpoint);

    /// <summary>The endpoints that become container and Service ports. Https is served as http: TLS ends at the mesh.</summary>
    public static List<EndpointAnnotation> PublishedEndpoints(IResource resource) =>
        resource.Annotations.OfType<EndpointAnnotation>().Where(e => e.UriScheme != "https").ToList();

    internal static string Text(int port) => port.ToString(CultureInfo.InvariantCulture);
}
