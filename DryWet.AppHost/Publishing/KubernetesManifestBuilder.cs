using Microsoft.Extensions.Configuration;

namespace DryWet.AppHost.Publishing;

/// <summary>One object to write: <c>&lt;Folder&gt;/&lt;FileName&gt;</c>.</summary>
public sealed record KubernetesManifest(string Folder, string FileName, object Object);

/// <summary>What the publish step writes: the objects, and the Secret the user supplies at deploy time (if any key is read).</summary>
public sealed record KubernetesPublishResult(IReadOnlyList<KubernetesManifest> Manifests, KubernetesUserSecret? UserSecret);

/// <summary>
/// Maps the application model to Kubernetes objects with the conventions of Aspire.Hosting.Kubernetes
/// (<c>&lt;res&gt;-deployment</c>, <c>-service</c>, <c>-config</c>, app.kubernetes.io labels, envFrom), one mapper per
/// kind, plus what DryWet needs: Jobs for run-to-completion resources, autoscaling, an Istio route, a NetworkPolicy
/// per workload from the app model's references (and a default deny for the app's pods). Every project
/// and container resource is published the same way; only annotations change the shape. No secret value is written:
/// pods read keys from the platform's Secret and from the one the user creates.
/// </summary>
public sealed class KubernetesManifestBuilder(
    DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, KubernetesPublishOptions options, IConfiguration configuration)
{
    public async Task<KubernetesPublishResult> BuildAsync(CancellationToken ct)
    {
        var platform = new PlatformServices(options);
        var contexts = new List<KubernetesResourceContext>();
        foreach (var resource in model.Resources)
        {
            if (resource is not (ProjectResource or ContainerResource) || platform.Hosts(resource) || resource.IsExcludedFromPublish())
            {
                continue;
            }

            var resolver = new ClusterValueResolver(model, options, configuration, resource);
            contexts.Add(await KubernetesResourceContext.CreateAsync(resource, resolver, executionContext, options, ct).ConfigureAwait(false));
        }

        var network = new NetworkPolicyMapper(contexts, platform, options);
        var manifests = contexts.SelectMany(c => Map(c, network)).ToList();
        // Any pod of the app that no policy above selects (a resource added later) talks to nobody until it has one.
        manifests.Add(new KubernetesManifest("network", "default-deny.yaml", network.DefaultDeny()));
        return new(manifests, contexts.ToSecret(options));
    }

    private static IEnumerable<KubernetesManifest> Map(KubernetesResourceContext context, NetworkPolicyMapper network)
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
        yield return File("networkpolicy.yaml", network.ToNetworkPolicy(context));
    }
}
