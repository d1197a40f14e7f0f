using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Trainer;

namespace DryWet.AppHost.Serving;

public static class ServingExtensions
{
    /// <summary>
    /// The external http endpoint on <paramref name="port"/> (the original's 5001). Serving's launch profile may
    /// already declare "http"; it is reused, so the dashboard, tests and the manifest see one endpoint.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithServingEndpoint(this IResourceBuilder<ProjectResource> serving, int port) =>
        serving.WithEndpoint("http", endpoint =>
        {
            endpoint.UriScheme = "http";
            endpoint.Transport = "http";
            endpoint.Port = port;
            endpoint.IsExternal = true;
        }, createIfNotExists: true);
}
