using System.Text.RegularExpressions;
using DryWet.AppHost.Extensions;
using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Publishing;

/// <summary>A value for the cluster, and whether it carries a secret (then it may only go into a Secret).</summary>
public sealed record ResolvedValue(string Value, bool IsSecret);

/// <summary>
/// Turns manifest expressions (<c>{minio.connectionString}</c>, <c>{p.value}</c>, <c>{r.bindings.http.url}</c>) into
/// values inside the cluster: <c>http://&lt;name&gt;-service:&lt;port&gt;</c> for published resources, the platform's
/// endpoints for minio/mlflow when they map to the platform, parameter values from configuration
/// (<c>Parameters:&lt;name&gt;</c>) or their defaults. Https endpoints are served as http (TLS ends at the mesh).
/// </summary>
public sealed partial class ManifestExpressionResolver(DistributedApplicationModel model, KubernetesPublishOptions options, IConfiguration configuration)
{
    [GeneratedRegex(@"\{([^{}]+)\}")]
    private static partial Regex ExpressionPattern();

    public bool IsMappedToPlatform(IResource resource) =>
        options.UsePlatformServices && resource is MinioResource or MlflowResource;

    public async Task<ResolvedValue> ResolveAsync(string expression, CancellationToken ct)
    {
        var secret = false;
        var result = expression;
        foreach (Match match in ExpressionPattern().Matches(expression))
        {
            var resolved = await ResolveReferenceAsync(match.Groups[1].Value, ct).ConfigureAwait(false);
            secret |= resolved.IsSecret;
            result = result.Replace(match.Value, resolved.Value, StringComparison.Ordinal);
        }

        return new(result, secret);
    }

    /// <summary>The port a resource's endpoint listens on inside its container.</summary>
    public static int ContainerPort(EndpointAnnotation endpoint) => endpoint.TargetPort ?? endpoint.Port ?? 8080;

    /// <summary>The port of the resource's Service for that endpoint.</summary>
    public static int ServicePort(EndpointAnnotation endpoint) => endpoint.Port ?? ContainerPort(endpoint);

    private async Task<ResolvedValue> ResolveReferenceAsync(string reference, CancellationToken ct)
    {
        var parts = reference.Split('.');
        var resource = model.Resources.FirstOrDefault(r => r.Name == parts[0])
            ?? throw new InvalidOperationException($"The expression '{{{reference}}}' names a resource '{parts[0]}' that is not in the model.");

        return (parts.ElementAtOrDefault(1), resource) switch
        {
            ("connectionString", MinioResource) when IsMappedToPlatform(resource) =>
                new($"Endpoint={options.MinioEndpoint};AccessKey={options.MinioAccessKey};SecretKey={options.MinioSecretKey}", true),
            ("connectionString", MlflowResource) when IsMappedToPlatform(resource) => new(options.MlflowEndpoint, false),
            ("connectionString", IResourceWithConnectionString withConnection) =>
                await ResolveAsync(withConnection.ConnectionStringExpression.ValueExpression, ct).ConfigureAwait(false),
            ("value", ParameterResource parameter) => ParameterValue(parameter),
            ("bindings", _) when parts.Length == 4 => Binding(resource, parts[2], parts[3]),
            _ => throw new InvalidOperationException($"The publish step cannot resolve '{{{reference}}}'."),
        };
    }

    private ResolvedValue ParameterValue(ParameterResource parameter)
    {
        var configured = configuration[$"Parameters:{parameter.Name}"];
        if (configured is null && options.UsePlatformServices && model.Resources.OfType<MinioResource>().FirstOrDefault() is { } minio)
        {
            // The app's MinIO credentials become the platform MinIO's.
            if (ReferenceEquals(parameter, minio.RootUser)) configured = options.MinioAccessKey;
            if (ReferenceEquals(parameter, minio.RootPassword)) configured = options.MinioSecretKey;
        }

        var value = configured ?? parameter.Default?.GetDefaultValue()
            ?? throw new InvalidOperationException(
                $"Parameter '{parameter.Name}' has no value: set Parameters:{parameter.Name} (env Parameters__{parameter.Name.Replace("-", "_")}) for the publish.");
        return new(value, parameter.Secret);
    }

    private ResolvedValue Binding(IResource resource, string endpointName, string property)
    {
        if (IsMappedToPlatform(resource))
        {
            var url = new Uri(resource is MinioResource ? options.MinioEndpoint : options.MlflowEndpoint);
            return new(property switch
            {
                "url" => url.GetLeftPart(UriPartial.Authority),
                "host" => url.Host,
                "port" or "targetPort" => url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "scheme" => url.Scheme,
                _ => throw new InvalidOperationException($"Unknown endpoint property '{property}' of '{resource.Name}'."),
            }, false);
        }

        var endpoint = resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == endpointName)
            ?? throw new InvalidOperationException($"Resource '{resource.Name}' has no endpoint '{endpointName}'.");
        var host = $"{resource.KubernetesName()}-service";
        var port = ServicePort(endpoint).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new(property switch
        {
            "url" => $"http://{host}:{port}",
            "host" => host,
            "port" => port,
            "targetPort" => ContainerPort(endpoint).ToString(System.Globalization.CultureInfo.InvariantCulture),
            "scheme" => "http",
            _ => throw new InvalidOperationException($"Unknown endpoint property '{property}' of '{resource.Name}'."),
        }, false);
    }
}
