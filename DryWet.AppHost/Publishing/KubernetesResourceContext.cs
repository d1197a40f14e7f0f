using k8s.Models;

namespace DryWet.AppHost.Publishing;

/// <summary>
/// One resource of the app model with every value resolved for the cluster, what the mappers (one per Kubernetes
/// kind) read: its name and labels, plain settings (ConfigMap), settings read from Secrets in the pod (env with
/// <c>secretKeyRef</c>), arguments, endpoints and image.
/// </summary>
public sealed class KubernetesResourceContext
{
    private KubernetesResourceContext(IResource resource, KubernetesPublishOptions options)
    {
        Resource = resource;
        Options = options;
        Name = resource.KubernetesName();
        Labels = new Dictionary<string, string>
        {
            ["app.kubernetes.io/name"] = options.AppName,
            ["app.kubernetes.io/component"] = Name,
            ["app.kubernetes.io/instance"] = options.AppName,
        };
    }

    public IResource Resource { get; }

    public KubernetesPublishOptions Options { get; }

    /// <summary>Base name of the resource's objects (<c>&lt;Name&gt;-deployment</c>, <c>-service</c>, <c>-config</c>).</summary>
    public string Name { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    /// <summary>Environment without secrets: the resource's ConfigMap.</summary>
    public SortedDictionary<string, string> Settings { get; } = new(StringComparer.Ordinal);

    /// <summary>Environment read from Secrets in the pod: helper variables first, then what refers to them.</summary>
    public List<V1EnvVar> SecretEnvironment { get; } = [];

    /// <summary>Which environment variable uses which key of the user's Secret (for .env.example).</summary>
    public List<(SecretKeyReference Secret, string Variable)> UserSecretUses { get; } = [];

    public List<string> Args { get; } = [];

    public IReadOnlyList<EndpointAnnotation> Endpoints { get; private init; } = [];

    public required string Image { get; init; }

    public bool IsJob => Resource.Annotations.OfType<KubernetesJobAnnotation>().Any();

    public V1ObjectMeta Metadata(string name) =>
        new() { Name = name, NamespaceProperty = Options.Namespace, Labels = new Dictionary<string, string>(Labels) };

    public static async Task<KubernetesResourceContext> CreateAsync(
        IResource resource, ClusterValueResolver resolver, DistributedApplicationExecutionContext executionContext, KubernetesPublishOptions options, CancellationToken ct)
    {
        var context = new KubernetesResourceContext(resource, options)
        {
            Image = ImageOf(resource, options),
            Endpoints = EndpointPorts.PublishedEndpoints(resource),
        };

        await context.AddEnvironmentAsync(resolver, executionContext, ct).ConfigureAwait(false);
        await context.AddArgumentsAsync(resolver, executionContext, ct).ConfigureAwait(false);
        return context;
    }

    /// <summary>Plain values into <see cref="Settings"/>; values with secrets into <see cref="SecretEnvironment"/>.</summary>
    private async Task AddEnvironmentAsync(ClusterValueResolver resolver, DistributedApplicationExecutionContext executionContext, CancellationToken ct)
    {
        var environment = await AppModelValues.EnvironmentAsync(Resource, executionContext, ct).ConfigureAwait(false);
        var helpers = new SortedDictionary<string, V1EnvVar>(StringComparer.Ordinal);
        var composed = new List<V1EnvVar>();
        foreach (var (key, raw) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var value = await resolver.ResolveAsync(raw, ct).ConfigureAwait(false);
            if (!value.HasSecrets)
            {
                Settings[key] = value.Text;
                continue;
            }

            foreach (var secret in value.Secrets.Where(s => s.SecretName == Options.SecretName))
            {
                UserSecretUses.Add((secret, key));
            }

            if (value.Parts is [SecretKeyReference only])
            {
                composed.Add(SecretVariable(key, only));
                continue;
            }

            // Kubernetes expands $(NAME) from variables listed before; the text around the keys stays in the manifest.
            foreach (var secret in value.Secrets)
            {
                helpers.TryAdd(secret.VariableName, SecretVariable(secret.VariableName, secret));
            }

            composed.Add(new V1EnvVar { Name = key, Value = value.ToExpansion() });
        }

        SecretEnvironment.AddRange(helpers.Values);
        SecretEnvironment.AddRange(composed);
    }

    private async Task AddArgumentsAsync(ClusterValueResolver resolver, DistributedApplicationExecutionContext executionContext, CancellationToken ct)
    {
        IEnumerable<object?> arguments = Resource.TryGetLastAnnotation<KubernetesArgsAnnotation>(out var published)
            ? published.Args
            : await AppModelValues.ArgumentsAsync(Resource, executionContext, ct).ConfigureAwait(false);
        foreach (var raw in arguments)
        {
            var value = await resolver.ResolveAsync(raw, ct).ConfigureAwait(false);
            if (value.HasSecrets)
            {
                throw new InvalidOperationException(
                    $"Resource '{Resource.Name}' passes a secret on its command line ({string.Join(", ", value.Secrets.Select(s => $"{s.SecretName}/{s.Key}"))}); pass it through an environment variable so it stays in a Secret.");
            }

            Args.Add(value.Text);
        }
    }

    private static V1EnvVar SecretVariable(string name, SecretKeyReference secret) => new()
    {
        Name = name,
        ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = secret.SecretName, Key = secret.Key } },
    };

    /// <summary>Configuration override, else the image annotation, else the container's own image, else &lt;name&gt;:latest.</summary>
    private static string ImageOf(IResource resource, KubernetesPublishOptions options)
    {
        if (options.Images.TryGetValue(resource.Name, out var configured) && !string.IsNullOrWhiteSpace(configured))
        {
            return configured;
        }

        if (resource.TryGetLastAnnotation<KubernetesImageAnnotation>(out var published))
        {
            return published.Image;
        }

        if (resource.TryGetLastAnnotation<ContainerImageAnnotation>(out var image))
        {
            var reference = $"{image.Image}:{image.Tag ?? "latest"}";
            return image.Registry is { Length: > 0 } registry ? $"{registry}/{reference}" : reference;
        }

        return $"{resource.KubernetesName()}:latest";
    }
}
