namespace DryWet.AppHost.Extensions;

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

    /// <summary>
    /// Embedded mode: serving loads the package the trainer writes (<c>Model__Source=local</c>, <c>Model__Path</c>), so
    /// "Train now" then "Reload model" serves the new model. Container mode leaves the model source to serving's settings.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithTrainedModel(this IResourceBuilder<ProjectResource> serving, DryWetPlatform platform) =>
        platform.Mode == PlatformMode.Embedded
            ? serving.WithEnvironment("Model__Source", "local").WithEnvironment("Model__Path", platform.TrainerOutputPath)
            : serving;
}
