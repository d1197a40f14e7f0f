using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Publishing;

/// <summary>One object to write: <c>&lt;Folder&gt;/&lt;FileName&gt;</c>.</summary>
public sealed record KubernetesManifest(string Folder, string FileName, object Object);

/// <summary>What the publish step writes: the objects, and the Secret the user supplies at deploy time (if any key is read).</summary>
public sealed record KubernetesPublishResult(IReadOnlyList<KubernetesManifest> Manifests, KubernetesUserSecret? UserSecret);

/// <summary>
/// Maps the application model to Kubernetes objects with the conventions of Aspire.Hosting.Kubernetes
/// (<c>&lt;res&gt;-deployment</c>, <c>-service</c>, <c>-config</c>, app.kubernetes.io labels, envFrom), one mapper per
/// kind, plus what DryWet needs: Jobs for run-to-completion resources, autoscaling, an Istio route. Every project
/// and container resource is published the same way; only annotations change the shape. No secret value is written:
/// pods read keys from the platform's Secret and from the one the user creates.
/// </summary>
public sealed class KubernetesManifestBuilder(
    DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, KubernetesPublishOptions options, IConfiguration configuration)
{
    public async Task<KubernetesPublishResult> BuildAsync(CancellationToken ct)
    {
        var resolver = new ClusterValueResolver(model, options, configuration);
        var contexts = new List<KubernetesResourceContext>();
        foreach (var resource in model.Resources)
        {
            if (resource is not (ProjectResource or ContainerResource) || resolver.Platform.Hosts(resource) || resource.IsExcludedFromPublish())
            {
                continue;
            }

            contexts.Add(await KubernetesResourceContext.CreateAsync(resource, resolver, executionContext, options, ct).ConfigureAwait(false));
        }

        return new(contexts.SelectMany(Map).ToList(), contexts.ToSecret(options));
    }

    private static IEnumerable<KubernetesManifest> Map(KubernetesResourceContext context)
    {
        KubernetesManifest File(string fileName, object value) => new(context.Name, fileName, value);

        if (context.IsJob)
        {
            yield return File("job.yaml", context.ToJob());
        }
        else if (context.Resource is IResourceWithConnectionString)
        {
            yield return File("statefulset.yaml", context.ToStatefulSet());
        }
        else
        {
            yield return File("deployment.yaml", context.ToDeployment());
        }

        if (context.ToService() is { } service) yield return File("service.yaml", service);
        yield return File("config.yaml", context.ToConfigMap());
        if (context.ToVirtualService() is { } route) yield return File("virtualservice.yaml", route);
        if (context.ToHorizontalPodAutoscaler() is { } autoscaler) yield return File("hpa.yaml", autoscaler);
        if (context.ToPodDisruptionBudget() is { } budget) yield return File("pdb.yaml", budget);
    }
}
