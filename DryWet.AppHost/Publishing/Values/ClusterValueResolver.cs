using System.Globalization;
using DryWet.AppHost.Minio;
using DryWet.AppHost.Mlflow;
using DryWet.AppHost.Platform;
using DryWet.AppHost.Serving;
using DryWet.AppHost.Trainer;
using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// Resolves the app model's values by type, as Aspire.Hosting.Kubernetes does: parameters, endpoints, connection
/// strings and reference expressions become what a pod in the cluster needs. Endpoints of published resources are
/// their Services (<c>http://&lt;name&gt;-service:&lt;port&gt;</c>), resources the platform hosts are its services,
/// secret parameters are keys of the Secret the user creates at deploy time: their values are never read. One resolver
/// per consuming resource (<paramref name="consumer"/>): the platform gives each workload its own identity.
/// </summary>
public sealed class ClusterValueResolver(DistributedApplicationModel model, KubernetesPublishOptions options, IConfiguration configuration, IResource consumer)
{
    // Stands for the i-th value provider while string.Format lays out a ReferenceExpression's literal text.
    private const char Marker = '\u0001';

    public PlatformServices Platform { get; } = new(options);

    public async Task<ClusterValue> ResolveAsync(object? value, CancellationToken ct) => value switch
    {
        null => ClusterValue.FromText(""),
        string text => ClusterValue.FromText(text),
        ParameterResource parameter => Parameter(parameter),
        IResourceBuilder<ParameterResource> builder => Parameter(builder.Resource),
        ConnectionStringReference reference => await ConnectionStringAsync(reference.Resource, ct).ConfigureAwait(false),
        IResourceWithConnectionString resource => await ConnectionStringAsync(resource, ct).ConfigureAwait(false),
        EndpointReference endpoint => Endpoint(endpoint, EndpointProperty.Url),
        EndpointReferenceExpression expression => Endpoint(expression.Endpoint, expression.Property),
        ReferenceExpression expression => await ExpressionAsync(expression, ct).ConfigureAwait(false),
        IManifestExpressionProvider other => throw new InvalidOperationException(
            $"The Kubernetes publish step cannot resolve '{other.ValueExpression}' ({other.GetType().Name})."),
        _ => throw new InvalidOperationException($"The Kubernetes publish step cannot resolve a value of type {value.GetType().Name}."),
    };

    private ClusterValue Parameter(ParameterResource parameter)
    {
        if (Platform.Secret(parameter, model, consumer) is { } platformSecret)
        {
            return ClusterValue.FromSecret(platformSecret);
        }

        if (parameter.Secret)
        {
            return ClusterValue.FromSecret(new SecretKeyReference(options.SecretName, parameter.Name));
        }

        var value = configuration[$"Parameters:{parameter.Name}"] ?? parameter.Default?.GetDefaultValue()
            ?? throw new InvalidOperationException(
                $"Parameter '{parameter.Name}' has no value: set Parameters:{parameter.Name} (env Parameters__{parameter.Name.Replace("-", "_", StringComparison.Ordinal)}) for the publish.");
        return ClusterValue.FromText(value);
    }

    private async Task<ClusterValue> ConnectionStringAsync(IResourceWithConnectionString resource, CancellationToken ct) =>
        // The platform's MLflow is its URL with basic-auth credentials; the platform's MinIO keeps its connection-string
        // shape, with platform values.
        Platform.Hosts(resource) && resource is MlflowResource
            ? Platform.MlflowConnectionString(resource)
            : await ResolveAsync(resource.ConnectionStringExpression, ct).ConfigureAwait(false);

    private ClusterValue Endpoint(EndpointReference reference, EndpointProperty property)
    {
        string scheme, host;
        int port, targetPort;
        if (Platform.Hosts(reference.Resource))
        {
            var url = Platform.Endpoint(reference.Resource);
            (scheme, host, port, targetPort) = (url.Scheme, url.Host, url.Port, url.Port);
        }
        else
        {
            var endpoint = reference.Resource.Annotations.OfType<EndpointAnnotation>().FirstOrDefault(e => e.Name == reference.EndpointName)
                ?? throw new InvalidOperationException($"Resource '{reference.Resource.Name}' has no endpoint '{reference.EndpointName}'.");
            (scheme, host, port, targetPort) = ("http", $"{reference.Resource.KubernetesName()}-service", EndpointPorts.ServicePort(endpoint), EndpointPorts.ContainerPort(endpoint));
        }

        return ClusterValue.FromText(property switch
        {
            EndpointProperty.Url => $"{scheme}://{host}:{EndpointPorts.Text(port)}",
            EndpointProperty.Host or EndpointProperty.IPV4Host => host,
            EndpointProperty.Port => EndpointPorts.Text(port),
            EndpointProperty.HostAndPort => $"{host}:{EndpointPorts.Text(port)}",
            EndpointProperty.TargetPort => EndpointPorts.Text(targetPort),
            EndpointProperty.Scheme => scheme,
            EndpointProperty.TlsEnabled => scheme == "https" ? "true" : "false",
            _ => throw new InvalidOperationException($"Endpoint property {property} of '{reference.Resource.Name}' is not supported by the Kubernetes publish step."),
        });
    }

    private async Task<ClusterValue> ExpressionAsync(ReferenceExpression expression, CancellationToken ct)
    {
        if (expression.IsConditional)
        {
            var condition = await ResolveAsync(expression.Condition, ct).ConfigureAwait(false);
            if (condition.HasSecrets)
            {
                throw new InvalidOperationException($"The condition of '{expression.ValueExpression}' is a secret; the publish step cannot choose a branch without reading it.");
            }

            var branch = string.Equals(condition.Text, expression.MatchValue, StringComparison.Ordinal) ? expression.WhenTrue : expression.WhenFalse;
            return await ResolveAsync(branch, ct).ConfigureAwait(false);
        }

        if (expression.Format.Contains(Marker, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"'{expression.ValueExpression}' contains a control character the publish step reserves.");
        }

        var markers = Enumerable.Range(0, expression.ValueProviders.Count).Select(i => (object)$"{Marker}{i}{Marker}").ToArray();
        var layout = string.Format(CultureInfo.InvariantCulture, expression.Format, markers).Split(Marker);
        var parts = new List<ClusterValue>();
        for (var i = 0; i < layout.Length; i++)
        {
            if (i % 2 == 0)
            {
                parts.Add(ClusterValue.FromText(layout[i]));
                continue;
            }

            var index = int.Parse(layout[i], CultureInfo.InvariantCulture);
            var resolved = await ResolveAsync(expression.ValueProviders[index], ct).ConfigureAwait(false);
            parts.Add(ApplyFormat(resolved, expression.StringFormats.ElementAtOrDefault(index), expression));
        }

        return ClusterValue.Concat(parts);
    }

    private static ClusterValue ApplyFormat(ClusterValue value, string? format, ReferenceExpression expression) => format switch
    {
        null or "" => value,
        "uri" when !value.HasSecrets => ClusterValue.FromText(Uri.EscapeDataString(value.Text)),
        _ => throw new InvalidOperationException($"Format '{format}' in '{expression.ValueExpression}' is not supported by the Kubernetes publish step for this value."),
    };
}
